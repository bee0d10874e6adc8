//! Street people and patrols in storage: who answers for each street, patrols with their
//! track points, ticked checklist and the cases they reported.

use crate::{Conn, Result, Store, Tx, run};

/// A street with its community.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StreetRow {
    pub id: i64,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub community_code: String,
    pub community_name: String,
    pub community_path: String,
}

/// One person's duty on a street.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StreetPersonRow {
    pub street_id: i64,
    pub username: String,
    pub display_name: String,
    pub duty: String,
}

/// A patrol with its street and patroller.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatrolRow {
    pub id: i64,
    pub street_id: i64,
    pub street_code: String,
    pub street_name: String,
    pub community_code: String,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub status: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub checklist: String,
    pub point_count: i64,
    pub last_point_at: Option<i64>,
    pub version: i64,
}

/// Which patrols to list.
#[derive(Debug, Clone, Default)]
pub struct PatrolFilter {
    pub street_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Only patrols of streets whose community lies under this path.
    pub under_path: Option<String>,
    pub limit: i64,
}

const STREET_SELECT: &str = "select s.id, s.code, s.name_zh, s.name_en, c.code as community_code,
    c.name_zh as community_name, c.path as community_path from streets s join org_nodes c on c.id = s.community_id";

const PATROL_SELECT: &str = "select p.id, p.street_id, s.code as street_code, s.name_zh as street_name,
    c.code as community_code, p.user_id, u.username, u.display_name, p.status, p.started_at, p.finished_at,
    p.checklist, p.point_count, p.last_point_at, p.version
    from patrols p join streets s on s.id = p.street_id join org_nodes c on c.id = s.community_id
    join users u on u.id = p.user_id";

/// Points per insert statement (5 parameters each).
const POINT_CHUNK: usize = 1000;

impl Store {
    pub async fn street_by_code(&self, code: &str) -> Result<Option<StreetRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("{STREET_SELECT} where s.code = $1")).bind(code).fetch_optional(&mut *conn).await?
        }))
    }

    /// Streets whose community lies under `path`, in code order.
    pub async fn streets_under(&self, path: &str) -> Result<Vec<StreetRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("{STREET_SELECT} where c.path >= $1 and c.path < $2 order by s.code"))
                .bind(path)
                .bind(crate::orgs::path_upper(path))
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// The people of the streets under `path`, by street, duty and username.
    pub async fn street_people_under(&self, path: &str) -> Result<Vec<StreetPersonRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select sp.street_id, u.username, u.display_name, sp.duty from street_people sp
                 join users u on u.id = sp.user_id join streets s on s.id = sp.street_id
                 join org_nodes c on c.id = s.community_id
                 where c.path >= $1 and c.path < $2 order by sp.street_id, sp.duty, sp.id",
            )
            .bind(path)
            .bind(crate::orgs::path_upper(path))
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The last finished patrol of each street under `path`: (street id, finished at).
    pub async fn last_patrols_under(&self, path: &str) -> Result<Vec<(i64, i64)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select p.street_id, max(p.finished_at) from patrols p join streets s on s.id = p.street_id
                 join org_nodes c on c.id = s.community_id
                 where c.path >= $1 and c.path < $2 and p.finished_at is not null group by p.street_id",
            )
            .bind(path)
            .bind(crate::orgs::path_upper(path))
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The user's ongoing patrol, if any.
    pub async fn ongoing_patrol_of(&self, user_id: i64) -> Result<Option<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar("select id from patrols where user_id = $1 and status = 'ongoing' order by id limit 1")
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    pub async fn patrol(&self, id: i64) -> Result<Option<PatrolRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("{PATROL_SELECT} where p.id = $1")).bind(id).fetch_optional(&mut *conn).await?
        }))
    }

    /// Patrols, newest first.
    pub async fn list_patrols(&self, f: &PatrolFilter) -> Result<Vec<PatrolRow>> {
        let (upper, path) = match &f.under_path {
            Some(p) => (crate::orgs::path_upper(p), p.clone()),
            None => ("~".to_string(), String::new()),
        };
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!(
                "{PATROL_SELECT} where ($1 is null or p.street_id = $1) and ($2 is null or p.user_id = $2)
                 and c.path >= $3 and c.path < $4 order by p.started_at desc, p.id desc limit $5"
            ))
            .bind(f.street_id)
            .bind(f.user_id)
            .bind(&path)
            .bind(&upper)
            .bind(f.limit)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// A patrol's track: (at, lat, lon) in order.
    pub async fn patrol_points(&self, id: i64) -> Result<Vec<(i64, f64, f64)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select at, lat, lon from patrol_points where patrol_id = $1 order by seq")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// Cases a patrol reported: (case id, tracking code).
    pub async fn patrol_findings(&self, id: i64) -> Result<Vec<(i64, String)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select f.case_id, k.tracking_code from patrol_findings f join cases k on k.id = f.case_id
                 where f.patrol_id = $1 order by f.case_id",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        }))
    }
}

