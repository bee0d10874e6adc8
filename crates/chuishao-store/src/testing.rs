//! Throw-away databases for tests: a SQLite file in a temporary directory, or a fresh
//! PostgreSQL database created next to `CHUISHAO_TEST_PG_URL`'s and dropped by `cleanup`.

use crate::{Engine, Result, Store, StoreError};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL URL tests may use, if configured.
pub fn pg_url() -> Option<String> {
    std::env::var("CHUISHAO_TEST_PG_URL").ok().filter(|s| !s.is_empty())
}

/// The engine integration tests run on by default: PostgreSQL when `CHUISHAO_TEST_PG_URL` is
/// set, SQLite otherwise.
pub fn default_engine() -> Engine {
    if pg_url().is_some() { Engine::Postgres } else { Engine::Sqlite }
}

/// A migrated, empty database. Keep it alive for the test; call `cleanup` at the end.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    /// Creates a fresh database on `engine` and migrates it.
    pub async fn new(engine: Engine) -> Result<TestDb> {
        let db = TestDb::unmigrated(engine).await?;
        db.store.migrate(0).await?;
        Ok(db)
    }

    /// Creates a fresh database on `engine` without any table (a new database).
    pub async fn unmigrated(engine: Engine) -> Result<TestDb> {
        let (url, dir, pg_admin) = match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| StoreError::Config(e.to_string()))?;
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                (url, Some(dir), None)
            }
            Engine::Postgres => {
                let base = pg_url().ok_or_else(|| StoreError::Config("CHUISHAO_TEST_PG_URL is not set".into()))?;
                let name = format!(
                    "chuishao_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.subsec_nanos())
                        .unwrap_or(0)
                );
                let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await?;
                sqlx::query(&format!("create database {name}")).execute(&mut admin).await?;
                <sqlx::PgConnection as sqlx::Connection>::close(admin).await?;
                let url = match base.rfind('/') {
                    Some(i) if base[..i].contains("//") && i > base.find("//").unwrap_or(0) + 1 => {
                        let (head, tail) = base.split_at(i);
                        let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
                        format!("{head}/{name}{query}")
                    }
                    _ => format!("{base}/{name}"),
                };
                (url, None, Some((base, name)))
            }
        };
        let store = Store::open(&url).await?;
        Ok(TestDb { store, url, _dir: dir, pg_admin })
    }

    /// Closes the store and drops a PostgreSQL test database.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some((base, name)) = self.pg_admin
            && let Ok(mut admin) = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await
        {
            let _ = sqlx::query(&format!("drop database if exists {name} with (force)")).execute(&mut admin).await;
        }
    }
}

impl TestDb {
    /// Runs raw SQL against the test database (to simulate tampering or corruption).
    pub async fn exec(&self, sql: &str) -> Result<u64> {
        let mut c = self.store.read_write_conn().await?;
        Ok(crate::run!(c.conn(), conn => {
            sqlx::raw_sql(sql).execute(&mut *conn).await?.rows_affected()
        }))
    }
}
