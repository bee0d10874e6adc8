//! Whistles (吹哨报到): raising, per-unit transitions, reads, the check-in timer and the
//! departments' scorecards. The same machinery as cases: events in the hash-chained log
//! (stream `whistle`), version-checked commands, the timer worker, automatic supervision and
//! the notification outbox.

mod board;
mod demo;
mod desk;
mod scorecard;

pub use board::{BOARD_LIMIT, BoardQuery, BoardUnit, BoardWhistle, WhistleBoard};
pub use desk::{WhistleAction, WhistleDesk, allowed_whistle_actions};
pub use scorecard::{DepartmentScorecard, ScorecardPage, SubdistrictWhistleRate};

context!(
    /// The whistles context's use cases: raising, per-unit transitions, reads, board, scorecards.
    Whistles,
    whistles
);

use crate::record::{Change, Stored, append};
use crate::time::rfc3339;
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::deadlines::{MAX_SUPERVISION_LEVEL, parse_allowance};
use chuishao_domain::ids::WhistleId;
use chuishao_domain::org::{OrgKind, OrgNode};
use chuishao_domain::whistle::{
    self, ACTIONS, Action, NewWhistle, OrgRef, SummonedUnit, Whistle, WhistleCommand, WhistleEvent, WhistleKind,
    WhistleStatus, may_raise,
};
use chuishao_store::{NewWhistleRow, Tx, WhistleRow, WhistleUnitRow};
use serde::{Deserialize, Serialize};

/// The event-log stream of whistles.
pub const STREAM: &str = chuishao_domain::record::StreamKind::Whistle.as_str();

/// One unit to summon.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummonInput {
    /// A department's or stationed unit's code.
    pub unit_code: String,
    pub task: String,
}

/// The body of `POST /api/v1/whistles`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhistleInput {
    /// `routine`, `joint_enforcement` or `emergency`.
    pub kind: String,
    /// The raising subdistrict or department (code); absent: the caller's own.
    #[serde(default)]
    pub raised_by_code: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Linked cases (none for a standalone matter); each keeps its own lifecycle.
    #[serde(default)]
    pub case_ids: Vec<i64>,
    pub lat: f64,
    pub lon: f64,
    pub address: String,
    pub units: Vec<SummonInput>,
    /// Check-in allowance overriding the kind's default: `30m`, `2h` (wall clock), `2wh`
    /// (working hours), `1wd` (working days).
    #[serde(default)]
    pub check_in_within: Option<String>,
}

/// The body of `POST /api/v1/whistles/{id}/transitions`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhistleTransitionInput {
    /// acknowledge, check_in, reply, report_done, confirm, rate, cancel.
    pub action: String,
    pub version: i64,
    /// The summoned unit acting or rated (every action but confirm and cancel).
    #[serde(default)]
    pub unit_code: Option<String>,
    /// check_in: where the unit is.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// check_in: required when far from the place.
    #[serde(default)]
    pub note: Option<String>,
    /// reply: the formal written reply.
    #[serde(default)]
    pub text: Option<String>,
    /// report_done: what was done.
    #[serde(default)]
    pub report: Option<String>,
    /// report_done: photo references.
    #[serde(default)]
    pub photos: Vec<String>,
    /// rate: 1–5.
    #[serde(default)]
    pub score: Option<i64>,
    /// rate (below 4), cancel.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A summoned unit as shown.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct UnitView {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub task: String,
    pub status: String,
    /// The check-in deadline.
    pub due_at: String,
    /// `true` when the check-in deadline counts working time across a year without an official
    /// schedule (computed from the statutory rules): it may move when that year is imported.
    pub provisional: bool,
    pub acknowledged_at: Option<String>,
    pub checked_in_at: Option<String>,
    pub late: bool,
    pub far: bool,
    pub distance_m: Option<f64>,
    pub done_at: Option<String>,
    pub overdue: bool,
    /// Minutes past the check-in deadline: still out, or how late the check-in was.
    pub minutes_late: i64,
    pub supervisions: u32,
    pub rating: Option<u8>,
}

