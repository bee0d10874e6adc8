//! Patrols: start on a street, record the track, tick the checklist, report problems (each a
//! case with source `patrol` and the patroller as finder), finish. Start and finish are
//! events in the hash-chained log (stream `patrol`).

use super::{PersonRefView, StreetRefView, check_visible, related};
use crate::cases::{CaseView, NewCaseInput};
use crate::grids::Grids;
use crate::time::{parse_rfc3339, rfc3339};
use crate::{AppError, Result};
use chuishao_domain::DomainError;
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::patrol::{ItemKind, Patrol, PatrolStatus, TrackPoint};
use chuishao_store::{PatrolFilter, PatrolRow, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// One checklist item and how the patrol found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChecklistTickView {
    pub id: String,
    /// `have` (the street should have it) or `have_not` (it should not).
    pub kind: &'static str,
    pub zh: String,
    pub en: String,
    /// true: as it should be; false: a problem; null: not checked.
    pub ok: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    pub case_id: i64,
    pub tracking_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackPointView {
    pub at: String,
    pub lat: f64,
    pub lon: f64,
}

/// A patrol. Lists leave out the checklist, the findings and the track.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PatrolView {
    pub id: i64,
    pub street: StreetRefView,
    pub community_code: String,
    pub patroller: PersonRefView,
    /// `ongoing` or `finished`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub version: i64,
    pub point_count: i64,
    pub checked_count: usize,
    pub problem_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checklist: Option<Vec<ChecklistTickView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<FindingView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<Vec<TrackPointView>>,
}

/// One track point as a device sends it.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackPointInput {
    /// RFC 3339 instant.
    pub at: String,
    pub lat: f64,
    pub lon: f64,
}

/// A problem found on patrol: filed as a case (source `patrol`). Without coordinates it is
/// placed at the last track point, else in the street's community.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatrolProblemInput {
    pub description: String,
    #[serde(default)]
    pub category_code: Option<String>,
    #[serde(default)]
    pub urgency: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub address: Option<String>,
    /// The checklist item the problem was found under, if any (ticked as not ok).
    #[serde(default)]
    pub item: Option<String>,
}

/// Which patrols to list: by street or by person.
#[derive(Debug, Clone, Default)]
pub struct PatrolListQuery {
    pub street: Option<String>,
    pub user: Option<String>,
    pub limit: i64,
}

fn ticks_of(row: &PatrolRow) -> BTreeMap<String, bool> {
    serde_json::from_str(&row.checklist).unwrap_or_default()
}

fn to_domain(row: &PatrolRow) -> Result<Patrol> {
    Ok(Patrol {
        patroller_id: row.user_id,
        status: PatrolStatus::parse(&row.status).ok_or_else(|| AppError::Internal(format!("status {}", row.status)))?,
        started_at: row.started_at,
        points: usize::try_from(row.point_count).unwrap_or(0),
        last_point_at: row.last_point_at,
    })
}

