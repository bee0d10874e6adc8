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

/// What the timer worker records when a clock falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firing {
    /// The warning share of the allowed time has run.
    Warning,
    /// The deadline has passed; `period` is 1 at the deadline, 2 one allowed period later…
    /// Periods missed while no worker ran collapse into one firing naming the latest.
    Overdue { period: u32 },
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
    /// Overdue periods fired for the current deadline.
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
    /// extensions and the parked time; re-arms what has fired if the deadline moved past `now`.
    fn recompute(&mut self, now: i64, cal: &Calendar, policy: &DeadlinePolicy) -> Result<(), CalendarError> {
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
        if self.warn_at > now {
            self.warned_at = None;
        }
        if self.due_at > now {
            self.overdue_at = None;
            self.supervisions = 0;
        }
        Ok(())
    }

    /// The instant `ms` (in this clock's basis) before `t`.
    fn back(&self, t: i64, ms: i64, cal: &Calendar) -> Result<i64, CalendarError> {
        match self.basis {
            Basis::Wall => Ok(t - ms),
            Basis::Working => cal.working_ms_before(t, ms),
        }
    }

    /// The instant `ms` (in this clock's basis) after `t`.
    fn forward(&self, t: i64, ms: i64, cal: &Calendar) -> Result<i64, CalendarError> {
        match self.basis {
            Basis::Wall => Ok(t + ms),
            Basis::Working => cal.due(t, Allowance::WorkingMs(ms)),
        }
    }

    /// The next instant the timer worker must act on this clock, if any.
    pub fn next_fire_at(&self, cal: &Calendar) -> Option<i64> {
        if self.state != ClockState::Running {
            return None;
        }
        if self.warned_at.is_none() && self.warn_at < self.due_at {
            return Some(self.warn_at);
        }
        if self.overdue_at.is_none() {
            return Some(self.due_at);
        }
        if self.allowed_ms <= 0 {
            return None;
        }
        // The next overdue period. Past the loaded calendar, wait for an import: nothing fires.
        let periods = i64::from(self.supervisions.max(1));
        self.forward(self.due_at, self.allowed_ms.saturating_mul(periods), cal).ok()
    }

    /// Fires whatever has fallen due by `now` and records it.
    pub fn fire(&mut self, now: i64, cal: &Calendar) -> Vec<Firing> {
        let mut out = Vec::new();
        if self.state != ClockState::Running {
            return out;
        }
        if self.warned_at.is_none() && self.warn_at <= now && self.warn_at < self.due_at {
            self.warned_at = Some(now);
            out.push(Firing::Warning);
        }
        if now < self.due_at {
            return out;
        }
        if self.warned_at.is_none() {
            self.warned_at = Some(now);
        }
        let mut period = self.supervisions;
        if self.overdue_at.is_none() {
            self.overdue_at = Some(now);
            period = 1;
        }
        while let Some(next) = self.next_period_at(period, cal)
            && next <= now
        {
            period += 1;
        }
        if period > self.supervisions {
            self.supervisions = period;
            out.push(Firing::Overdue { period });
        }
        out
    }

    fn next_period_at(&self, period: u32, cal: &Calendar) -> Option<i64> {
        if self.allowed_ms <= 0 || period == 0 {
            return None;
        }
        self.forward(self.due_at, self.allowed_ms.saturating_mul(i64::from(period)), cal).ok()
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