/// A whistle as shown. A summoned department sees only its own unit's task.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct WhistleView {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub raised_by_id: i64,
    pub raised_by_code: String,
    pub raised_by_name: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub case_ids: Vec<i64>,
    pub raised_at: String,
    pub closed_at: Option<String>,
    pub version: i64,
    pub units: Vec<UnitView>,
}

/// One event of a whistle's history.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct WhistleEventView {
    pub seq: i64,
    pub version: i64,
    pub kind: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub actor_id: Option<i64>,
    pub at: String,
    pub hash: String,
}

fn org_ref(n: &OrgNode) -> OrgRef {
    OrgRef { id: n.id, code: n.code.clone(), kind: n.kind, path: n.path.clone() }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Whether the actor sees the whistle at all (the domain's rule, `access::WhistleScope`).
fn sees(actor: &Actor, w: &Whistle, place_path: &str) -> bool {
    actor.can_see_whistle(&w.scope(place_path))
}

/// The unit rows (scopes, scorecards, due index) of a folded whistle.
fn unit_rows(w: &Whistle) -> Vec<WhistleUnitRow> {
    w.units
        .iter()
        .map(|u| WhistleUnitRow {
            whistle_id: w.id.0,
            org_id: u.org.id.0,
            org_path: u.org.path.clone(),
            status: u.status.as_str().into(),
            raised_at: w.raised_at,
            due_at: u.due_at,
            checked_in_at: u.checked_in_at,
            late: u.late,
            done_at: u.done_at,
            rating: u.rating.map(i64::from),
            overdue_at: u.overdue_at,
            next_fire_at: whistle::next_fire_at(w, u),
        })
        .collect()
}

impl Stored for Whistle {
    async fn save<'a>(tx: &'a mut Tx, changes: &'a [Change<Whistle>], now: i64) -> Result<Option<&'a Change<Whistle>>> {
        for c in changes {
            let w = &c.state;
            let state = serde_json::to_string(w).map_err(internal)?;
            let closed_at = (w.status != WhistleStatus::Open).then_some(now);
            let units = unit_rows(w);
            if !tx
                .save_whistle(w.id.0, w.status.as_str(), &state, w.version, c.expected, now, closed_at, &units)
                .await?
            {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// A unit's event concerns the raiser and that unit; the others the raiser and every unit.
    fn scope_paths(w: &Whistle, event: &WhistleEvent) -> Vec<String> {
        let named = event.unit();
        std::iter::once(w.raised_by.path.clone())
            .chain(w.units.iter().filter(|u| named.is_none_or(|c| c == u.org.code)).map(|u| u.org.path.clone()))
            .collect()
    }
}

fn parse_state(row: &WhistleRow) -> Result<Whistle> {
    serde_json::from_str(&row.state).map_err(|e| internal(format!("whistle {} state: {e}", row.id)))
}

impl Whistles<'_> {
    /// Where a whistle takes place, as an org path: the grid (else community, else
    /// subdistrict) its point lies in; outside every area, the raiser's subdistrict (or the
    /// raiser itself when it belongs to none, as a district department does).
    async fn whistle_place(&self, raiser: &OrgRef, lat: f64, lon: f64) -> Result<String> {
        if (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
            && let Some(n) = self.grids().locate_org(lon, lat).await?
        {
            return Ok(n.path.clone());
        }
        let lineage = self.admin().org_lineage(raiser.id).await?;
        Ok(lineage
            .iter()
            .rev()
            .find(|n| matches!(n.kind, OrgKind::Subdistrict | OrgKind::Township))
            .map_or_else(|| raiser.path.clone(), |n| n.path.clone()))
    }

    /// The raiser: the named org, or the caller's first binding at a subdistrict, township,
    /// department or the district.
    async fn whistle_raiser(&self, actor: &Actor, code: Option<&str>) -> Result<OrgRef> {
        if let Some(code) = code {
            let n = self
                .admin()
                .org_by_code(code)
                .await?
                .ok_or_else(|| AppError::invalid("raised_by_code", "unknown organisation"))?;
            return Ok(org_ref(&n));
        }
        for b in &actor.bindings {
            if let Some(n) = self.admin().org(b.org_id).await?
                && matches!(
                    n.kind,
                    OrgKind::Subdistrict
                        | OrgKind::Township
                        | OrgKind::Department
                        | OrgKind::StationedUnit
                        | OrgKind::District
                )
            {
                return Ok(org_ref(&n));
            }
        }
        Err(AppError::Forbidden(format!("{} acts for no subdistrict or department", actor.username)))
    }

    /// Raises a whistle: every summoned unit's check-in clock starts now, and the `raised`
    /// event goes to the log and to the subscriptions of the raiser and each unit at once.
    pub async fn raise_whistle(&self, actor: &Actor, input: &WhistleInput) -> Result<WhistleView> {
        let kind = WhistleKind::parse(&input.kind).ok_or_else(|| {
            AppError::invalid("kind", format!("one of {}", WhistleKind::ALL.map(|k| k.as_str()).join(", ")))
        })?;
        let raiser = self.whistle_raiser(actor, input.raised_by_code.as_deref()).await?;
        if !may_raise(actor, &raiser) {
            return Err(AppError::Forbidden(format!("{} may not whistle for {}", actor.username, raiser.code)));
        }
        let allowance = match &input.check_in_within {
            Some(s) => parse_allowance(s).map_err(|e| AppError::invalid("check_in_within", e))?,
            None => self.calendar().whistle_policy().check_in_allowance(kind),
        };
        let now = self.now_ms();
        let due = self.calendar().current().due(now, allowance)?;
        let mut units = Vec::new();
        for u in &input.units {
            let n = self
                .admin()
                .org_by_code(&u.unit_code)
                .await?
                .ok_or_else(|| AppError::invalid("units", format!("unknown department {:?}", u.unit_code)))?;
            units.push((org_ref(&n), u.task.trim().to_string(), due));
        }
        for id in &input.case_ids {
            if self.store.case_by_id(chuishao_domain::ids::CaseId(*id)).await?.is_none() {
                return Err(AppError::invalid("case_ids", format!("unknown case {id}")));
            }
        }
        let new = NewWhistle {
            kind,
            raised_by: raiser.clone(),
            title: input.title.clone(),
            description: input.description.clone(),
            case_ids: input.case_ids.clone(),
            lat: input.lat,
            lon: input.lon,
            address: input.address.clone(),
            units,
            check_in_within: Some(allowance.into()),
        };
        let event = whistle::raise(&new)?;
        let place_path = self.whistle_place(&raiser, input.lat, input.lon).await?;
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_whistle(&NewWhistleRow {
                kind: kind.as_str(),
                raised_by_org_id: raiser.id.0,
                raised_by_path: &raiser.path,
                place_path: &place_path,
                title: input.title.trim(),
                description: &input.description,
                address: input.address.trim(),
                lat: input.lat,
                lon: input.lon,
                case_ids: &input.case_ids,
                raised_at: now,
            })
            .await?;
        let w = whistle::from_raised(WhistleId(id), &event, now);
        append(&mut tx, &[Change::at_version(w, 1, vec![event])], Some(actor.user_id.0), now).await?;
        tx.commit().await?;
        self.ops().wake_delivery();
        self.calendar().wake_timer();
        self.whistle_view(actor, WhistleId(id)).await
    }

    async fn visible_whistle(&self, actor: &Actor, id: WhistleId) -> Result<(WhistleRow, Whistle)> {
        let row = self.store.whistle(id.0).await?.ok_or(AppError::NotFound("whistle"))?;
        let w = parse_state(&row)?;
        if !sees(actor, &w, &row.place_path) {
            return Err(AppError::NotFound("whistle"));
        }
        Ok((row, w))
    }

    async fn view_of(&self, actor: &Actor, row: &WhistleRow, w: &Whistle) -> Result<WhistleView> {
        let now = self.now_ms();
        let (cal, policy) = (self.calendar().current(), self.calendar().whistle_policy());
        let scope = w.scope(&row.place_path);
        let raiser = self.admin().org(w.raised_by.id).await?;
        let mut units = Vec::new();
        for u in &w.units {
            if !actor.sees_whistle_unit(&scope, &u.org.path) {
                continue;
            }
            let name = self.admin().org(u.org.id).await?.map(|n| n.name_zh.clone()).unwrap_or_default();
            let late_ms = match u.checked_in_at {
                Some(t) => t - u.due_at,
                None if w.status == WhistleStatus::Open => now - u.due_at,
                None => 0,
            };
            units.push(UnitView {
                unit_id: u.org.id.0,
                unit_code: u.org.code.clone(),
                unit_name: name,
                task: u.task.clone(),
                status: u.status.as_str().into(),
                due_at: rfc3339(u.due_at),
                provisional: w.provisional(u, &cal, &policy),
                acknowledged_at: u.acknowledged_at.map(rfc3339),
                checked_in_at: u.checked_in_at.map(rfc3339),
                late: u.late,
                far: u.far,
                distance_m: u.distance_m,
                done_at: u.done_at.map(rfc3339),
                overdue: u.overdue_at.is_some(),
                minutes_late: (late_ms.max(0)) / 60_000,
                supervisions: u.supervisions,
                rating: u.rating,
            });
        }
        Ok(WhistleView {
            id: w.id.0,
            kind: w.kind.as_str().into(),
            status: w.status.as_str().into(),
            raised_by_id: w.raised_by.id.0,
            raised_by_code: w.raised_by.code.clone(),
            raised_by_name: raiser.map(|n| n.name_zh.clone()).unwrap_or_default(),
            title: row.title.clone(),
            description: row.description.clone(),
            address: row.address.clone(),
            lat: w.lat,
            lon: w.lon,
            case_ids: self.store.whistle_case_ids(row.id).await?,
            raised_at: rfc3339(w.raised_at),
            closed_at: row.closed_at.map(rfc3339),
            version: w.version,
            units,
        })
    }

    /// One whistle; outside the caller's scope it does not exist (404).
    pub async fn whistle_view(&self, actor: &Actor, id: WhistleId) -> Result<WhistleView> {
        let (row, w) = self.visible_whistle(actor, id).await?;
        self.view_of(actor, &row, &w).await
    }

    /// Whistles the caller raised or is summoned by (by scope), newest first.
    pub async fn list_whistles(&self, actor: &Actor, status: Option<&str>) -> Result<Vec<WhistleView>> {
        if let Some(s) = status
            && WhistleStatus::parse(s).is_none()
        {
            return Err(AppError::invalid("status", "open, closed or cancelled"));
        }
        let paths: Vec<String> = actor.read_paths().into_iter().map(String::from).collect();
        let rows = self.store.list_whistles(&paths, &paths, status, 500).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let w = parse_state(&row)?;
            out.push(self.view_of(actor, &row, &w).await?);
        }
        Ok(out)
    }

    /// A whistle's events, oldest first (same visibility as the whistle).
    pub async fn whistle_events(&self, actor: &Actor, id: WhistleId) -> Result<Vec<WhistleEventView>> {
        self.visible_whistle(actor, id).await?;
        let events = self.store.stream_events(STREAM, id.0).await?;
        Ok(events
            .into_iter()
            .map(|e| WhistleEventView {
                seq: e.seq,
                version: e.stream_version,
                kind: e.kind,
                data: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
                actor_id: e.actor_id,
                at: rfc3339(e.created_at),
                hash: e.hash,
            })
            .collect())
    }

    fn whistle_command(input: &WhistleTransitionInput) -> Result<WhistleCommand> {
        let unit =
            || input.unit_code.clone().ok_or_else(|| AppError::invalid("unit_code", "is required for this action"));
        let need =
            |field: &str, v: Option<String>| v.ok_or_else(|| AppError::invalid(field, "is required for this action"));
        let action = Action::parse(&input.action)
            .ok_or_else(|| AppError::invalid("action", format!("unknown action; one of {}", ACTIONS.join(", "))))?;
        Ok(match action {
            Action::Acknowledge => WhistleCommand::Acknowledge { unit: unit()? },
            Action::CheckIn => WhistleCommand::CheckIn {
                unit: unit()?,
                lat: input.lat.ok_or_else(|| AppError::invalid("lat", "is required for check_in"))?,
                lon: input.lon.ok_or_else(|| AppError::invalid("lon", "is required for check_in"))?,
                note: input.note.clone().filter(|n| !n.trim().is_empty()),
            },
            Action::Reply => WhistleCommand::Reply { unit: unit()?, text: need("text", input.text.clone())? },
            Action::ReportDone => WhistleCommand::ReportDone {
                unit: unit()?,
                report: need("report", input.report.clone())?,
                photos: input.photos.clone(),
            },
            Action::Confirm => WhistleCommand::Confirm,
            Action::Rate => WhistleCommand::Rate {
                unit: unit()?,
                score: input.score.ok_or_else(|| AppError::invalid("score", "is required for rate"))?,
                reason: input.reason.clone(),
            },
            Action::Cancel => WhistleCommand::Cancel { reason: need("reason", input.reason.clone())? },
        })
    }

    /// Applies one action, version-checked; the state and its events in one transaction.
    pub async fn whistle_transition(
        &self,
        actor: &Actor,
        id: WhistleId,
        input: &WhistleTransitionInput,
    ) -> Result<WhistleView> {
        let cmd = Self::whistle_command(input)?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let row = tx.whistle_for_update(id.0).await?.ok_or(AppError::NotFound("whistle"))?;
        let w = parse_state(&row)?;
        if !sees(actor, &w, &row.place_path) {
            return Err(AppError::NotFound("whistle"));
        }
        let (next, events) = whistle::execute(&w, actor, &cmd, input.version, now)?;
        let change = Change::at_version(next, w.version, events);
        append(&mut tx, std::slice::from_ref(&change), Some(actor.user_id.0), now).await?;
        let next = change.state;
        tx.commit().await?;
        self.ops().wake_delivery();
        self.view_of(actor, &row, &next).await
    }

    /// Fires the check-in deadlines due at `now`: `check_in_overdue` and an automatic
    /// supervision for a unit found out, another supervision each further period it stays
    /// out. Returns (units newly overdue, supervisions). Called by the timer worker's tick.
    pub(crate) async fn whistle_tick(&self, now: i64) -> Result<(usize, usize)> {
        let (mut overdue, mut supervisions) = (0, 0);
        let mut district = None;
        let (cal, escalation) = (self.calendar().current(), self.calendar().deadline_policy().escalation);
        loop {
            let mut tx = self.store.begin().await?;
            let ids = tx.due_whistles(now, crate::calendar::TICK_BATCH).await?;
            if ids.is_empty() {
                break;
            }
            let rows = tx.whistles_for_timer(&ids).await?;
            let skipped = rows.len() < ids.len();
            let mut changes = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut w = parse_state(row)?;
                let mut events = Vec::new();
                let due: Vec<SummonedUnit> =
                    w.units.iter().filter(|u| whistle::supervision_due(&w, u, now)).cloned().collect();
                for u in due {
                    // The levels due now (level 1 at the deadline, 2 and 3 after working days
                    // overdue, as for case clocks), each once, and when the next one falls due.
                    let reached = u8::try_from(u.supervisions).unwrap_or(MAX_SUPERVISION_LEVEL);
                    let levels = escalation.due_levels(reached, u.due_at, now, &cal);
                    let targets = self.calendar().escalation_targets(Some(u.org.id), &levels, &mut district).await?;
                    let next = escalation.level_at(levels.last().copied().unwrap_or(reached) + 1, u.due_at, &cal);
                    let mut one = whistle::fire_overdue(&w, &u.org.code, now, &targets, next);
                    for e in &mut one {
                        if let WhistleEvent::Supervised { unit, note, level: Some(level), .. } = e {
                            *note = chuishao_i18n::whistles::supervision_note(unit, *level);
                        }
                    }
                    for e in &one {
                        whistle::apply(&mut w, e, now);
                    }
                    overdue += usize::from(u.overdue_at.is_none());
                    supervisions += targets.len();
                    events.extend(one);
                }
                let expected = w.version;
                changes.push(Change::at_version(w, expected, events));
            }
            append(&mut tx, &changes, None, now).await?;
            tx.commit().await?;
            self.ops().wake_delivery();
            if skipped || (ids.len() as i64) < crate::calendar::TICK_BATCH {
                break;
            }
        }
        Ok((overdue, supervisions))
    }
}

impl Whistles<'_> {
    /// One pass re-timing the check-in deadlines of open whistles computed across `[start,
    /// end)` (all candidates, or `only` these whistles) on the calendar in use: each unit still
    /// to check in whose deadline (or next supervision) moved gets a `whistle_check_in_retimed`
    /// event through the append path. Returns the deadlines moved and the whistles skipped
    /// because another transaction held them.
    pub(crate) async fn retime_whistle_pass(
        &self,
        start: i64,
        end: i64,
        only: Option<&[i64]>,
        batch: i64,
    ) -> Result<(usize, Vec<i64>)> {
        let calendar = self.calendar();
        let (cal, policy, escalation) =
            (calendar.current(), calendar.whistle_policy(), calendar.deadline_policy().escalation);
        let (mut moved, mut skipped, mut cursor) = (0, Vec::new(), 0i64);
        loop {
            let ids: Vec<i64> = match only {
                Some(ids) => ids.iter().copied().filter(|id| *id > cursor).take(batch as usize).collect(),
                None => self.store.whistle_retime_candidates(start, end, cursor, batch).await?,
            };
            let Some(last) = ids.last().copied() else { break };
            cursor = last;
            let now = self.now_ms();
            let mut tx = self.store.begin().await?;
            let rows = tx.whistles_for_timer(&ids).await?;
            skipped.extend(ids.iter().filter(|id| !rows.iter().any(|r| r.id == **id)));
            let mut changes = Vec::new();
            for row in &rows {
                let mut w = parse_state(row)?;
                let events = retimed_check_ins(&w, &cal, &policy, &escalation);
                if events.is_empty() {
                    continue;
                }
                for e in &events {
                    whistle::apply(&mut w, e, now);
                }
                moved += events.len();
                let expected = w.version;
                changes.push(Change::at_version(w, expected, events));
            }
            append(&mut tx, &changes, None, now).await?;
            tx.commit().await?;
            if !changes.is_empty() {
                self.ops().wake_delivery();
            }
        }
        Ok((moved, skipped))
    }
}

/// The `whistle_check_in_retimed` events of whistle `w` on calendar `cal`: each unit still to
/// check in gets its deadline recomputed from the instant the whistle was raised (and, once
/// found overdue, its next supervision level from the new deadline). A wall-clock allowance,
/// or a deadline the calendar cannot compute (past 2100), keeps its deadline.
fn retimed_check_ins(
    w: &Whistle,
    cal: &chuishao_calendar::Calendar,
    policy: &chuishao_domain::whistle::WhistlePolicy,
    escalation: &chuishao_domain::deadlines::Escalation,
) -> Vec<WhistleEvent> {
    let allowance = w.allowance(policy);
    if matches!(allowance, chuishao_calendar::Allowance::WallMs(_)) {
        return Vec::new();
    }
    let due = match cal.due(w.raised_at, allowance) {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(whistle = w.id.0, error = %e, "re-timing a check-in deadline failed; it keeps its deadline");
            return Vec::new();
        }
    };
    w.units
        .iter()
        .filter_map(|u| {
            let reached = u8::try_from(u.supervisions).unwrap_or(MAX_SUPERVISION_LEVEL);
            let next = (reached < MAX_SUPERVISION_LEVEL).then(|| escalation.level_at(reached + 1, due, cal)).flatten();
            whistle::retime_check_in(w, &u.org.code, due, next)
        })
        .collect()
}

/// Query of `GET /api/v1/whistles`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WhistleListQuery {
    /// `open`, `closed` or `cancelled`.
    pub status: Option<String>,
}

/// Query of the scorecards.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM` (China Standard Time).
    pub month: String,
}
