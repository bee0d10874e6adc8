//! Whistles in storage: the folded state per whistle, one row per summoned unit (scopes,
//! scorecards and the check-in due index `next_fire_at`).

use crate::orgs::path_upper;
use crate::{Result, Store, Tx, run};

/// A stored whistle.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WhistleRow {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub raised_by_org_id: i64,
    pub raised_by_path: String,
    /// Where the whistle takes place (the grid or area its point lies in, else the raiser's
    /// subdistrict): whose live board shows it.
    pub place_path: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// The folded state (JSON).
    pub state: String,
    pub version: i64,
    pub raised_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
}

const COLUMNS: &str = "id, kind, status, raised_by_org_id, raised_by_path, place_path, title, description, address, lat, lon, \
    state, version, raised_at, updated_at, closed_at";

/// A whistle to insert (its state is written right after, once the id is known).
#[derive(Debug, Clone)]
pub struct NewWhistleRow<'a> {
    pub kind: &'a str,
    pub raised_by_org_id: i64,
    pub raised_by_path: &'a str,
    pub place_path: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub address: &'a str,
    pub lat: f64,
    pub lon: f64,
    /// The linked cases, in the order given (each keeps its own lifecycle).
    pub case_ids: &'a [i64],
    pub raised_at: i64,
}

/// One summoned unit's row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WhistleUnitRow {
    pub whistle_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub status: String,
    pub raised_at: i64,
    pub due_at: i64,
    pub checked_in_at: Option<i64>,
    pub late: bool,
    pub done_at: Option<i64>,
    pub rating: Option<i64>,
    pub overdue_at: Option<i64>,
    pub next_fire_at: Option<i64>,
}

