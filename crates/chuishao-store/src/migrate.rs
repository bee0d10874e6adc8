//! Schema migrations, embedded in the binary: one folder per engine, applied in order, each
//! in its own transaction, recorded in `schema_migrations`.

use crate::{Backend, Result, Store, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// One migration: its version, name and the file stem shared by both engines' folders.
macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $file, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $file, ".sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "foundation", "0001_foundation"),
    migration!(2, "deadlines", "0002_deadlines"),
    migration!(3, "geo", "0003_geo"),
    migration!(4, "residents", "0004_residents"),
    migration!(5, "whistle", "0005_whistle"),
    migration!(6, "console", "0006_console"),
    migration!(8, "patrol", "0008_patrol"),
    migration!(10, "user_admin", "0010_user_admin"),
    migration!(12, "whistle place", "0012_whistle_place"),
    migration!(13, "outbox stream", "0013_outbox_stream"),
    migration!(14, "whistle cases", "0014_whistle_cases"),
    migration!(15, "community", "0015_community"),
    migration!(20, "server keys", "0020_server_keys"),
    migration!(30, "cache versions", "0030_cache_versions"),
    migration!(31, "login pairs", "0031_login_pairs"),
    migration!(35, "public text", "0035_public_text"),
    migration!(36, "vault", "0036_vault"),
];

/// The schema version a fully migrated database reports.
pub fn latest_schema_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

const CREATE_TABLE: &str = "create table if not exists schema_migrations (
    version bigint primary key, name text not null, applied_at bigint not null)";

macro_rules! migrate_with {
    ($pool:expr, $sql:ident, $now:expr, $upto:expr) => {{
        sqlx::query(CREATE_TABLE).execute($pool).await?;
        let applied: Vec<i64> =
            sqlx::query_scalar("select version from schema_migrations order by version").fetch_all($pool).await?;
        let mut count = 0;
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version) && m.version <= $upto) {
            let mut tx = $pool.begin().await?;
            sqlx::raw_sql(m.$sql)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Migration { version: m.version, message: e.to_string() })?;
            sqlx::query("insert into schema_migrations (version, name, applied_at) values ($1, $2, $3)")
                .bind(m.version)
                .bind(m.name)
                .bind($now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            count += 1;
        }
        count
    }};
}

impl Store {
    /// Applies every migration not yet applied; returns how many ran. Safe to call on every
    /// start: several nodes starting together on PostgreSQL serialise on an advisory lock.
    pub async fn migrate(&self, now_ms: i64) -> Result<usize> {
        self.migrate_up_to(i64::MAX, now_ms).await
    }

    /// Applies the migrations not yet applied up to version `upto` (tests of a migration's
    /// data step: build the older schema, fill it, then `migrate`).
    pub async fn migrate_up_to(&self, upto: i64, now_ms: i64) -> Result<usize> {
        Ok(match &self.backend {
            Backend::Sqlite { write, .. } => migrate_with!(write, sqlite, now_ms, upto),
            Backend::Postgres(pool) => {
                let mut lock = pool.acquire().await?;
                sqlx::query("select pg_advisory_lock(7201)").execute(&mut *lock).await?;
                let result: Result<usize> = async { Ok(migrate_with!(pool, postgres, now_ms, upto)) }.await;
                sqlx::query("select pg_advisory_unlock(7201)").execute(&mut *lock).await?;
                result?
            }
        })
    }

    /// The latest applied migration version (0 for an empty database).
    pub async fn schema_version(&self) -> Result<i64> {
        let mut c = self.read().await?;
        let v: Option<i64> = crate::run!(c.conn(), conn => {
            sqlx::query_scalar("select max(version) from schema_migrations").fetch_one(&mut *conn).await?
        });
        Ok(v.unwrap_or(0))
    }

    /// Tables, columns and nullability, normalised so the two engines compare equal.
    /// Used by the schema-parity test and by `chuishao migrate --check`.
    pub async fn schema_summary(&self) -> Result<Vec<(String, String, bool)>> {
        let mut c = self.read().await?;
        let mut out: Vec<(String, String, bool)> = match c.conn() {
            crate::Conn::Sqlite(conn) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
                )
                .fetch_all(&mut *conn)
                .await?;
                let mut out = Vec::new();
                for t in tables {
                    let rows: Vec<(String, i64, i64)> =
                        sqlx::query_as("select name, \"notnull\", pk from pragma_table_info($1)")
                            .bind(&t)
                            .fetch_all(&mut *conn)
                            .await?;
                    for (col, notnull, pk) in rows {
                        out.push((t.clone(), col, notnull == 0 && pk == 0));
                    }
                }
                out
            }
            crate::Conn::Postgres(conn) => {
                let rows: Vec<(String, String, String)> = sqlx::query_as(
                    "select table_name::text, column_name::text, is_nullable::text from information_schema.columns
                     where table_schema = current_schema()",
                )
                .fetch_all(&mut *conn)
                .await?;
                rows.into_iter().map(|(t, c, n)| (t, c, n == "YES")).collect()
            }
        };
        out.sort();
        Ok(out)
    }
}
