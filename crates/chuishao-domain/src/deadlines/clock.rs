//! One SLA clock and how it reacts: to case events (`react`) and to time (`Deadline::fire`).

use crate::cases::CaseEvent;
use crate::category::UrgencyTier;
use crate::deadlines::{Basis, DeadlineKind, DeadlinePolicy};
use chuishao_calendar::{Allowance, Calendar, CalendarError};

/// What is stored about a clock's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockState {
    Running,
    Paused,
    Met,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Met => "met",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ClockState::Running, ClockState::Paused, ClockState::Met].into_iter().find(|x| x.as_str() == s)
    }
}

/// What a client is shown about a clock at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    Running,
    Paused,
    Met,
    Warning,
    Overdue,
}

/// What the timer worker records when a clock falls due. Each fires at most once per clock;
/// a catch-up after downtime fires only what is current (no warning once the deadline has
/// passed), and every escalation level that has come due, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    /// The warning share of the allowed time has run.
    Warning,
    /// The deadline has passed.
    Overdue,
    /// Automatic supervision (督办) at `level`: 1 at the deadline (the handling unit and its
    /// subdistrict), 2 after `Escalation::district_after_days` working days overdue (the
    /// district), 3 after a further `listed_after_days` (挂牌督办, listed).
    Supervision { level: u8 },
}

/// The highest automatic supervision level.
pub const MAX_SUPERVISION_LEVEL: u8 = 3;

/// When overdue work escalates: level 2 this many working days after the deadline, level 3
/// this many working days after level 2. Shared by case clocks and whistles' check-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalation {
    pub district_after_days: i64,
    pub listed_after_days: i64,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation { district_after_days: 3, listed_after_days: 7 }
    }
}

impl Escalation {
    /// The instant supervision `level` (1–3) falls due for work due at `due_at`; `None` past
    /// level 3 or past the calendar.
    pub fn level_at(&self, level: u8, due_at: i64, cal: &Calendar) -> Option<i64> {
        match level {
            1 => Some(due_at),
            2 => cal.due(due_at, Allowance::WorkingDays(self.district_after_days)).ok(),
            3 => {
                let two = self.level_at(2, due_at, cal)?;
                cal.due(two, Allowance::WorkingDays(self.listed_after_days)).ok()
            }
            _ => None,
        }
    }

    /// The levels above `reached` that have come due at `now`, lowest first.
    pub fn due_levels(&self, reached: u8, due_at: i64, now: i64, cal: &Calendar) -> Vec<u8> {
        ((reached + 1)..=MAX_SUPERVISION_LEVEL)
            .take_while(|l| self.level_at(*l, due_at, cal).is_some_and(|at| at <= now))
            .collect()
    }
}

/// One clock on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub tier: UrgencyTier,
    pub basis: Basis,
    /// The allowed time in `basis` units, extensions included, parked time excluded.
    pub allowed_ms: i64,
    pub started_at: i64,
    pub due_at: i64,
    pub warn_at: i64,
    pub state: ClockState,
    pub paused_at: Option<i64>,
    /// Working days added by approved extensions.
    pub extension_days: u32,
    /// Time spent parked, in both measures (the tier, and so the basis, may change later).
    pub credit_wall_ms: i64,
    pub credit_working_ms: i64,
    pub warned_at: Option<i64>,
    pub overdue_at: Option<i64>,
    pub met_at: Option<i64>,
    /// The automatic supervision level reached for the current deadline (0–3; stored in the
    /// `supervisions` column, which counted overdue periods before levels).
    pub supervisions: u32,
}

fn basis_of(a: Allowance) -> Basis {
    match a {
        Allowance::WallMs(_) => Basis::Wall,
        Allowance::WorkingMs(_) | Allowance::WorkingDays(_) => Basis::Working,
    }
}

impl Deadline {
    /// A clock of `kind` for a case of `tier`, started at `now`.
    pub fn start(
        kind: DeadlineKind,
        tier: UrgencyTier,
        now: i64,
        cal: &Calendar,
        policy: &DeadlinePolicy,
    ) -> Result<Self, CalendarError> {
        let mut d = Deadline {
            kind,
            tier,
            basis: basis_of(policy.allowance(kind, tier)),
            allowed_ms: 0,
            started_at: now,
            due_at: now,
            warn_at: now,
            state: ClockState::Running,
            paused_at: None,
            extension_days: 0,
            credit_wall_ms: 0,
            credit_working_ms: 0,
            warned_at: None,
            overdue_at: None,
            met_at: None,
            supervisions: 0,
        };
        d.recompute(now, cal, policy)?;
        Ok(d)
    }

    /// Recomputes the due and warning instants from the start, the tier's allowance, the
    /// extensions and the parked time; re-arms the warning and the overdue mark if the deadline
    /// moved past `now` (a new deadline granted: an extension, a tier change, a resume). The
    /// supervision level reached stays: each level fires once per clock, and a missed new
    /// deadline escalates from there.
    fn recompute(&mut self, now: i64, cal: &Calendar, policy: &DeadlinePolicy) -> Result<(), CalendarError> {
        self.recompute_due(cal, policy)?;
        if self.warn_at > now {
            self.warned_at = None;
        }
        if self.due_at > now {
            self.overdue_at = None;
        }
        Ok(())
    }

