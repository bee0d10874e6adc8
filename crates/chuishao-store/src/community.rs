//! Community mobilisation in storage: one projection table for every community record
//! (party organisations, members, posts, activities, volunteers — told apart by `stream`),
//! confirmed service rows rewritten with their activity, the skills list, generated secrets,
//! and volunteers' credentials and sessions.

use crate::orgs::path_upper;
use crate::{Result, Store, StoreError, Tx, run};

/// A stored community record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommunityRow {
    pub id: i64,
    pub stream: String,
    pub community_id: i64,
    pub community_path: String,
    pub status: String,
    pub unique_key: Option<String>,
    pub at: i64,
    /// The folded state (JSON).
    pub state: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, stream, community_id, community_path, status, unique_key, at, state, version, created_at, updated_at";

/// A record to insert (its state is written right after, once the id is known).
#[derive(Debug, Clone)]
pub struct NewCommunityRow<'a> {
    pub stream: &'a str,
    pub community_id: i64,
    pub community_path: &'a str,
    pub status: &'a str,
    pub unique_key: Option<&'a str>,
    pub at: i64,
    pub now: i64,
}

/// The projection of one change.
#[derive(Debug, Clone)]
pub struct CommunityWrite<'a> {
    pub id: i64,
    pub status: &'a str,
    pub at: i64,
    pub state: &'a str,
    pub version: i64,
    pub expected: i64,
    pub now: i64,
}

/// One confirmed attendance: its service hours.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ServiceRow {
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub member_id: Option<i64>,
    pub party_org_id: Option<i64>,
    pub community_id: i64,
    pub community_path: String,
    pub kind: String,
    pub half_hours: i64,
    pub starts_at: i64,
    pub confirmed_at: i64,
}

const SERVICE_COLUMNS: &str = "activity_id, volunteer_id, member_id, party_org_id, community_id, community_path, kind, \
    half_hours, starts_at, confirmed_at";

/// Whose service to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceOf {
    Member(i64),
    PartyOrg(i64),
    Volunteer(i64),
    Activity(i64),
    /// Everything confirmed at or after this sequence-free instant (the seam for points).
    ConfirmedSince(i64),
}

/// One entry of the skills list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SkillRow {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

