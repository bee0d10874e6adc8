//! Cases in storage: the case row (a projection of the case's events, written in the same
//! transaction), the reporter vault, idempotency keys and the filtered, scoped list query.

use crate::orgs::path_upper;
use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::cases::{CallbackAnswer, Case, CaseStatus, HandlerRef, Satisfaction, Urgency};
use chuishao_domain::ids::{CaseId, OrgId};
use chuishao_domain::org::OrgKind;

/// A full row of `cases`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub tracking_code: String,
    pub source: String,
    pub category_code: Option<String>,
    pub urgency: String,
    pub status: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub location_path: String,
    pub subdistrict_id: Option<i64>,
    pub community_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub handler_id: Option<i64>,
    pub handler_kind: Option<String>,
    pub handler_path: Option<String>,
    pub parked: bool,
    pub extension_pending_days: Option<i64>,
    pub extension_days: i64,
    pub supervision_count: i64,
    pub reopen_count: i64,
    pub merged_into: Option<i64>,
    pub duplicate_count: i64,
    pub callback_solved: Option<bool>,
    pub callback_satisfaction: Option<String>,
    pub created_by: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

pub(crate) const CASE_COLUMNS: &str = "id, tracking_code, source, category_code, urgency, status, description, lat, lon, address, \
    location_path, subdistrict_id, community_id, grid_id, handler_id, handler_kind, handler_path, parked, \
    extension_pending_days, extension_days, supervision_count, reopen_count, merged_into, duplicate_count, \
    callback_solved, callback_satisfaction, created_by, version, created_at, updated_at, closed_at";

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("case {what} {v:?}"))
}

impl CaseRow {
    /// The lifecycle state held in this row.
    pub fn to_domain(&self) -> Result<Case> {
        let status = CaseStatus::parse(&self.status).ok_or_else(|| corrupt("status", &self.status))?;
        let urgency = Urgency::parse(&self.urgency).ok_or_else(|| corrupt("urgency", &self.urgency))?;
        let handler = match (self.handler_id, &self.handler_kind, &self.handler_path) {
            (Some(id), Some(kind), Some(path)) => Some(HandlerRef {
                id: OrgId(id),
                kind: OrgKind::parse(kind).ok_or_else(|| corrupt("handler kind", kind))?,
                path: path.clone(),
            }),
            _ => None,
        };
        let last_callback = match (self.callback_solved, &self.callback_satisfaction) {
            (Some(solved), Some(s)) => Some(CallbackAnswer {
                solved,
                satisfaction: match s.as_str() {
                    "satisfied" => Satisfaction::Satisfied,
                    "basically_satisfied" => Satisfaction::BasicallySatisfied,
                    "dissatisfied" => Satisfaction::Dissatisfied,
                    other => return Err(corrupt("satisfaction", other)),
                },
            }),
            _ => None,
        };
        Ok(Case {
            id: CaseId(self.id),
            status,
            category_code: self.category_code.clone(),
            urgency,
            location_path: self.location_path.clone(),
            handler,
            parked: self.parked,
            extension_pending_days: self.extension_pending_days.map(|d| d as u32),
            extension_days: self.extension_days as u32,
            supervision_count: self.supervision_count as u32,
            reopen_count: self.reopen_count as u32,
            merged_into: self.merged_into.map(CaseId),
            duplicate_count: self.duplicate_count as u32,
            last_callback,
            // Not kept in the row: recalled from the events (`Store::recall_case`).
            returned_by: None,
            resolved_by: None,
            version: self.version,
        })
    }
}

/// What intake writes for a new case.
#[derive(Debug, Clone)]
pub struct NewCaseRow {
    pub tracking_code: String,
    pub source: String,
    pub category_code: Option<String>,
    pub urgency: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub location_path: String,
    pub subdistrict_id: Option<i64>,
    pub community_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

/// A reporter as stored: name and phone sealed under `key_id` (plain when it is null).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReporterRow {
    pub case_id: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub key_id: Option<String>,
}

/// Everything intake writes for one new case: the row, the reporter (kept apart), its
/// `received` event and, if the client sent one, its idempotency key and request hash.
#[derive(Debug, Clone)]
pub struct IntakeRecord {
    pub row: NewCaseRow,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// The vault key that sealed name and phone (none: stored plain).
    pub reporter_key_id: Option<String>,
    pub event_kind: &'static str,
    pub event_payload: String,
    pub actor_id: Option<i64>,
    pub idempotency: Option<(String, String)>,
}

/// Cases per intake batch statement (14 parameters each).
pub const INTAKE_CHUNK: usize = 128;

