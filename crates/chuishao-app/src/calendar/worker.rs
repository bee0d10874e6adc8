//! The timer worker: fires deadline warnings, overdue events and automatic supervision (督办)
//! by levels: level 1 at the deadline (to the handling unit's superior, its subdistrict), level
//! 2 after some working days overdue (the district), level 3 after more (挂牌督办, listed).
//! Each level fires once per clock and is announced once per case: a case whose other clock
//! already reached a level is not supervised at that level again.
//!
//! Clocks are indexed by the next instant they need attention (`next_fire_at`); a tick reads
//! only the rows that fell due, and the worker sleeps until the earliest next one, or until a
//! transition changes a clock on this node (or at most `MAX_SLEEP`, to see clocks other nodes
//! wrote). After downtime the first tick catches up with the current state only: an overdue
//! clock records overdue and the levels due, never the warning the deadline overtook.
//!
//! Exactly once across nodes: a tick claims due clocks `for update skip locked` and then takes
//! each case row `for update skip locked`; what fired is recorded on the clock in the same
//! transaction as the events, so a clock another worker already handled is no longer due.
//! System events (`deadline_warning`, `deadline_overdue`, automatic `supervised`) go on the
//! case's timeline and the hash chain but do not bump the case's version: a user editing the
//! case never gets a version conflict because a clock fired.

use crate::Result;
use crate::calendar::CalendarService;
use crate::calendar::SupervisionTarget;
use crate::record::{Change, append};
use chuishao_calendar::Calendar;
use chuishao_domain::cases::{CaseEvent, apply_event};
use chuishao_domain::deadlines::{Deadline, DeadlineKind, Escalation, Firing};
use chuishao_domain::ids::OrgId;
use chuishao_domain::org::OrgKind;
use chuishao_store::DeadlineWrite;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// Clocks claimed per transaction.
pub const TICK_BATCH: i64 = 500;
/// Longest sleep between ticks (to notice clocks written by other nodes).
pub const MAX_SLEEP: Duration = Duration::from_secs(30);

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub warnings: usize,
    pub overdue: usize,
    pub supervisions: usize,
    /// Cases left for the next tick because a user's transaction held them.
    pub skipped_cases: usize,
}

/// The note an automatic supervision of `kind` at `level` carries (zh and en, as stored),
/// from the catalogue.
fn supervision_note(kind: DeadlineKind, level: u8, escalation: &Escalation) -> String {
    let days = match level {
        1 => 0,
        2 => escalation.district_after_days,
        _ => escalation.district_after_days + escalation.listed_after_days,
    };
    chuishao_i18n::cases::level_supervision_note(kind, level, days)
}

/// The rows to write for clocks `(case_id, clock)`, each with its next firing instant.
pub(crate) fn clock_writes<'a>(
    clocks: &'a [(i64, Deadline)],
    cal: &Calendar,
    escalation: &Escalation,
) -> Vec<DeadlineWrite<'a>> {
    clocks
        .iter()
        .map(|(case_id, d)| DeadlineWrite {
            case_id: *case_id,
            deadline: d,
            next_fire_at: d.next_fire_at(cal, escalation),
        })
        .collect()
}

/// Counts what a committed tick fired and how late it fired.
fn record_timer_metrics(appended: &[(i64, i64, CaseEvent)], lags_ms: &[i64]) {
    let m = chuishao_metrics::metrics();
    for (_, _, e) in appended {
        m.timer_fired.inc(&[e.kind()]);
    }
    let worst = lags_ms.iter().copied().max().unwrap_or(0).max(0);
    for lag in lags_ms {
        m.timer_lag.observe(&[], (*lag).max(0) as f64 / 1000.0);
    }
    if !lags_ms.is_empty() {
        m.timer_last_lag.set(worst as f64 / 1000.0);
    }
}