impl Tx {
    /// Inserts a record (state `{}` and version 1 until it is saved); answers its id. A second
    /// record of the same kind with the same unique key is a `Conflict`.
    pub async fn insert_community_record(&mut self, r: &NewCommunityRow<'_>) -> Result<i64> {
        let res: std::result::Result<i64, sqlx::Error> = run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into community_records (stream, community_id, community_path, status, unique_key, at, state,
                    version, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, '{}', 1, $7, $7) returning id",
            )
            .bind(r.stream)
            .bind(r.community_id)
            .bind(r.community_path)
            .bind(r.status)
            .bind(r.unique_key)
            .bind(r.at)
            .bind(r.now)
            .fetch_one(&mut *conn)
            .await
        });
        res.map_err(|e| StoreError::unique(e, r.stream))
    }

    /// A record, read (and on PostgreSQL locked) inside the write transaction.
    pub async fn community_record_for_update(&mut self, stream: &str, id: i64) -> Result<Option<CommunityRow>> {
        let sql = match self.conn() {
            crate::Conn::Sqlite(_) => format!("select {COLUMNS} from community_records where id = $1 and stream = $2"),
            crate::Conn::Postgres(_) => {
                format!("select {COLUMNS} from community_records where id = $1 and stream = $2 for update")
            }
        };
        Ok(run!(self.conn(), conn => {
            sqlx::query_as(&sql).bind(id).bind(stream).fetch_optional(&mut *conn).await?
        }))
    }

    /// The record of a kind with a unique key, inside the write transaction.
    pub async fn community_record_by_key(&mut self, stream: &str, key: &str) -> Result<Option<CommunityRow>> {
        let sql = format!("select {COLUMNS} from community_records where stream = $1 and unique_key = $2");
        Ok(run!(self.conn(), conn => {
            sqlx::query_as(&sql).bind(stream).bind(key).fetch_optional(&mut *conn).await?
        }))
    }

    /// Writes a record's projection if its stored version is still `expected` (false, nothing
    /// written, otherwise).
    pub async fn save_community_record(&mut self, w: &CommunityWrite<'_>) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query(
                "update community_records set status = $1, at = $2, state = $3, version = $4, updated_at = $5
                 where id = $6 and version = $7",
            )
            .bind(w.status)
            .bind(w.at)
            .bind(w.state)
            .bind(w.version)
            .bind(w.now)
            .bind(w.id)
            .bind(w.expected)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Rewrites an activity's attendance rows `(volunteer_id, status)` and confirmed service rows.
    pub async fn replace_service(
        &mut self,
        activity_id: i64,
        starts_at: i64,
        people: &[(i64, &str)],
        rows: &[ServiceRow],
    ) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("delete from community_attendance where activity_id = $1")
                .bind(activity_id)
                .execute(&mut *conn)
                .await?;
            if !people.is_empty() {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into community_attendance (activity_id, volunteer_id, status, starts_at) ",
                );
                qb.push_values(people, |mut b, (v, status)| {
                    b.push_bind(activity_id).push_bind(*v).push_bind(status.to_string()).push_bind(starts_at);
                });
                qb.build().execute(&mut *conn).await?;
            }
            sqlx::query("delete from community_service where activity_id = $1")
                .bind(activity_id)
                .execute(&mut *conn)
                .await?;
            if !rows.is_empty() {
                let mut qb = sqlx::QueryBuilder::new(format!("insert into community_service ({SERVICE_COLUMNS}) "));
                qb.push_values(rows, |mut b, r| {
                    b.push_bind(r.activity_id)
                        .push_bind(r.volunteer_id)
                        .push_bind(r.member_id)
                        .push_bind(r.party_org_id)
                        .push_bind(r.community_id)
                        .push_bind(r.community_path.clone())
                        .push_bind(r.kind.clone())
                        .push_bind(r.half_hours)
                        .push_bind(r.starts_at)
                        .push_bind(r.confirmed_at);
                });
                qb.build().execute(&mut *conn).await?;
            }
        });
        Ok(())
    }

    /// Replaces the skills list (in order).
    pub async fn set_skills(&mut self, skills: &[SkillRow]) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("delete from community_skills").execute(&mut *conn).await?;
            if !skills.is_empty() {
                let mut qb = sqlx::QueryBuilder::new("insert into community_skills (code, name_zh, name_en, position) ");
                qb.push_values(skills.iter().enumerate(), |mut b, (i, s)| {
                    b.push_bind(s.code.clone()).push_bind(s.name_zh.clone()).push_bind(s.name_en.clone()).push_bind(i as i64);
                });
                qb.build().execute(&mut *conn).await?;
            }
        });
        Ok(())
    }

    /// Stores a volunteer's phone and password hash (a phone already taken is a `Conflict`).
    pub async fn insert_volunteer_credentials(&mut self, volunteer_id: i64, phone: &str, hash: &str) -> Result<()> {
        let res: std::result::Result<_, sqlx::Error> = run!(self.conn(), conn => {
            sqlx::query("insert into volunteer_credentials (volunteer_id, phone, password_hash) values ($1, $2, $3)")
                .bind(volunteer_id)
                .bind(phone)
                .bind(hash)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        });
        res.map_err(|e| StoreError::unique(e, "volunteer phone"))
    }

    pub async fn insert_volunteer_session(
        &mut self,
        hash: &str,
        volunteer_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query(
                "insert into volunteer_sessions (token_hash, volunteer_id, created_at, expires_at) values ($1, $2, $3, $4)",
            )
            .bind(hash)
            .bind(volunteer_id)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Revokes a live session; answers whether there was one.
    pub async fn revoke_volunteer_session(&mut self, hash: &str, now: i64) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query("update volunteer_sessions set revoked_at = $1 where token_hash = $2 and revoked_at is null")
                .bind(now)
                .bind(hash)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }
}