/// Filters for the case list. Every filter is optional; `scope_paths` is not: an empty scope
/// sees nothing.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub scope_paths: Vec<String>,
    pub statuses: Vec<String>,
    pub category_code: Option<String>,
    pub subdistrict_id: Option<i64>,
    pub community_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub handler_id: Option<i64>,
    pub source: Option<String>,
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
    /// Cases with (true) or without (false) a running deadline that has passed at `now`.
    pub overdue: Option<bool>,
    /// Cases with a running deadline due before this instant.
    pub due_before: Option<i64>,
    /// The instant `overdue` is judged at.
    pub now: i64,
    /// Return cases with id below this (cursor pagination, newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

macro_rules! push_filters {
    ($qb:ident, $f:expr) => {{
        let f = $f;
        $qb.push(" where (");
        for (i, p) in f.scope_paths.iter().enumerate() {
            if i > 0 {
                $qb.push(" or ");
            }
            let upper = path_upper(p);
            $qb.push("(location_path >= ").push_bind(p.clone()).push(" and location_path < ").push_bind(upper.clone());
            $qb.push(") or (handler_path >= ")
                .push_bind(p.clone())
                .push(" and handler_path < ")
                .push_bind(upper)
                .push(")");
        }
        if f.scope_paths.is_empty() {
            $qb.push("1 = 0");
        }
        $qb.push(")");
        if !f.statuses.is_empty() {
            $qb.push(" and status in (");
            let mut sep = $qb.separated(", ");
            for s in &f.statuses {
                sep.push_bind(s.clone());
            }
            $qb.push(")");
        }
        if let Some(v) = &f.category_code {
            $qb.push(" and category_code = ").push_bind(v.clone());
        }
        if let Some(v) = f.subdistrict_id {
            $qb.push(" and subdistrict_id = ").push_bind(v);
        }
        if let Some(v) = f.community_id {
            $qb.push(" and community_id = ").push_bind(v);
        }
        if let Some(v) = f.grid_id {
            $qb.push(" and grid_id = ").push_bind(v);
        }
        if let Some(v) = f.handler_id {
            $qb.push(" and handler_id = ").push_bind(v);
        }
        if let Some(v) = &f.source {
            $qb.push(" and source = ").push_bind(v.clone());
        }
        if let Some(v) = f.created_from {
            $qb.push(" and created_at >= ").push_bind(v);
        }
        if let Some(v) = f.created_to {
            $qb.push(" and created_at < ").push_bind(v);
        }
        if let Some(overdue) = f.overdue {
            $qb.push(if overdue { " and exists" } else { " and not exists" });
            $qb.push(" (select 1 from case_deadlines d where d.case_id = cases.id and d.state = 'running' and d.due_at <= ")
                .push_bind(f.now)
                .push(")");
        }
        if let Some(v) = f.due_before {
            $qb.push(" and exists (select 1 from case_deadlines d where d.case_id = cases.id and d.state = 'running' and d.due_at < ")
                .push_bind(v)
                .push(")");
        }
        if let Some(v) = f.before_id {
            $qb.push(" and id < ").push_bind(v);
        }
        $qb.push(" order by id desc limit ").push_bind(f.limit);
    }};
}