impl Grids<'_> {
    fn patrol_summary(&self, row: &PatrolRow) -> PatrolView {
        let ticks = ticks_of(row);
        PatrolView {
            id: row.id,
            street: StreetRefView { code: row.street_code.clone(), name: row.street_name.clone() },
            community_code: row.community_code.clone(),
            patroller: PersonRefView { username: row.username.clone(), display_name: row.display_name.clone() },
            status: row.status.clone(),
            started_at: rfc3339(row.started_at),
            finished_at: row.finished_at.map(rfc3339),
            version: row.version,
            point_count: row.point_count,
            checked_count: ticks.len(),
            problem_count: ticks.values().filter(|ok| !**ok).count(),
            checklist: None,
            findings: None,
            track: None,
        }
    }

    async fn patrol_full(&self, id: i64) -> Result<PatrolView> {
        let row = self.store.patrol(id).await?.ok_or(AppError::NotFound("patrol"))?;
        let mut v = self.patrol_summary(&row);
        let ticks = ticks_of(&row);
        v.checklist = Some(
            self.patrol
                .checklist
                .items
                .iter()
                .map(|i| ChecklistTickView {
                    id: i.id.clone(),
                    kind: match i.kind {
                        ItemKind::Have => "have",
                        ItemKind::HaveNot => "have_not",
                    },
                    zh: i.zh.clone(),
                    en: i.en.clone(),
                    ok: ticks.get(&i.id).copied(),
                })
                .collect(),
        );
        v.findings = Some(
            self.store
                .patrol_findings(id)
                .await?
                .into_iter()
                .map(|(case_id, tracking_code)| FindingView { case_id, tracking_code })
                .collect(),
        );
        v.track = Some(
            self.store
                .patrol_points(id)
                .await?
                .into_iter()
                .map(|(at, lat, lon)| TrackPointView { at: rfc3339(at), lat, lon })
                .collect(),
        );
        Ok(v)
    }

    /// A patrol, for its patroller and anyone with a role on its street's branch.
    pub async fn patrol(&self, actor: &Actor, id: i64) -> Result<PatrolView> {
        let row = self.store.patrol(id).await?.ok_or(AppError::NotFound("patrol"))?;
        self.check_patrol_visible(actor, &row).await?;
        self.patrol_full(id).await
    }

    async fn check_patrol_visible(&self, actor: &Actor, row: &PatrolRow) -> Result<()> {
        if row.user_id == actor.user_id.0 {
            return Ok(());
        }
        let s = self.street_row(&row.street_code).await?;
        check_visible(actor, &s.community_path).map_err(|_| AppError::NotFound("patrol"))
    }

    /// Starts a patrol of a street: a grid worker or street chief on its branch of the tree,
    /// with no other patrol ongoing.
    pub async fn start_patrol(&self, actor: &Actor, street_code: &str) -> Result<PatrolView> {
        let s = self.street_row(street_code).await?;
        check_visible(actor, &s.community_path)?;
        if !related(actor, &[Role::GridWorker, Role::StreetChief], &s.community_path) {
            return Err(AppError::Forbidden(format!(
                "{} may not patrol {street_code}; a grid worker or street chief of its community may",
                actor.username
            )));
        }
        if let Some(id) = self.store.ongoing_patrol_of(actor.user_id.0).await? {
            return Err(DomainError::IllegalTransition {
                action: "start".into(),
                state: format!("patrolling (patrol {id} is ongoing; finish it first)"),
            }
            .into());
        }
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_patrol(s.id, actor.user_id.0, now).await?;
        patrol_event(&mut tx, id, 1, "started", started_payload(&s.code, &actor.username), actor.user_id.0, now)
            .await?;
        tx.commit().await?;
        self.patrol_full(id).await
    }

    /// Adds track points to the actor's ongoing patrol.
    pub async fn record_track(&self, actor: &Actor, id: i64, points: &[TrackPointInput]) -> Result<PatrolView> {
        let mut parsed = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            let at = parse_rfc3339(&p.at)
                .ok_or_else(|| AppError::invalid("points", format!("point {i}: at must be an RFC 3339 instant")))?;
            parsed.push(TrackPoint { at, lat: p.lat, lon: p.lon });
        }
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let row = self.locked_patrol(&mut tx, actor, id).await?;
        let p = to_domain(&row)?;
        p.check_can_act(actor.user_id.0, "record_track")?;
        p.check_points(&parsed, now)?;
        let rows: Vec<(i64, f64, f64)> = parsed.iter().map(|t| (t.at, t.lat, t.lon)).collect();
        tx.append_patrol_points(id, row.point_count, &rows).await?;
        tx.commit().await?;
        self.patrol_full(id).await
    }

    /// Ticks checklist items: item id → true (as it should be) or false (a problem).
    pub async fn tick_checklist(&self, actor: &Actor, id: i64, ticks: &BTreeMap<String, bool>) -> Result<PatrolView> {
        let mut tx = self.store.begin().await?;
        let row = self.locked_patrol(&mut tx, actor, id).await?;
        to_domain(&row)?.check_can_act(actor.user_id.0, "tick")?;
        let merged = self.patrol.checklist.tick(&ticks_of(&row), ticks)?;
        let text = serde_json::to_string(&merged).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.set_patrol_checklist(id, &text).await?;
        tx.commit().await?;
        self.patrol_full(id).await
    }

    /// Reports a problem found on patrol: a case through the ordinary intake (source
    /// `patrol`, the patroller as finder), linked to the patrol.
    pub async fn report_patrol_problem(
        &self,
        actor: &Actor,
        id: i64,
        input: &PatrolProblemInput,
        idempotency_key: Option<&str>,
    ) -> Result<CaseView> {
        let row = self.store.patrol(id).await?.ok_or(AppError::NotFound("patrol"))?;
        self.check_patrol_visible(actor, &row).await?;
        to_domain(&row)?.check_can_act(actor.user_id.0, "report_problem")?;
        if let Some(item) = &input.item
            && !self.patrol.checklist.items.iter().any(|i| &i.id == item)
        {
            return Err(AppError::invalid("item", format!("no checklist item {item}")));
        }
        let (mut lat, mut lon) = (input.lat, input.lon);
        if lat.is_none()
            && lon.is_none()
            && let Some((_, la, lo)) = self.store.patrol_points(id).await?.last()
        {
            (lat, lon) = (Some(*la), Some(*lo));
        }
        let case_input = NewCaseInput {
            source: Some("patrol".into()),
            category_code: input.category_code.clone(),
            urgency: input.urgency.clone(),
            description: input.description.clone(),
            community_code: (lat.is_none() && lon.is_none()).then(|| row.community_code.clone()),
            lat,
            lon,
            address: input.address.clone().or_else(|| Some(row.street_name.clone())),
            ..NewCaseInput::default()
        };
        let outcome = self.cases().submit_case(actor, &case_input, idempotency_key).await?;
        if outcome.replayed {
            return Ok(outcome.case);
        }
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let locked = self.locked_patrol(&mut tx, actor, id).await?;
        tx.insert_patrol_finding(id, outcome.case.id, now).await?;
        if let Some(item) = &input.item {
            let merged = self.patrol.checklist.tick(&ticks_of(&locked), &BTreeMap::from([(item.clone(), false)]))?;
            let text = serde_json::to_string(&merged).map_err(|e| AppError::Internal(e.to_string()))?;
            tx.set_patrol_checklist(id, &text).await?;
        }
        tx.commit().await?;
        Ok(outcome.case)
    }

    /// Finishes the actor's ongoing patrol.
    pub async fn finish_patrol(&self, actor: &Actor, id: i64) -> Result<PatrolView> {
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let row = self.locked_patrol(&mut tx, actor, id).await?;
        to_domain(&row)?.check_can_act(actor.user_id.0, "finish")?;
        tx.finish_patrol(id, now).await?;
        let payload = finished_payload(&row.street_code, &row.username, row.point_count, &ticks_of(&row));
        patrol_event(&mut tx, id, 2, "finished", payload, actor.user_id.0, now).await?;
        tx.commit().await?;
        self.patrol_full(id).await
    }

    /// The patrol, locked in `tx`, if the actor may see it.
    async fn locked_patrol(&self, tx: &mut Tx, actor: &Actor, id: i64) -> Result<PatrolRow> {
        let row = tx.patrol_for_update(id).await?.ok_or(AppError::NotFound("patrol"))?;
        if row.user_id != actor.user_id.0 {
            self.check_patrol_visible(actor, &row).await?;
        }
        Ok(row)
    }

    /// Patrol history of a street or a person, newest first, limited to what `actor` may see.
    pub async fn list_patrols(&self, actor: &Actor, q: &PatrolListQuery) -> Result<Vec<PatrolView>> {
        let mut f = PatrolFilter { limit: q.limit, ..PatrolFilter::default() };
        match (&q.street, &q.user) {
            (None, None) | (Some(_), Some(_)) => return Err(AppError::invalid("street", "give street or user")),
            (Some(code), None) => {
                let s = self.street_row(code).await?;
                check_visible(actor, &s.community_path)?;
                f.street_id = Some(s.id);
            }
            (None, Some(username)) => {
                let user = self.store.user_by_username(username).await?.ok_or(AppError::NotFound("user"))?;
                f.user_id = Some(user.id);
            }
        }
        let rows = self.store.list_patrols(&f).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if self.check_patrol_visible(actor, &row).await.is_ok() {
                out.push(self.patrol_summary(&row));
            }
        }
        Ok(out)
    }
}

/// The payload of a patrol's `started` event.
pub(super) fn started_payload(street: &str, user: &str) -> String {
    json!({"street": street, "user": user}).to_string()
}

/// The payload of a patrol's `finished` event: its street, patroller, track and checklist counts.
pub(super) fn finished_payload(street: &str, user: &str, points: i64, ticks: &BTreeMap<String, bool>) -> String {
    json!({"street": street, "user": user, "points": points,
           "checked": ticks.len(), "problems": ticks.values().filter(|ok| !**ok).count()})
    .to_string()
}

/// Appends one event of stream `patrol`.
pub(super) async fn patrol_event(
    tx: &mut Tx,
    id: i64,
    version: i64,
    kind: &str,
    payload: String,
    actor_id: i64,
    now: i64,
) -> Result<()> {
    let patrol = chuishao_domain::record::StreamKind::Patrol;
    crate::record::log_fact(tx, patrol, id, version, kind, payload, Some(actor_id), now).await?;
    Ok(())
}
