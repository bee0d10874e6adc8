//! Deadlines (时限): the SLA clocks on a case, how case events start, stop, pause, extend and
//! re-tier them, and what the timer worker fires. Pure: the calendar, the policy and the time
//! are passed in.
//!
//! Rules (docs/architecture.md, "Deadlines"):
//! - Dispatch (and reopen) starts the acceptance clock (签收时限) and the resolution clock
//!   (办理时限); accept meets the first, resolve meets the second and starts the verification
//!   clock (核查时限), which verify meets. A return (退单) drops the handler's clocks.
//! - An approved extension moves the resolution deadline by its working days.
//! - Parking (挂账) pauses every running clock; unparking resumes it with the time it had left.
//! - A dispatcher's tier change recomputes the acceptance and resolution deadlines from their
//!   start with the new tier's allowances.
//! - At `warning_percent` of the allowed time the worker fires a warning, at the deadline an
//!   overdue event and a level-1 supervision (督办); level 2 (the district) and level 3 (挂牌督办,
//!   listed) follow after configurable numbers of working days overdue. Each fires once per
//!   clock; a catch-up fires only the current state.
//! - An official year imported over a provisional one re-times clocks (`Deadline::retime`)
//!   without re-arming what has fired.

mod clock;
mod policy;

pub use clock::{ClockState, Deadline, DeadlineStatus, Escalation, Firing, MAX_SUPERVISION_LEVEL, react};
pub use policy::{DeadlinePolicy, parse_allowance};

use serde::{Deserialize, Serialize};

/// Which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// 签收: the handling unit acknowledges the case.
    Acceptance,
    /// 办理: the handling unit resolves the case.
    Resolution,
    /// 核查: the result is checked on site.
    Verification,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 3] = [DeadlineKind::Acceptance, DeadlineKind::Resolution, DeadlineKind::Verification];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "acceptance",
            DeadlineKind::Resolution => "resolution",
            DeadlineKind::Verification => "verification",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        DeadlineKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How a clock's time is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Wall-clock time, 24×7.
    Wall,
    /// Working time on the calendar.
    Working,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Wall => "wall",
            Basis::Working => "working",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "wall" => Some(Basis::Wall),
            "working" => Some(Basis::Working),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
