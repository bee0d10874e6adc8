//! Re-timing: when a year's schedule changes under running clocks (an official year imported
//! over a provisional one, or a corrected official year), every clock whose deadline is
//! computed across that year is recomputed on the new calendar. A clock whose deadline moved
//! gets a `deadline_retimed` event naming the old and the new deadline (a whistle unit still
//! to check in, `whistle_check_in_retimed`, `App::retime_whistle_pass`); what has fired stays
//! fired (nothing fires twice), paused clocks stay paused, and the timer worker takes the new
//! instants from there (an already-passed new deadline fires overdue, never the warning).
//!
//! The node that imports runs the pass right after the import; every other node runs it when
//! its periodic reload sees a year change (within `MAX_SLEEP`), which also fixes a clock a
//! stale node computed meanwhile. The pass is idempotent: a clock already on the new calendar
//! does not move, so running it twice, or on two nodes at once, writes nothing twice. Case and
//! whistle rows are taken `for update skip locked` (PostgreSQL); a row a user's transaction
//! holds is retried after a short pause.

use crate::Result;
use crate::calendar::CalendarService;
use crate::record::{Change, append};
use chuishao_calendar::{CST_OFFSET_MS, Calendar};
use chuishao_domain::cases::CaseEvent;
use std::time::Duration;

/// Cases re-timed per transaction.
const RETIME_BATCH: i64 = 200;
/// Rounds of retrying cases a user's transaction held.
const RETRIES: usize = 50;

/// The UTC instants bounding local year `y`: [1 January 00:00, next 1 January 00:00).
fn year_bounds(y: i32) -> Option<(i64, i64)> {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis() - CST_OFFSET_MS)
    };
    Some((start(y)?, start(y + 1)?))
}

/// The records whose deadlines a year's schedule can move.
#[derive(Debug, Clone, Copy)]
enum Timed {
    /// Case clocks (`deadline_retimed`).
    Cases,
    /// Whistle units' check-in deadlines (`whistle_check_in_retimed`).
    Whistles,
}

impl CalendarService<'_> {
    /// Re-times the clocks of cases, and the check-in deadlines of open whistles' units still
    /// to check in, computed across any of `years`, on the calendar in use. Returns how many
    /// deadlines moved.
    pub async fn retime_clocks(&self, years: &[i32]) -> Result<usize> {
        let mut moved = 0;
        for year in years {
            let Some((start, end)) = year_bounds(*year) else { continue };
            for timed in [Timed::Cases, Timed::Whistles] {
                let mut pending: Option<Vec<i64>> = None;
                for round in 0..=RETRIES {
                    let only = pending.as_deref();
                    let (n, skipped) = match timed {
                        Timed::Cases => self.retime_pass(start, end, only).await?,
                        Timed::Whistles => self.whistles().retime_whistle_pass(start, end, only, RETIME_BATCH).await?,
                    };
                    moved += n;
                    if skipped.is_empty() {
                        break;
                    }
                    if round == RETRIES {
                        tracing::warn!(
                            year,
                            ?timed,
                            records = skipped.len(),
                            "re-timing: records stayed locked; run `chuishao calendar retime`"
                        );
                        break;
                    }
                    pending = Some(skipped);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        if moved > 0 {
            self.wake_timer();
        }
        Ok(moved)
    }

    /// One pass over the candidate cases (all, or `only` these): returns the clocks moved and
    /// the cases skipped because another transaction held them.
    async fn retime_pass(&self, start: i64, end: i64, only: Option<&[i64]>) -> Result<(usize, Vec<i64>)> {
        let (cal, policy) = (self.current(), self.deadline_policy());
        let escalation = policy.escalation;
        let (mut moved, mut skipped, mut cursor) = (0, Vec::new(), 0i64);
        loop {
            let ids: Vec<i64> = match only {
                Some(ids) => ids.iter().copied().filter(|id| *id > cursor).take(RETIME_BATCH as usize).collect(),
                None => self.store.retime_candidates(start, end, cursor, RETIME_BATCH).await?,
            };
            let Some(last) = ids.last().copied() else { break };
            cursor = last;
            let now = self.now_ms();
            let mut tx = self.store.begin().await?;
            let rows = tx.cases_for_timer(&ids).await?;
            let locked: Vec<i64> = rows.iter().map(|r| r.id).collect();
            skipped.extend(ids.iter().filter(|id| !locked.contains(id)));
            let clocks = tx.deadlines_of_cases(&locked).await?;
            let mut changed = Vec::new();
            let mut changes = Vec::new();
            for row in rows {
                let case = row.to_domain()?;
                let mut events = Vec::new();
                for (_, mut d) in clocks.iter().filter(|(id, _)| *id == row.id).cloned() {
                    if let Some((from, to)) = retime_one(&mut d, &cal, &policy)? {
                        events.push(CaseEvent::DeadlineRetimed { deadline: d.kind, from_due_at: from, due_at: to });
                        changed.push((row.id, d));
                    }
                }
                if !events.is_empty() {
                    let version = case.version;
                    changes.push(Change::at_version(case, version, events));
                }
            }
            tx.rewrite_deadlines(&super::worker::clock_writes(&changed, &cal, &escalation)).await?;
            append(&mut tx, &changes, None, now).await?;
            tx.commit().await?;
            moved += changed.len();
            self.cases().public_views_changed(changes.iter().map(|c| c.state.id.0));
            if !changes.is_empty() {
                self.ops().wake_delivery();
            }
        }
        Ok((moved, skipped))
    }
}

/// Recomputes one clock; a clock the new calendar cannot compute (past 2100) keeps its
/// deadline.
fn retime_one(
    d: &mut chuishao_domain::deadlines::Deadline,
    cal: &Calendar,
    policy: &chuishao_domain::deadlines::DeadlinePolicy,
) -> Result<Option<(i64, i64)>> {
    let before = d.clone();
    match d.retime(cal, policy) {
        Ok(moved) => Ok(moved),
        Err(e) => {
            tracing::warn!(error = %e, "re-timing a clock failed; it keeps its deadline");
            *d = before;
            Ok(None)
        }
    }
}
