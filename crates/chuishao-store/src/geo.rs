//! Geometry in storage: the places' GeoJSON (on `org_nodes.geometry`), streets, and the
//! revision every import bumps so other app nodes rebuild their grid index.

use crate::{Result, Store, Tx, run};

/// One stored feature: an org node with geometry, or a street.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GeoRow {
    /// An org kind (`grid`, `community`…) or `street`.
    pub kind: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub parent_code: Option<String>,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub geometry: String,
}

/// A place to create or update from an import. New nodes get their path after insertion.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoNodeWrite {
    pub code: String,
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
    pub parent_code: Option<String>,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub geometry: String,
    /// Whether the node exists already (then name, counts and geometry are updated).
    pub exists: bool,
}

/// A street to create or replace.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetWrite {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub community_code: String,
    pub geometry: String,
}

/// Rows per multi-row insert (10 parameters each).
const CHUNK: usize = 1000;

impl Tx {
    /// Writes validated places (parents before children) and streets, and bumps the geometry
    /// revision. Codes and parents were checked by the caller.
    pub async fn write_geo(&mut self, nodes: &[GeoNodeWrite], streets: &[StreetWrite], now: i64) -> Result<()> {
        let (updates, inserts): (Vec<&GeoNodeWrite>, Vec<&GeoNodeWrite>) = nodes.iter().partition(|n| n.exists);
        run!(self.conn(), conn => {
            for n in &updates {
                sqlx::query(
                    "update org_nodes set name_zh = $1, name_en = $2, households = coalesce($3, households),
                     population = coalesce($4, population), geometry = $5 where code = $6",
                )
                .bind(&n.name_zh)
                .bind(&n.name_en)
                .bind(n.households)
                .bind(n.population)
                .bind(&n.geometry)
                .bind(&n.code)
                .execute(&mut *conn)
                .await?;
            }
            // Inserted in the given order (parents first), so a parent sub-select finds its row.
            // One statement never mixes a parent and its child: PostgreSQL's sub-select would not
            // see a row inserted by the same statement.
            for chunk in inserts.chunk_by(|a, b| a.kind == b.kind).flat_map(|run| run.chunks(CHUNK)) {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into org_nodes (code, kind, name_zh, name_en, parent_id, path, households, population, geometry, created_at) ",
                );
                qb.push_values(chunk, |mut b, n| {
                    b.push_bind(n.code.as_str())
                        .push_bind(n.kind.as_str())
                        .push_bind(n.name_zh.as_str())
                        .push_bind(n.name_en.as_str())
                        .push("(select p.id from org_nodes p where p.code = ")
                        .push_bind_unseparated(n.parent_code.as_deref())
                        .push_unseparated(")")
                        .push("''")
                        .push_bind(n.households)
                        .push_bind(n.population)
                        .push_bind(n.geometry.as_str())
                        .push_bind(now);
                });
                qb.build().execute(&mut *conn).await?;
            }
            // Paths of the new nodes, one tree level at a time, roots first.
            for _ in 0..5 {
                sqlx::query(
                    "update org_nodes set path = coalesce((select p.path from org_nodes p where p.id = org_nodes.parent_id), '/')
                        || cast(id as text) || '/'
                     where path = '' and (parent_id is null
                        or exists (select 1 from org_nodes p where p.id = org_nodes.parent_id and p.path <> ''))",
                )
                .execute(&mut *conn)
                .await?;
            }
            for s in streets {
                sqlx::query(
                    "insert into streets (code, name_zh, name_en, community_id, geometry, created_at, updated_at)
                     values ($1, $2, $3, (select id from org_nodes where code = $4), $5, $6, $6)
                     on conflict (code) do update set name_zh = excluded.name_zh, name_en = excluded.name_en,
                        community_id = excluded.community_id, geometry = excluded.geometry, updated_at = excluded.updated_at",
                )
                .bind(&s.code)
                .bind(&s.name_zh)
                .bind(&s.name_en)
                .bind(&s.community_code)
                .bind(&s.geometry)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("update geo_state set revision = revision + 1, updated_at = $1 where id = 1")
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

impl Store {
    /// Every place with geometry and every street, in code order.
    pub async fn geo_rows(&self) -> Result<Vec<GeoRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select n.kind, n.code, n.name_zh, n.name_en, p.code as parent_code, n.households, n.population, n.geometry
                 from org_nodes n left join org_nodes p on p.id = n.parent_id where n.geometry is not null
                 union all
                 select 'street', s.code, s.name_zh, s.name_en, c.code, null, null, s.geometry
                 from streets s join org_nodes c on c.id = s.community_id
                 order by 2",
            )
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The geometry revision (0 before any import).
    pub async fn geo_revision(&self) -> Result<i64> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select revision from geo_state where id = 1").fetch_one(&mut *conn).await?
        }))
    }

    /// Codes of every street (to tell updates from inserts and catch code clashes).
    pub async fn street_codes(&self) -> Result<Vec<String>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select code from streets order by code").fetch_all(&mut *conn).await?
        }))
    }
}

impl Tx {
    /// Bumps the geometry revision (any change to places' geometry outside `write_geo`).
    pub async fn bump_geo_revision(&mut self, now: i64) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update geo_state set revision = revision + 1, updated_at = $1 where id = 1")
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

/// An open case with its place, for maps and workload.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OpenCaseRow {
    pub id: i64,
    pub tracking_code: String,
    pub category_code: Option<String>,
    pub grid_id: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub created_at: i64,
    /// Whether a running deadline of the case has passed at the instant asked about.
    pub overdue: bool,
}

impl Store {
    /// Open cases (not closed, rejected or merged) placed under `path`, newest first, each
    /// with whether one of its running deadlines has passed at `now` (the same rule as the
    /// case list's `overdue` filter).
    pub async fn open_cases_under(&self, path: &str, limit: i64, now: i64) -> Result<Vec<OpenCaseRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select id, tracking_code, category_code, grid_id, lat, lon, created_at,
                        exists (select 1 from case_deadlines d where d.case_id = cases.id
                                and d.state = 'running' and d.due_at <= $4) as overdue
                 from cases
                 where location_path >= $1 and location_path < $2 and status not in ('closed', 'rejected', 'merged')
                 order by id desc limit $3",
            )
            .bind(path)
            .bind(crate::orgs::path_upper(path))
            .bind(limit)
            .bind(now)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// Active users bound as grid workers: (org id, user id, username, display name).
    pub async fn grid_workers(&self) -> Result<Vec<(i64, i64, String, String)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select r.org_id, u.id, u.username, u.display_name from user_roles r join users u on u.id = r.user_id
                 where r.role = 'grid_worker' and u.active order by r.org_id, u.username",
            )
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// Open cases per grid under `path`.
    pub async fn open_case_counts_by_grid(&self, path: &str) -> Result<Vec<(i64, i64)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select grid_id, count(*) from cases where grid_id is not null and location_path >= $1 and location_path < $2
                 and status not in ('closed', 'rejected', 'merged') group by grid_id",
            )
            .bind(path)
            .bind(crate::orgs::path_upper(path))
            .fetch_all(&mut *conn)
            .await?
        }))
    }
}