    /// Recomputes the due and warning instants on `cal` (a calendar whose schedule changed:
    /// an official year imported over a provisional one) without re-arming anything, so
    /// nothing fires twice. Paused clocks stay paused (their deadline as it stood when they
    /// stopped is recomputed). Returns the old and new deadline when it moved.
    pub fn retime(&mut self, cal: &Calendar, policy: &DeadlinePolicy) -> Result<Option<(i64, i64)>, CalendarError> {
        if self.state == ClockState::Met || self.basis == Basis::Wall {
            return Ok(None);
        }
        let (old_due, old_warn) = (self.due_at, self.warn_at);
        self.recompute_due(cal, policy)?;
        if self.due_at == old_due && self.warn_at == old_warn {
            return Ok(None);
        }
        Ok(Some((old_due, self.due_at)))
    }

    fn recompute_due(&mut self, cal: &Calendar, policy: &DeadlinePolicy) -> Result<(), CalendarError> {
        let base = policy.allowance(self.kind, self.tier);
        self.basis = basis_of(base);
        let mut due = cal.due(self.started_at, base)?;
        if self.extension_days > 0 {
            due = cal.due(due, Allowance::WorkingDays(i64::from(self.extension_days)))?;
        }
        match self.basis {
            Basis::Wall => {
                due += self.credit_wall_ms;
                self.allowed_ms = (due - self.started_at - self.credit_wall_ms).max(0);
            }
            Basis::Working => {
                due = cal.due(due, Allowance::WorkingMs(self.credit_working_ms))?;
                self.allowed_ms = (cal.working_ms_between(self.started_at, due)? - self.credit_working_ms).max(0);
            }
        }
        self.due_at = due;
        self.warn_at = self.back(due, self.allowed_ms * (100 - policy.warning_percent) / 100, cal)?;
        Ok(())
    }

    /// Whether the deadline's computation crosses a year without an official schedule.
    pub fn provisional(&self, cal: &Calendar) -> bool {
        self.basis == Basis::Working && cal.provisional_between(self.started_at, self.due_at)
    }

    /// The instant `ms` (in this clock's basis) before `t`.
    fn back(&self, t: i64, ms: i64, cal: &Calendar) -> Result<i64, CalendarError> {
        match self.basis {
            Basis::Wall => Ok(t - ms),
            Basis::Working => cal.working_ms_before(t, ms),
        }
    }

    /// The next instant the timer worker must act on this clock, if any: its warning, its
    /// deadline, then each supervision level once.
    pub fn next_fire_at(&self, cal: &Calendar, escalation: &Escalation) -> Option<i64> {
        if self.state != ClockState::Running {
            return None;
        }
        if self.warned_at.is_none() && self.warn_at < self.due_at {
            return Some(self.warn_at);
        }
        if self.overdue_at.is_none() {
            return Some(self.due_at);
        }
        // The next level; past the calendar or past level 3 nothing fires.
        let level = u8::try_from(self.supervisions).unwrap_or(MAX_SUPERVISION_LEVEL);
        escalation.level_at(level.saturating_add(1), self.due_at, cal)
    }

    /// Fires whatever has fallen due by `now` and records it: the current state only (a
    /// warning overtaken by the deadline is recorded as given, not fired), each firing once.
    pub fn fire(&mut self, now: i64, cal: &Calendar, escalation: &Escalation) -> Vec<Firing> {
        let mut out = Vec::new();
        if self.state != ClockState::Running {
            return out;
        }
        if now < self.due_at {
            if self.warned_at.is_none() && self.warn_at <= now && self.warn_at < self.due_at {
                self.warned_at = Some(now);
                out.push(Firing::Warning);
            }
            return out;
        }
        if self.warned_at.is_none() {
            self.warned_at = Some(now);
        }
        if self.overdue_at.is_none() {
            self.overdue_at = Some(now);
            out.push(Firing::Overdue);
        }
        let reached = u8::try_from(self.supervisions).unwrap_or(MAX_SUPERVISION_LEVEL);
        for level in escalation.due_levels(reached, self.due_at, now, cal) {
            self.supervisions = u32::from(level);
            out.push(Firing::Supervision { level });
        }
        out
    }

    /// Working days late (rounded up) of a clock met after its deadline, or overdue at `now`;
    /// 0 when on time. Wall-clock clocks count whole days of 24 hours.
    pub fn days_late(&self, now: i64, cal: &Calendar) -> i64 {
        let at = match self.state {
            ClockState::Met => self.met_at.unwrap_or(now),
            ClockState::Paused => self.paused_at.unwrap_or(now),
            ClockState::Running => now,
        };
        if at <= self.due_at {
            return 0;
        }
        let (late, day) = match self.basis {
            Basis::Wall => (at - self.due_at, 86_400_000),
            Basis::Working => (cal.working_ms_between(self.due_at, at).unwrap_or(0), cal.hours().day_ms()),
        };
        if day <= 0 { 0 } else { (late + day - 1) / day }
    }