impl Tx {
    /// Inserts a received case (version 1). A tracking-code collision is a `Conflict`; the
    /// caller draws a new code.
    pub async fn insert_case(&mut self, c: &NewCaseRow) -> Result<CaseId> {
        let id: i64 = run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into cases (tracking_code, source, category_code, urgency, status, description, lat, lon, address,
                    location_path, subdistrict_id, community_id, grid_id, parked, extension_days, supervision_count,
                    reopen_count, duplicate_count, created_by, version, created_at, updated_at)
                 values ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, $12, false, 0, 0, 0, 0, $13, 1, $14, $14)
                 returning id",
            )
            .bind(&c.tracking_code)
            .bind(&c.source)
            .bind(&c.category_code)
            .bind(&c.urgency)
            .bind(&c.description)
            .bind(c.lat)
            .bind(c.lon)
            .bind(&c.address)
            .bind(&c.location_path)
            .bind(c.subdistrict_id)
            .bind(c.community_id)
            .bind(c.grid_id)
            .bind(c.created_by)
            .bind(c.created_at)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| StoreError::unique(e, "tracking code"))?
        });
        Ok(CaseId(id))
    }

    /// Stores the reporter's identity and contact apart from the case.
    pub async fn insert_reporter(
        &mut self,
        case: CaseId,
        name: Option<&str>,
        phone: Option<&str>,
        key_id: Option<&str>,
        now: i64,
    ) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("insert into reporters (case_id, name, phone, key_id, created_at) values ($1, $2, $3, $4, $5)")
                .bind(case.0)
                .bind(name)
                .bind(phone)
                .bind(key_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Replaces a reporter's stored name, phone and key (sealing, rotation).
    pub async fn update_reporter(&mut self, r: &ReporterRow) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update reporters set name = $2, phone = $3, key_id = $4 where case_id = $1")
                .bind(r.case_id)
                .bind(&r.name)
                .bind(&r.phone)
                .bind(&r.key_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Deletes the reporters of these cases (retention): the cases stay, anonymous.
    pub async fn delete_reporters(&mut self, case_ids: &[i64]) -> Result<u64> {
        if case_ids.is_empty() {
            return Ok(0);
        }
        Ok(run!(self.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new("delete from reporters where case_id in (");
            let mut sep = qb.separated(", ");
            for id in case_ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *conn).await?.rows_affected()
        }))
    }

    /// The case row, read inside the write transaction (so the decision sees what it writes
    /// over: SQLite's transaction is exclusive, PostgreSQL's row is locked).
    pub async fn case_for_update(&mut self, id: CaseId) -> Result<Option<CaseRow>> {
        let sql = match self.conn() {
            crate::Conn::Sqlite(_) => format!("select {CASE_COLUMNS} from cases where id = $1"),
            crate::Conn::Postgres(_) => format!("select {CASE_COLUMNS} from cases where id = $1 for update"),
        };
        Ok(run!(self.conn(), conn => {
            sqlx::query_as(&sql).bind(id.0).fetch_optional(&mut *conn).await?
        }))
    }

    /// Writes the folded lifecycle state back, if the stored version is still `expected`.
    /// Returns false (and writes nothing) when someone else got there first.
    pub async fn update_case_state(&mut self, case: &Case, expected_version: i64, now: i64) -> Result<bool> {
        let closed_at = (case.status == CaseStatus::Closed).then_some(now);
        let n = run!(self.conn(), conn => {
            sqlx::query(
                "update cases set status = $1, category_code = $2, urgency = $3, handler_id = $4, handler_kind = $5,
                    handler_path = $6, parked = $7, extension_pending_days = $8, extension_days = $9,
                    supervision_count = $10, reopen_count = $11, merged_into = $12, duplicate_count = $13,
                    callback_solved = $14, callback_satisfaction = $15, version = $16, updated_at = $17,
                    closed_at = case when $1 = 'closed' then coalesce(closed_at, $18) else null end
                 where id = $19 and version = $20",
            )
            .bind(case.status.as_str())
            .bind(&case.category_code)
            .bind(case.urgency.as_str())
            .bind(case.handler.as_ref().map(|h| h.id.0))
            .bind(case.handler.as_ref().map(|h| h.kind.as_str()))
            .bind(case.handler.as_ref().map(|h| h.path.clone()))
            .bind(case.parked)
            .bind(case.extension_pending_days.map(i64::from))
            .bind(i64::from(case.extension_days))
            .bind(i64::from(case.supervision_count))
            .bind(i64::from(case.reopen_count))
            .bind(case.merged_into.map(|c| c.0))
            .bind(i64::from(case.duplicate_count))
            .bind(case.last_callback.as_ref().map(|c| c.solved))
            .bind(case.last_callback.as_ref().map(|c| c.satisfaction.as_str()))
            .bind(case.version)
            .bind(now)
            .bind(closed_at)
            .bind(case.id.0)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }
}

impl Store {
    /// Writes a batch of new cases in one transaction (group commit): one multi-row insert
    /// each for cases, reporters, events and idempotency keys, and one fsync for all. All or
    /// nothing: on any error (a tracking-code or idempotency-key conflict) nothing is written
    /// and the caller retries the records one by one to find the culprit.
    pub async fn insert_intake_batch(&self, batch: &[IntakeRecord]) -> Result<Vec<CaseId>> {
        let mut tx = self.begin().await?;
        let (ids, _) = tx.insert_intake_batch(batch).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

impl Tx {
    /// The body of [`Store::insert_intake_batch`], inside the caller's transaction (so the
    /// caller can add outbox rows before committing). Returns the case ids and the sequence
    /// numbers of their `received` events, in batch order.
    pub async fn insert_intake_batch(&mut self, batch: &[IntakeRecord]) -> Result<(Vec<CaseId>, Vec<i64>)> {
        let tx = self;
        let mut ids = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(INTAKE_CHUNK) {
            let returned: Vec<(i64, String)> = run!(tx.conn(), conn => {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into cases (tracking_code, source, category_code, urgency, status, description, lat, lon, address,
                        location_path, subdistrict_id, community_id, grid_id, parked, extension_days, supervision_count,
                        reopen_count, duplicate_count, created_by, version, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    let c = &r.row;
                    b.push_bind(c.tracking_code.as_str())
                        .push_bind(c.source.as_str())
                        .push_bind(c.category_code.as_deref())
                        .push_bind(c.urgency.as_str())
                        .push("'received'")
                        .push_bind(c.description.as_str())
                        .push_bind(c.lat)
                        .push_bind(c.lon)
                        .push_bind(c.address.as_deref())
                        .push_bind(c.location_path.as_str())
                        .push_bind(c.subdistrict_id)
                        .push_bind(c.community_id)
                        .push_bind(c.grid_id)
                        .push("false, 0, 0, 0, 0")
                        .push_bind(c.created_by)
                        .push("1")
                        .push_bind(c.created_at)
                        .push_bind(c.created_at);
                });
                qb.push(" returning id, tracking_code");
                qb.build_query_as().fetch_all(&mut *conn).await.map_err(|e| StoreError::unique(e, "tracking code"))?
            });
            let by_code: std::collections::HashMap<&str, i64> =
                returned.iter().map(|(id, code)| (code.as_str(), *id)).collect();
            for r in chunk {
                let id = by_code
                    .get(r.row.tracking_code.as_str())
                    .ok_or_else(|| StoreError::Corrupt("a batch insert lost a row".into()))?;
                ids.push(CaseId(*id));
            }
        }
        let reporters: Vec<(i64, &IntakeRecord)> = ids
            .iter()
            .zip(batch)
            .filter(|(_, r)| r.reporter_name.is_some() || r.reporter_phone.is_some())
            .map(|(id, r)| (id.0, r))
            .collect();
        let keyed: Vec<(i64, &IntakeRecord)> =
            ids.iter().zip(batch).filter(|(_, r)| r.idempotency.is_some()).map(|(id, r)| (id.0, r)).collect();
        run!(tx.conn(), conn => {
            for chunk in reporters.chunks(INTAKE_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("insert into reporters (case_id, name, phone, key_id, created_at) ");
                qb.push_values(chunk, |mut b, (id, r)| {
                    b.push_bind(*id)
                        .push_bind(r.reporter_name.as_deref())
                        .push_bind(r.reporter_phone.as_deref())
                        .push_bind(r.reporter_key_id.as_deref())
                        .push_bind(r.row.created_at);
                });
                qb.build().execute(&mut *conn).await?;
            }
            for chunk in keyed.chunks(INTAKE_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into idempotency_keys (user_id, idem_key, request_hash, case_id, created_at) ",
                );
                qb.push_values(chunk, |mut b, (id, r)| {
                    let (key, hash) = r.idempotency.as_ref().map(|(k, h)| (k.as_str(), h.as_str())).unwrap_or(("", ""));
                    b.push_bind(r.actor_id.unwrap_or(0)).push_bind(key).push_bind(hash).push_bind(*id).push_bind(r.row.created_at);
                });
                qb.build().execute(&mut *conn).await.map_err(|e| StoreError::unique(e, "idempotency key"))?;
            }
        });
        let events: Vec<crate::NewEvent<'_>> = ids
            .iter()
            .zip(batch)
            .map(|(id, r)| crate::NewEvent {
                stream: "case",
                stream_id: id.0,
                stream_version: 1,
                kind: r.event_kind,
                payload: r.event_payload.clone(),
                actor_id: r.actor_id,
                created_at: r.row.created_at,
            })
            .collect();
        let seqs = tx.append_events(&events).await?;
        Ok((ids, seqs))
    }
}

/// A case's events its rules recall beyond the row (see `chuishao_domain::cases::recall`):
/// returns and what settles them, and resolutions with who made them.
const RECALLED_EVENTS: &str = "select payload, actor_id from events where stream = 'case' and stream_id = $1 \
    and kind in ('returned', 'dispatched', 'rejected', 'merged_into', 'resolved') order by seq";

fn recall_rows(case: &mut Case, rows: Vec<(String, Option<i64>)>) -> Result<()> {
    for (payload, actor) in rows {
        let event: chuishao_domain::cases::CaseEvent = serde_json::from_str(&payload)
            .map_err(|e| StoreError::Corrupt(format!("case {} event: {e}", case.id.0)))?;
        chuishao_domain::cases::recall(case, &event, actor.map(chuishao_domain::ids::UserId));
    }
    Ok(())
}

impl Tx {
    /// Fills in what `case`'s rules recall from its events (inside the write transaction).
    pub async fn recall_case(&mut self, case: &mut Case) -> Result<()> {
        let rows: Vec<(String, Option<i64>)> = run!(self.conn(), conn => {
            sqlx::query_as(RECALLED_EVENTS).bind(case.id.0).fetch_all(&mut *conn).await?
        });
        recall_rows(case, rows)
    }
}

impl Store {
    /// Fills in what `case`'s rules recall from its events.
    pub async fn recall_case(&self, case: &mut Case) -> Result<()> {
        let mut c = self.read().await?;
        let rows: Vec<(String, Option<i64>)> = run!(c.conn(), conn => {
            sqlx::query_as(RECALLED_EVENTS).bind(case.id.0).fetch_all(&mut *conn).await?
        });
        recall_rows(case, rows)
    }

    pub async fn case_by_id(&self, id: CaseId) -> Result<Option<CaseRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {CASE_COLUMNS} from cases where id = $1"))
                .bind(id.0)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// The cases with ids in `(after, upto]`, by id, and the largest case id (0 when none).
    pub async fn cases_between(&self, after: i64, upto: i64) -> Result<(Vec<CaseRow>, i64)> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let rows = sqlx::query_as(&format!("select {CASE_COLUMNS} from cases where id > $1 and id <= $2 order by id"))
                .bind(after)
                .bind(upto)
                .fetch_all(&mut *conn)
                .await?;
            let max: Option<i64> = sqlx::query_scalar("select max(id) from cases").fetch_one(&mut *conn).await?;
            (rows, max.unwrap_or(0))
        }))
    }

    /// The case an idempotency key already produced for this user, with the request hash.
    pub async fn idempotent_case(&self, user_id: i64, key: &str) -> Result<Option<(String, CaseId)>> {
        let mut c = self.read().await?;
        let row: Option<(String, i64)> = run!(c.conn(), conn => {
            sqlx::query_as("select request_hash, case_id from idempotency_keys where user_id = $1 and idem_key = $2")
                .bind(user_id)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?
        });
        Ok(row.map(|(h, id)| (h, CaseId(id))))
    }

    pub async fn case_by_tracking_code(&self, code: &str) -> Result<Option<CaseRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {CASE_COLUMNS} from cases where tracking_code = $1"))
                .bind(code)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// Cases matching the filter, newest first.
    pub async fn list_cases(&self, f: &CaseFilter) -> Result<Vec<CaseRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {CASE_COLUMNS} from cases"));
            push_filters!(qb, f);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// The reporter's row as stored (sealed unless `key_id` is null). The app opens, masks
    /// and audits.
    pub async fn reporter_sealed(&self, case: CaseId) -> Result<Option<ReporterRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select case_id, name, phone, key_id from reporters where case_id = $1")
                .bind(case.0)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// Reporter rows to (re)seal, in case order after `after`: plain ones, and with
    /// `except_key` also those sealed under any other key.
    pub async fn reporters_to_seal(
        &self,
        after: i64,
        limit: i64,
        except_key: Option<&str>,
    ) -> Result<Vec<ReporterRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            match except_key {
                None => sqlx::query_as(
                    "select case_id, name, phone, key_id from reporters where case_id > $1 and key_id is null \
                     order by case_id limit $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?,
                Some(k) => sqlx::query_as(
                    "select case_id, name, phone, key_id from reporters where case_id > $1 \
                     and (key_id is null or key_id <> $3) order by case_id limit $2",
                )
                .bind(after)
                .bind(limit)
                .bind(k)
                .fetch_all(&mut *conn)
                .await?,
            }
        }))
    }

    /// Reporters of cases that ended (closed, rejected, merged) before `cutoff`: (case id,
    /// tracking code, status, when it ended), oldest case first.
    pub async fn reporters_ended_before(
        &self,
        cutoff: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, i64)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select r.case_id, c.tracking_code, c.status, coalesce(c.closed_at, c.updated_at) \
                 from reporters r join cases c on c.id = r.case_id \
                 where c.status in ('closed', 'rejected', 'merged') and coalesce(c.closed_at, c.updated_at) < $1 \
                 and r.case_id > $3 order by r.case_id limit $2",
            )
            .bind(cutoff)
            .bind(limit)
            .bind(after)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The reporter's name and phone as stored (ciphertext when sealed). Callers open, mask
    /// and audit.
    pub async fn reporter(&self, case: CaseId) -> Result<Option<(Option<String>, Option<String>)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select name, phone from reporters where case_id = $1")
                .bind(case.0)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// Number of cases per status (for the demo summary and dashboards).
    pub async fn count_cases_by_status(&self) -> Result<Vec<(String, i64)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select status, count(*) from cases group by status order by status")
                .fetch_all(&mut *conn)
                .await?
        }))
    }
}