impl CalendarService<'_> {
    /// The organisation an overdue case of `handler` is escalated to. `district` caches the
    /// district for the tick.
    pub(crate) async fn supervising_org(
        &self,
        handler: Option<OrgId>,
        district: &mut Option<Option<OrgId>>,
    ) -> Result<Option<OrgId>> {
        let lineage = match handler {
            Some(h) => self.admin().org_lineage(h).await?,
            None => Vec::new(),
        };
        let target = self.supervision_target();
        if target == SupervisionTarget::Superior && lineage.len() >= 2 {
            return Ok(Some(lineage[lineage.len() - 2].id));
        }
        if let Some(d) = lineage.iter().find(|n| n.kind == OrgKind::District) {
            return Ok(Some(d.id));
        }
        if district.is_none() {
            *district = Some(self.store.list_orgs(Some(OrgKind::District)).await?.first().map(|d| d.id));
        }
        Ok(district.flatten())
    }

    /// Where supervision `levels` go for work handled by `handler`: level 1 to the handler's
    /// superior organisation (`supervising_org`), levels 2 and 3 to the district.
    pub(crate) async fn escalation_targets(
        &self,
        handler: Option<OrgId>,
        levels: &[u8],
        district: &mut Option<Option<OrgId>>,
    ) -> Result<Vec<(u8, Option<OrgId>)>> {
        let mut out = Vec::with_capacity(levels.len());
        for &level in levels {
            let to = if level <= 1 {
                self.supervising_org(handler, district).await?
            } else {
                self.district_of(handler, district).await?
            };
            out.push((level, to));
        }
        Ok(out)
    }

    /// The district `handler` belongs to, else the deployment's (first) district.
    async fn district_of(&self, handler: Option<OrgId>, district: &mut Option<Option<OrgId>>) -> Result<Option<OrgId>> {
        if let Some(h) = handler
            && let Some(d) = self.admin().org_lineage(h).await?.iter().find(|n| n.kind == OrgKind::District)
        {
            return Ok(Some(d.id));
        }
        if district.is_none() {
            *district = Some(self.store.list_orgs(Some(OrgKind::District)).await?.first().map(|d| d.id));
        }
        Ok(district.flatten())
    }

    /// Fires every clock due at `now`. Safe to run on several nodes at once.
    pub async fn timer_tick(&self, now: i64) -> Result<TickReport> {
        let mut report = TickReport::default();
        let cal = self.current();
        let escalation = self.deadline_policy().escalation;
        let mut district = None;
        loop {
            let mut tx = self.store.begin().await?;
            let claimed = tx.claim_due_deadlines(now, TICK_BATCH).await?;
            if claimed.is_empty() {
                break;
            }
            let full = claimed.len() as i64 == TICK_BATCH;
            let mut by_case: BTreeMap<i64, Vec<_>> = BTreeMap::new();
            for (case_id, d) in claimed {
                by_case.entry(case_id).or_default().push(d);
            }
            let ids: Vec<i64> = by_case.keys().copied().collect();
            let rows = tx.cases_for_timer(&ids).await?;
            let skipped = ids.len() - rows.len();
            // Each case's automatic supervision level so far, over all its clocks.
            let mut case_levels: BTreeMap<i64, u32> = BTreeMap::new();
            let locked: Vec<i64> = rows.iter().map(|r| r.id).collect();
            for (case_id, d) in tx.deadlines_of_cases(&locked).await? {
                let level = case_levels.entry(case_id).or_default();
                *level = (*level).max(d.supervisions);
            }
            let mut appended: Vec<(i64, i64, CaseEvent)> = Vec::new();
            let mut changes = Vec::new();
            let mut fired = Vec::new();
            let mut lags_ms: Vec<i64> = Vec::new();
            for row in rows {
                let case_id = row.id;
                let Some(mut clocks) = by_case.remove(&case_id) else { continue };
                let mut case = row.to_domain()?;
                let mut case_level = case_levels.get(&case_id).copied().unwrap_or(0);
                let mut events = Vec::new();
                for d in clocks.iter_mut() {
                    if let Some(scheduled) = d.next_fire_at(&cal, &escalation) {
                        lags_ms.push(now - scheduled);
                    }
                    for firing in d.fire(now, &cal, &escalation) {
                        match firing {
                            Firing::Warning => {
                                report.warnings += 1;
                                events.push(CaseEvent::DeadlineWarning { deadline: d.kind, due_at: d.due_at });
                            }
                            Firing::Overdue => {
                                report.overdue += 1;
                                events.push(CaseEvent::DeadlineOverdue {
                                    deadline: d.kind,
                                    due_at: d.due_at,
                                    period: 1,
                                });
                            }
                            // One supervision per case and level, whichever clock reached it.
                            Firing::Supervision { level } if u32::from(level) <= case_level => {}
                            Firing::Supervision { level } => {
                                case_level = u32::from(level);
                                let targets =
                                    self.escalation_targets(case.handler_id(), &[level], &mut district).await?;
                                let to = targets.first().and_then(|(_, to)| *to);
                                let ev = CaseEvent::Supervised {
                                    note: supervision_note(d.kind, level, &escalation),
                                    count: case.supervision_count + 1,
                                    to_org_id: to,
                                    level: Some(level),
                                };
                                apply_event(&mut case, &ev);
                                report.supervisions += 1;
                                events.push(ev);
                            }
                        }
                    }
                }
                // Same version: system events do not bump it.
                appended.extend(events.iter().map(|e| (case_id, case.version, e.clone())));
                if !events.is_empty() {
                    let version = case.version;
                    changes.push(Change::at_version(case, version, events));
                }
                fired.extend(clocks.into_iter().map(|d| (case_id, d)));
            }
            tx.rewrite_deadlines(&clock_writes(&fired, &cal, &escalation)).await?;
            append(&mut tx, &changes, None, now).await?;
            tx.commit().await?;
            record_timer_metrics(&appended, &lags_ms);
            self.cases().public_views_changed(appended.iter().map(|(case_id, _, _)| *case_id));
            if !appended.is_empty() {
                self.ops().wake_delivery();
            }
            report.skipped_cases += skipped;
            if !full || skipped > 0 {
                break;
            }
        }
        // Whistles' check-in deadlines share the worker (same supervision rules).
        let (overdue, supervisions) = self.whistles().whistle_tick(now).await?;
        report.overdue += overdue;
        report.supervisions += supervisions;
        Ok(report)
    }

    /// The earliest instant a case clock or a whistle's check-in deadline needs the worker.
    async fn next_timer_fire_at(&self) -> chuishao_store::Result<Option<i64>> {
        let cases = self.store.next_deadline_fire_at().await?;
        let whistles = self.store.next_whistle_fire_at().await?;
        Ok(cases.into_iter().chain(whistles).min())
    }

    /// How long a worker sleeps before `next` (the earliest due instant it knows of): at most
    /// `MAX_SLEEP`, and a second when the lookup failed.
    pub(crate) fn pause_until(&self, next: chuishao_store::Result<Option<i64>>) -> Duration {
        match next {
            Ok(Some(at)) => Duration::from_millis((at - self.now_ms()).max(0) as u64).min(MAX_SLEEP),
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::warn!(error = %e, "worker: reading the next due instant failed");
                Duration::from_secs(1)
            }
        }
    }

    /// Reloads the calendar and re-times the clocks computed across any year that changed
    /// (idempotent, so also after another node did it). The timer worker and the cache
    /// watcher both call it.
    pub(crate) async fn follow_calendar(&self) -> Result<()> {
        let changed = self.load_calendar().await?;
        if !changed.is_empty() {
            self.retime_clocks(&changed).await?;
        }
        Ok(())
    }

    /// Runs the timer worker until `shutdown` completes: tick, then sleep until the next clock
    /// falls due, a local transition changes a clock, or `MAX_SLEEP` passes.
    pub async fn run_timer_worker(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        // Retention runs with the timer, at most hourly (idempotent on several nodes).
        let mut next_purge = 0;
        loop {
            if self.now_ms() >= next_purge {
                next_purge = self.now_ms() + 3_600_000;
                match self.ops().purge_contacts(self.now_ms(), false).await {
                    Ok(p) if !p.is_empty() => tracing::info!(purged = p.len(), "closed cases' contact details removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "timer worker: purging contact details failed"),
                }
            }
            // Calendar years imported on another node reach this one within a sleep; the clocks
            // computed across a changed year are re-timed (idempotent, so also after the
            // importing node did it).
            if let Err(e) = self.follow_calendar().await {
                tracing::warn!(error = %e, "timer worker: following the calendar failed; keeping the loaded one");
            }
            let pause = match self.timer_tick(self.now_ms()).await {
                Ok(r) if r.skipped_cases > 0 => Duration::from_millis(200),
                Ok(_) => self.pause_until(self.next_timer_fire_at().await),
                Err(e) => {
                    tracing::warn!(error = %e, "timer worker: tick failed; retrying");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.deadlines.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("timer worker stopped");
    }
}