impl Store {
    pub async fn community_record(&self, stream: &str, id: i64) -> Result<Option<CommunityRow>> {
        let sql = format!("select {COLUMNS} from community_records where id = $1 and stream = $2");
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => { sqlx::query_as(&sql).bind(id).bind(stream).fetch_optional(&mut *conn).await? }))
    }

    /// Records of one kind under any of `paths` (community paths or their ancestors), `status`
    /// filtering, ordered by `at` (newest first when `newest_first`), at most `limit`.
    pub async fn community_records(
        &self,
        stream: &str,
        paths: &[&str],
        status: Option<&str>,
        newest_first: bool,
        limit: i64,
    ) -> Result<Vec<CommunityRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {COLUMNS} from community_records where stream = "));
            qb.push_bind(stream.to_string()).push(" and (1 = 0");
            for p in paths {
                qb.push(" or (community_path >= ").push_bind(p.to_string());
                qb.push(" and community_path < ").push_bind(path_upper(p)).push(")");
            }
            qb.push(")");
            if let Some(s) = status {
                qb.push(" and status = ").push_bind(s.to_string());
            }
            qb.push(if newest_first { " order by at desc, id desc" } else { " order by at, id" });
            qb.push(" limit ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// Records of one kind with the given ids.
    pub async fn community_records_by_id(&self, stream: &str, ids: &[i64]) -> Result<Vec<CommunityRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {COLUMNS} from community_records where stream = "));
            qb.push_bind(stream.to_string()).push(" and id in (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") order by id");
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// The record of a kind with a unique key.
    pub async fn community_record_by_key(&self, stream: &str, key: &str) -> Result<Option<CommunityRow>> {
        let sql = format!("select {COLUMNS} from community_records where stream = $1 and unique_key = $2");
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => { sqlx::query_as(&sql).bind(stream).bind(key).fetch_optional(&mut *conn).await? }))
    }

    /// Records of one kind with ids in `(after, upto]`, by id, and the largest id of any kind
    /// (0 when none): the rebuild's pages.
    pub async fn community_records_between(
        &self,
        stream: &str,
        after: i64,
        upto: i64,
    ) -> Result<(Vec<CommunityRow>, i64)> {
        let sql =
            format!("select {COLUMNS} from community_records where stream = $1 and id > $2 and id <= $3 order by id");
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let rows = sqlx::query_as(&sql).bind(stream).bind(after).bind(upto).fetch_all(&mut *conn).await?;
            let max: Option<i64> = sqlx::query_scalar("select max(id) from community_records where stream = $1")
                .bind(stream)
                .fetch_one(&mut *conn)
                .await?;
            (rows, max.unwrap_or(0))
        }))
    }

    /// Confirmed service of someone (or of an activity), by when it happened, within
    /// `[from, to)` of the activity's start.
    pub async fn service(&self, of: ServiceOf, from: i64, to: i64) -> Result<Vec<ServiceRow>> {
        let (column, id) = match of {
            ServiceOf::Member(id) => ("member_id", id),
            ServiceOf::PartyOrg(id) => ("party_org_id", id),
            ServiceOf::Volunteer(id) => ("volunteer_id", id),
            ServiceOf::Activity(id) => ("activity_id", id),
            ServiceOf::ConfirmedSince(at) => ("confirmed_at", at),
        };
        let cmp = if matches!(of, ServiceOf::ConfirmedSince(_)) { ">=" } else { "=" };
        let sql = format!(
            "select {SERVICE_COLUMNS} from community_service where {column} {cmp} $1 and starts_at >= $2 and starts_at < $3
             order by starts_at, activity_id, volunteer_id"
        );
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&sql).bind(id).bind(from).bind(to).fetch_all(&mut *conn).await?
        }))
    }

    /// The deployment's secret named `name` (`server_keys`), if it was made.
    pub async fn stored_server_key(&self, name: &str) -> Result<Option<String>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select secret from server_keys where name = $1")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// The activities a volunteer signed up for (any status), newest first, at most `limit`.
    pub async fn volunteer_activity_ids(&self, volunteer_id: i64, limit: i64) -> Result<Vec<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar(
                "select activity_id from community_attendance where volunteer_id = $1
                 order by starts_at desc, activity_id desc limit $2",
            )
            .bind(volunteer_id)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The configured skills list, in order (empty: the deployment keeps the default).
    pub async fn skills(&self) -> Result<Vec<SkillRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select code, name_zh, name_en from community_skills order by position")
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// A volunteer's id and password hash by phone.
    pub async fn volunteer_credentials(&self, phone: &str) -> Result<Option<(i64, String)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select volunteer_id, password_hash from volunteer_credentials where phone = $1")
                .bind(phone)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// The volunteer behind a live session.
    pub async fn live_volunteer_session(&self, hash: &str, now: i64) -> Result<Option<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar(
                "select volunteer_id from volunteer_sessions where token_hash = $1 and revoked_at is null and expires_at > $2",
            )
            .bind(hash)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }
}