    /// What to show at `now`.
    pub fn status(&self, now: i64) -> DeadlineStatus {
        match self.state {
            ClockState::Met => DeadlineStatus::Met,
            ClockState::Paused => DeadlineStatus::Paused,
            ClockState::Running if now >= self.due_at => DeadlineStatus::Overdue,
            ClockState::Running if now >= self.warn_at => DeadlineStatus::Warning,
            ClockState::Running => DeadlineStatus::Running,
        }
    }

    /// Time left at `now` in this clock's basis (negative when overdue); frozen while paused
    /// and once met.
    pub fn remaining_ms(&self, now: i64, cal: &Calendar) -> i64 {
        let at = match self.state {
            ClockState::Met => self.met_at.unwrap_or(now),
            ClockState::Paused => self.paused_at.unwrap_or(now),
            ClockState::Running => now,
        };
        match self.basis {
            Basis::Wall => self.due_at - at,
            Basis::Working => cal.working_ms_between(at, self.due_at).unwrap_or(self.due_at - at),
        }
    }

    fn pause(&mut self, now: i64) {
        if self.state == ClockState::Running {
            self.state = ClockState::Paused;
            self.paused_at = Some(now);
        }
    }

    fn resume(&mut self, now: i64, cal: &Calendar, policy: &DeadlinePolicy) -> Result<(), CalendarError> {
        if let (ClockState::Paused, Some(p)) = (self.state, self.paused_at) {
            self.credit_wall_ms += (now - p).max(0);
            self.credit_working_ms += cal.working_ms_between(p, now)?.max(0);
            self.state = ClockState::Running;
            self.paused_at = None;
            self.recompute(now, cal, policy)?;
        }
        Ok(())
    }

    fn meet(&mut self, now: i64) {
        if self.state != ClockState::Met {
            self.state = ClockState::Met;
            self.met_at = Some(now);
            self.paused_at = None;
        }
    }
}

/// How the clocks of a case react to one of its events at `now`. `tier` is the case's tier
/// from its category and urgency, used when a clock starts and no earlier clock names one.
pub fn react(
    clocks: &mut Vec<Deadline>,
    event: &CaseEvent,
    tier: UrgencyTier,
    now: i64,
    cal: &Calendar,
    policy: &DeadlinePolicy,
) -> Result<(), CalendarError> {
    use DeadlineKind as K;
    match event {
        CaseEvent::Dispatched { .. } | CaseEvent::Reopened { .. } => {
            let tier = clocks.iter().find(|d| d.kind == K::Resolution).map_or(tier, |d| d.tier);
            clocks.clear();
            clocks.push(Deadline::start(K::Acceptance, tier, now, cal, policy)?);
            clocks.push(Deadline::start(K::Resolution, tier, now, cal, policy)?);
        }
        CaseEvent::Accepted { .. } => meet(clocks, K::Acceptance, now),
        CaseEvent::Returned { .. } => clocks.retain(|d| !matches!(d.kind, K::Acceptance | K::Resolution)),
        CaseEvent::ExtensionApproved { days } => {
            for d in clocks.iter_mut().filter(|d| d.kind == K::Resolution && d.state != ClockState::Met) {
                d.extension_days += days;
                if d.state == ClockState::Running {
                    d.recompute(now, cal, policy)?;
                }
            }
        }
        CaseEvent::Parked { .. } => clocks.iter_mut().for_each(|d| d.pause(now)),
        CaseEvent::Unparked => {
            for d in clocks.iter_mut() {
                d.resume(now, cal, policy)?;
            }
        }
        CaseEvent::Resolved { .. } => {
            meet(clocks, K::Acceptance, now);
            meet(clocks, K::Resolution, now);
            let tier = clocks.iter().find(|d| d.kind == K::Resolution).map_or(tier, |d| d.tier);
            clocks.retain(|d| d.kind != K::Verification);
            clocks.push(Deadline::start(K::Verification, tier, now, cal, policy)?);
        }
        CaseEvent::VerificationPassed { .. } | CaseEvent::VerificationFailed { .. } => {
            meet(clocks, K::Verification, now)
        }
        CaseEvent::TierChanged { tier, .. } => {
            for d in clocks.iter_mut().filter(|d| matches!(d.kind, K::Acceptance | K::Resolution)) {
                d.tier = *tier;
                if d.state == ClockState::Running {
                    d.recompute(now, cal, policy)?;
                } else if d.state == ClockState::Paused {
                    // Recomputed on resume; the basis follows the tier now so the view is honest.
                    d.basis = basis_of(policy.allowance(d.kind, *tier));
                }
            }
        }
        CaseEvent::Rejected { .. } | CaseEvent::MergedInto { .. } | CaseEvent::Closed => {
            clocks.retain(|d| d.state == ClockState::Met)
        }
        _ => {}
    }
    Ok(())
}

fn meet(clocks: &mut [Deadline], kind: DeadlineKind, now: i64) {
    for d in clocks.iter_mut().filter(|d| d.kind == kind) {
        d.meet(now);
    }
}
