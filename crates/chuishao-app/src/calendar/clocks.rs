//! The clocks on cases as use cases see them: started, stopped, paused and moved inside the
//! transition's transaction (so a case and its clocks never disagree), and shown in case views.

use crate::Result;
use crate::calendar::CalendarService;
use crate::time::rfc3339;
use chuishao_domain::cases::{Case, CaseEvent, Urgency};
use chuishao_domain::category::UrgencyTier;
use chuishao_domain::deadlines::{ClockState, Deadline, DeadlineKind, DeadlineStatus, MAX_SUPERVISION_LEVEL, react};
use chuishao_store::{DeadlineWrite, Tx};
use serde::Serialize;

/// One clock as clients see it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DeadlineView {
    /// `acceptance` (签收), `resolution` (办理) or `verification` (核查).
    pub kind: &'static str,
    /// `emergency`, `utilities`, `normal` or `complex`.
    pub tier: &'static str,
    /// `wall` (24×7) or `working` (working time on the calendar).
    pub basis: &'static str,
    pub started_at: String,
    /// RFC 3339, +08:00. While paused: the deadline as it stood when the clock stopped.
    pub due_at: String,
    /// When the warning fires (80% of the allowed time by default).
    pub warn_at: String,
    #[schema(value_type = String, example = "running")]
    pub state: DeadlineStatus,
    /// Time left, in the clock's basis (working seconds for working clocks); negative when
    /// overdue; frozen while paused and once met.
    pub remaining_seconds: i64,
    pub met_at: Option<String>,
    /// Automatic supervisions (督办) of this clock: one per level reached, so at most 3.
    pub supervisions: u32,
    /// What the clock is, for people: `acceptance` (签收), `resolution` (办理), `extension`
    /// (延期: the resolution clock running on an approved extension) or `verification` (核查).
    pub name: &'static str,
    /// Working days added by approved extensions.
    pub extension_days: u32,
    /// `true` when the deadline's working time crosses a year without an official schedule
    /// (computed from the statutory rules): it may move when that year is imported.
    pub provisional: bool,
    /// The automatic supervision level reached: 0, 1 (the handling unit and its subdistrict),
    /// 2 (the district), 3 (挂牌督办, listed).
    pub supervision_level: u32,
    /// A stopped (met) clock's outcome: `on_time` or `late`; absent while it runs or is paused.
    pub outcome: Option<&'static str>,
    /// Working days (24-hour days for wall-clock clocks) past the deadline, rounded up: how
    /// late a met clock was, or how long a running one has been overdue; 0 when on time.
    pub days_late: i64,
}

fn affects_clocks(e: &CaseEvent) -> bool {
    matches!(
        e,
        CaseEvent::Dispatched { .. }
            | CaseEvent::Reopened { .. }
            | CaseEvent::Accepted { .. }
            | CaseEvent::Returned { .. }
            | CaseEvent::ExtensionApproved { .. }
            | CaseEvent::Parked { .. }
            | CaseEvent::Unparked
            | CaseEvent::Resolved { .. }
            | CaseEvent::VerificationPassed { .. }
            | CaseEvent::VerificationFailed { .. }
            | CaseEvent::TierChanged { .. }
            | CaseEvent::Rejected { .. }
            | CaseEvent::MergedInto { .. }
            | CaseEvent::Closed
    )
}

impl CalendarService<'_> {
    /// The tier a case's clocks start on: emergency for urgent cases, else its category's.
    pub(crate) async fn case_tier(&self, case: &Case) -> Result<UrgencyTier> {
        if case.urgency == Urgency::Urgent {
            return Ok(UrgencyTier::Emergency);
        }
        Ok(match &case.category_code {
            Some(code) => self.admin().category_with_status(code).await?.map_or(UrgencyTier::Normal, |(c, _)| c.tier),
            None => UrgencyTier::Normal,
        })
    }

    /// Lets the case's clocks react to its new events, inside the transition's transaction.
    /// A clock that cannot be computed (past the loaded calendar) fails the transition.
    /// Returns whether the clocks changed (the timer worker is then woken after commit).
    pub(crate) async fn react_clocks(&self, tx: &mut Tx, case: &Case, events: &[CaseEvent], now: i64) -> Result<bool> {
        if !events.iter().any(affects_clocks) {
            return Ok(false);
        }
        let tier = self.case_tier(case).await?;
        let cal = self.current();
        let policy = self.deadline_policy();
        let mut clocks = tx.case_deadlines_for_update(case.id.0).await?;
        for e in events {
            react(&mut clocks, e, tier, now, &cal, &policy)?;
        }
        let writes: Vec<DeadlineWrite<'_>> = clocks
            .iter()
            .map(|d| DeadlineWrite {
                case_id: case.id.0,
                deadline: d,
                next_fire_at: d.next_fire_at(&cal, &policy.escalation),
            })
            .collect();
        tx.replace_case_deadlines(case.id.0, &writes).await?;
        Ok(true)
    }

    /// Wakes the timer worker (after a commit that changed clocks).
    pub(crate) fn wake_timer(&self) {
        self.deadlines.wake.notify_one();
    }

    /// Clocks as views, at the app's current time.
    pub(crate) fn deadline_views(&self, clocks: &[Deadline]) -> Vec<DeadlineView> {
        let now = self.now_ms();
        let cal = self.current();
        clocks
            .iter()
            .map(|d| DeadlineView {
                kind: d.kind.as_str(),
                tier: d.tier.as_str(),
                basis: d.basis.as_str(),
                started_at: rfc3339(d.started_at),
                due_at: rfc3339(d.due_at),
                warn_at: rfc3339(d.warn_at),
                state: d.status(now),
                remaining_seconds: d.remaining_ms(now, &cal).div_euclid(1000),
                met_at: d.met_at.map(rfc3339),
                supervisions: d.supervisions.min(u32::from(MAX_SUPERVISION_LEVEL)),
                name: match d.kind {
                    DeadlineKind::Resolution if d.extension_days > 0 => "extension",
                    k => k.as_str(),
                },
                extension_days: d.extension_days,
                provisional: d.provisional(&cal),
                supervision_level: d.supervisions.min(u32::from(MAX_SUPERVISION_LEVEL)),
                outcome: (d.state == ClockState::Met)
                    .then(|| if d.days_late(now, &cal) > 0 { "late" } else { "on_time" }),
                days_late: d.days_late(now, &cal),
            })
            .collect()
    }

    /// The clocks of a case, as views.
    pub async fn case_deadlines(&self, case_id: i64) -> Result<Vec<DeadlineView>> {
        Ok(self.deadline_views(&self.store.case_deadlines(case_id).await?))
    }
}