impl Tx {
    /// Replaces everyone assigned to a street.
    pub async fn replace_street_people(&mut self, street_id: i64, people: &[(i64, &str)], now: i64) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("delete from street_people where street_id = $1").bind(street_id).execute(&mut *conn).await?;
            for (user_id, duty) in people {
                sqlx::query(
                    "insert into street_people (street_id, user_id, duty, created_at) values ($1, $2, $3, $4)",
                )
                .bind(street_id)
                .bind(user_id)
                .bind(duty)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }

    /// Starts a patrol; returns its id.
    pub async fn insert_patrol(&mut self, street_id: i64, user_id: i64, started_at: i64) -> Result<i64> {
        Ok(run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into patrols (street_id, user_id, status, started_at, finished_at, checklist, point_count,
                    last_point_at, version) values ($1, $2, 'ongoing', $3, null, '{}', 0, null, 1) returning id",
            )
            .bind(street_id)
            .bind(user_id)
            .bind(started_at)
            .fetch_one(&mut *conn)
            .await?
        }))
    }

    /// The patrol, locked for the rest of the transaction (PostgreSQL `for update`; a SQLite
    /// write transaction is exclusive already).
    pub async fn patrol_for_update(&mut self, id: i64) -> Result<Option<PatrolRow>> {
        let sql = match self.conn() {
            Conn::Sqlite(_) => format!("{PATROL_SELECT} where p.id = $1"),
            Conn::Postgres(_) => format!("{PATROL_SELECT} where p.id = $1 for update of p"),
        };
        Ok(run!(self.conn(), conn => { sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await? }))
    }

    /// Appends track points after the `stored` ones and bumps the patrol's version.
    pub async fn append_patrol_points(&mut self, id: i64, stored: i64, points: &[(i64, f64, f64)]) -> Result<()> {
        let Some(last) = points.last() else { return Ok(()) };
        let rows: Vec<(i64, &(i64, f64, f64))> =
            points.iter().enumerate().map(|(i, p)| (stored + i as i64 + 1, p)).collect();
        run!(self.conn(), conn => {
            for chunk in rows.chunks(POINT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("insert into patrol_points (patrol_id, seq, at, lat, lon) ");
                qb.push_values(chunk, |mut b, (seq, (at, lat, lon))| {
                    b.push_bind(id).push_bind(*seq).push_bind(*at).push_bind(*lat).push_bind(*lon);
                });
                qb.build().execute(&mut *conn).await?;
            }
            sqlx::query(
                "update patrols set point_count = point_count + $1, last_point_at = $2, version = version + 1 where id = $3",
            )
            .bind(points.len() as i64)
            .bind(last.0)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Stores the ticked checklist and bumps the version.
    pub async fn set_patrol_checklist(&mut self, id: i64, checklist: &str) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update patrols set checklist = $1, version = version + 1 where id = $2")
                .bind(checklist)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn finish_patrol(&mut self, id: i64, now: i64) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update patrols set status = 'finished', finished_at = $1, version = version + 1 where id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Links a case to the patrol that reported it and bumps the patrol's version.
    pub async fn insert_patrol_finding(&mut self, id: i64, case_id: i64, now: i64) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("insert into patrol_findings (patrol_id, case_id, created_at) values ($1, $2, $3)")
                .bind(id)
                .bind(case_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            sqlx::query("update patrols set version = version + 1 where id = $1").bind(id).execute(&mut *conn).await?;
        });
        Ok(())
    }
}