impl Tx {
    /// Inserts a whistle (state `{}` and version 1 until `save_whistle`) and its case links;
    /// returns its id.
    pub async fn insert_whistle(&mut self, w: &NewWhistleRow<'_>) -> Result<i64> {
        let id: i64 = run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into whistles (kind, status, raised_by_org_id, raised_by_path, title, description, address,
                    lat, lon, state, version, raised_at, updated_at, place_path)
                 values ($1, 'open', $2, $3, $4, $5, $6, $7, $8, '{}', 1, $9, $9, $10) returning id",
            )
            .bind(w.kind)
            .bind(w.raised_by_org_id)
            .bind(w.raised_by_path)
            .bind(w.title)
            .bind(w.description)
            .bind(w.address)
            .bind(w.lat)
            .bind(w.lon)
            .bind(w.raised_at)
            .bind(w.place_path)
            .fetch_one(&mut *conn)
            .await?
        });
        let mut links: Vec<(i64, i64)> = Vec::with_capacity(w.case_ids.len());
        for (position, case_id) in w.case_ids.iter().enumerate() {
            if !links.iter().any(|(c, _)| c == case_id) {
                links.push((*case_id, position as i64));
            }
        }
        if !links.is_empty() {
            run!(self.conn(), conn => {
                let mut qb = sqlx::QueryBuilder::new("insert into whistle_cases (whistle_id, case_id, position) ");
                qb.push_values(&links, |mut b, (case_id, position)| {
                    b.push_bind(id).push_bind(*case_id).push_bind(*position);
                });
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(id)
    }

    /// The whistle, read (and on PostgreSQL locked) inside the write transaction.
    pub async fn whistle_for_update(&mut self, id: i64) -> Result<Option<WhistleRow>> {
        let sql = match self.conn() {
            crate::Conn::Sqlite(_) => format!("select {COLUMNS} from whistles where id = $1"),
            crate::Conn::Postgres(_) => format!("select {COLUMNS} from whistles where id = $1 for update"),
        };
        Ok(run!(self.conn(), conn => { sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await? }))
    }

    /// Writes the folded state and the unit rows, if the stored version is still `expected`
    /// (false, nothing written, otherwise).
    #[allow(clippy::too_many_arguments)]
    pub async fn save_whistle(
        &mut self,
        id: i64,
        status: &str,
        state: &str,
        version: i64,
        expected: i64,
        now: i64,
        closed_at: Option<i64>,
        units: &[WhistleUnitRow],
    ) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query(
                "update whistles set status = $1, state = $2, version = $3, updated_at = $4, closed_at = $5
                 where id = $6 and version = $7",
            )
            .bind(status)
            .bind(state)
            .bind(version)
            .bind(now)
            .bind(closed_at)
            .bind(id)
            .bind(expected)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if n != 1 {
            return Ok(false);
        }
        run!(self.conn(), conn => {
            sqlx::query("delete from whistle_units where whistle_id = $1").bind(id).execute(&mut *conn).await?;
            if !units.is_empty() {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into whistle_units (whistle_id, org_id, org_path, status, raised_at, due_at, checked_in_at,
                        late, done_at, rating, overdue_at, next_fire_at) ",
                );
                qb.push_values(units, |mut b, u| {
                    b.push_bind(u.whistle_id)
                        .push_bind(u.org_id)
                        .push_bind(u.org_path.clone())
                        .push_bind(u.status.clone())
                        .push_bind(u.raised_at)
                        .push_bind(u.due_at)
                        .push_bind(u.checked_in_at)
                        .push_bind(u.late)
                        .push_bind(u.done_at)
                        .push_bind(u.rating)
                        .push_bind(u.overdue_at)
                        .push_bind(u.next_fire_at);
                });
                qb.build().execute(&mut *conn).await?;
            }
        });
        Ok(true)
    }

    /// Ids of whistles with a unit whose check-in deadline fell due at `now` (earliest first).
    pub async fn due_whistles(&mut self, now: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(run!(self.conn(), conn => {
            sqlx::query_scalar(
                "select whistle_id from whistle_units where next_fire_at is not null and next_fire_at <= $1
                 group by whistle_id order by min(next_fire_at) limit $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// Locks whistle rows for the timer worker; rows another transaction holds are skipped on
    /// PostgreSQL (`for update skip locked`).
    pub async fn whistles_for_timer(&mut self, ids: &[i64]) -> Result<Vec<WhistleRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let lock = match self.conn() {
            crate::Conn::Sqlite(_) => "",
            crate::Conn::Postgres(_) => " for update skip locked",
        };
        Ok(run!(self.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {COLUMNS} from whistles where id in ("));
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")").push(lock);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }
}

impl Store {
    /// Open whistles (ids above `after`, ascending, at most `limit`) with a unit still to check
    /// in whose deadline is computed across the instants `[start, end)`: raised before `end`
    /// and due (or next supervised) at or after `start`. The candidates for re-timing a year.
    pub async fn whistle_retime_candidates(&self, start: i64, end: i64, after: i64, limit: i64) -> Result<Vec<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar::<_, i64>(
                "select distinct u.whistle_id from whistle_units u join whistles w on w.id = u.whistle_id
                 where w.status = 'open' and u.status in ('summoned', 'acknowledged') and u.raised_at < $2
                   and (u.due_at >= $1 or u.next_fire_at >= $1) and u.whistle_id > $3
                 order by u.whistle_id limit $4",
            )
            .bind(start)
            .bind(end)
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The whistles linking case `case_id` as (id, title, status), newest first.
    pub async fn whistles_for_case(&self, case_id: i64) -> Result<Vec<(i64, String, String)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select w.id, w.title, w.status from whistle_cases l join whistles w on w.id = l.whistle_id
                 where l.case_id = $1 order by w.id desc limit 20",
            )
            .bind(case_id)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The cases whistle `whistle_id` links, in the order given when it was raised.
    pub async fn whistle_case_ids(&self, whistle_id: i64) -> Result<Vec<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select case_id from whistle_cases where whistle_id = $1 order by position")
                .bind(whistle_id)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// The whistles with ids in `(after, upto]`, by id, and the largest whistle id (0 when none).
    pub async fn whistles_between(&self, after: i64, upto: i64) -> Result<(Vec<WhistleRow>, i64)> {
        let sql = format!("select {COLUMNS} from whistles where id > $1 and id <= $2 order by id");
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let rows = sqlx::query_as(&sql).bind(after).bind(upto).fetch_all(&mut *conn).await?;
            let max: Option<i64> = sqlx::query_scalar("select max(id) from whistles").fetch_one(&mut *conn).await?;
            (rows, max.unwrap_or(0))
        }))
    }

    pub async fn whistle(&self, id: i64) -> Result<Option<WhistleRow>> {
        let sql = format!("select {COLUMNS} from whistles where id = $1");
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => { sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await? }))
    }

    /// Whistles raised under one of `raiser_paths` or summoning a unit under one of
    /// `unit_paths`, newest first; `status` filters; at most `limit`.
    pub async fn list_whistles(
        &self,
        raiser_paths: &[String],
        unit_paths: &[String],
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<WhistleRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {COLUMNS} from whistles where (1 = 0"));
            for p in raiser_paths {
                qb.push(" or (raised_by_path >= ").push_bind(p.clone());
                qb.push(" and raised_by_path < ").push_bind(path_upper(p)).push(")");
            }
            for p in unit_paths {
                qb.push(" or exists (select 1 from whistle_units u where u.whistle_id = whistles.id and u.org_path >= ")
                    .push_bind(p.clone());
                qb.push(" and u.org_path < ").push_bind(path_upper(p)).push(")");
            }
            qb.push(")");
            if let Some(s) = status {
                qb.push(" and status = ").push_bind(s.to_string());
            }
            qb.push(" order by id desc limit ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// Whistles taking place under `path` (a subdistrict's board), newest first; `status`
    /// filters; at most `limit`.
    pub async fn whistles_placed_under(&self, path: &str, status: Option<&str>, limit: i64) -> Result<Vec<WhistleRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(format!("select {COLUMNS} from whistles where place_path >= "));
            qb.push_bind(path.to_string()).push(" and place_path < ").push_bind(path_upper(path));
            if let Some(s) = status {
                qb.push(" and status = ").push_bind(s.to_string());
            }
            qb.push(" order by id desc limit ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// Unit rows of whistles raised in `[from, to)` whose unit lies under one of `paths`
    /// (cancelled whistles left out): the material of the scorecards.
    pub async fn whistle_units_between(&self, paths: &[String], from: i64, to: i64) -> Result<Vec<WhistleUnitRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "select u.whistle_id, u.org_id, u.org_path, u.status, u.raised_at, u.due_at, u.checked_in_at, u.late,
                    u.done_at, u.rating, u.overdue_at, u.next_fire_at
                 from whistle_units u join whistles w on w.id = u.whistle_id
                 where w.status <> 'cancelled' and u.raised_at >= ",
            );
            qb.push_bind(from).push(" and u.raised_at < ").push_bind(to).push(" and (1 = 0");
            for p in paths {
                qb.push(" or (u.org_path >= ").push_bind(p.clone());
                qb.push(" and u.org_path < ").push_bind(path_upper(p)).push(")");
            }
            qb.push(") order by u.org_path, u.whistle_id");
            qb.build_query_as().fetch_all(&mut *conn).await?
        }))
    }

    /// Whistles raised in `[from, to)` by a raiser under `path` (cancelled left out).
    pub async fn count_whistles_raised(&self, path: &str, from: i64, to: i64) -> Result<i64> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar(
                "select count(*) from whistles where status <> 'cancelled' and raised_at >= $1 and raised_at < $2
                    and raised_by_path >= $3 and raised_by_path < $4",
            )
            .bind(from)
            .bind(to)
            .bind(path)
            .bind(path_upper(path))
            .fetch_one(&mut *conn)
            .await?
        }))
    }

    /// Cases received in `[from, to)` placed under `path`.
    pub async fn count_cases_received(&self, path: &str, from: i64, to: i64) -> Result<i64> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar(
                "select count(*) from cases where created_at >= $1 and created_at < $2
                    and location_path >= $3 and location_path < $4",
            )
            .bind(from)
            .bind(to)
            .bind(path)
            .bind(path_upper(path))
            .fetch_one(&mut *conn)
            .await?
        }))
    }

    /// The earliest instant a unit's check-in deadline needs the timer worker.
    pub async fn next_whistle_fire_at(&self) -> Result<Option<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar::<_, Option<i64>>(
                "select min(next_fire_at) from whistle_units where next_fire_at is not null",
            )
            .fetch_one(&mut *conn)
            .await?
        }))
    }
}

impl Store {
    /// Whistle events after `after_seq`, oldest first, as `(seq, whistle id, place path)`:
    /// what the live board follows.
    pub async fn whistle_events_after(&self, after_seq: i64, limit: i64) -> Result<Vec<(i64, i64, String)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select e.seq, w.id, w.place_path from events e join whistles w on w.id = e.stream_id \
                 where e.seq > $1 and e.stream = 'whistle' order by e.seq limit $2",
            )
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }
}
