//! Chuishao's storage: one schema on two engines.
//!
//! SQLite (bundled, WAL, `synchronous=FULL`, foreign keys on) is the embedded default;
//! PostgreSQL is the production engine. Each query is written once: the `run!` macro expands a
//! body for each backend's concrete connection type, so the SQL text is shared where the
//! dialects agree (`$1` placeholders, `returning`, `on conflict`) and branches only where they
//! differ. Writes go through [`Tx`], a transaction that the application opens, fills and
//! commits; on SQLite every write transaction is `BEGIN IMMEDIATE` on a single writer
//! connection, so writers queue in-process instead of fighting over the file lock.

mod audit;
mod caches;
mod calendar;
mod cases;
mod categories;
mod community;
mod console;
mod deadlines;
mod error;
mod geo;
mod migrate;
mod notifications;
mod ops;
mod orgs;
mod patrol;
mod residents;
mod rows;
mod snapshot;
#[cfg(feature = "testing")]
pub mod testing;
mod transfer;
mod user_admin;
mod users;
mod whistles;

pub use audit::{AuditReport, EventRecord, NewEvent};
pub use cases::{CaseFilter, CaseRow, INTAKE_CHUNK, IntakeRecord, NewCaseRow, ReporterRow};
pub use community::{CommunityRow, CommunityWrite, NewCommunityRow, ServiceOf, ServiceRow, SkillRow};
pub use console::{SessionRow, ThrottleRow};
pub use deadlines::DeadlineWrite;
pub use error::StoreError;
pub use geo::{GeoNodeWrite, GeoRow, OpenCaseRow, StreetWrite};
pub use migrate::latest_schema_version;
pub use notifications::{DeliveryRow, NewDelivery};
pub use ops::{OutboxBacklog, PoolStats};
pub use patrol::{PatrolFilter, PatrolRow, StreetPersonRow, StreetRow};
pub use residents::{EventListener, PublicCaseFilter, PublicEventRow, PublicTextRow};
pub use rows::OrgRow;
pub use snapshot::{ChainHead, PgSnapshot};
pub use transfer::{CopyReport, NOT_COPIED, SEEDED};
pub use user_admin::{DirectoryRow, TokenRow};
pub use users::{TokenOwner, UserRow};
pub use whistles::{NewWhistleRow, WhistleRow, WhistleUnitRow};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Expands `$body` once per backend with `$conn` bound to that backend's connection.
/// `$target` is an expression of type `&mut Conns` (a pool pair or a transaction).
macro_rules! run {
    ($target:expr, $conn:ident => $body:expr) => {
        match $target {
            $crate::Conn::Sqlite($conn) => $body,
            $crate::Conn::Postgres($conn) => $body,
        }
    };
}
pub(crate) use run;

/// A borrowed connection of either backend, for the `run!` macro.
pub(crate) enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Backend {
    Sqlite { write: SqlitePool, read: SqlitePool },
    Postgres(PgPool),
}

/// The handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("engine", &self.engine()).finish()
    }
}

/// An open write transaction. Dropped without `commit`, it rolls back.
pub struct Tx {
    inner: TxInner,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Conn::Sqlite(t),
            TxInner::Postgres(t) => Conn::Postgres(t),
        }
    }

    /// Commits; only after this returns is the write acknowledged (and durable).
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        match self.inner {
            TxInner::Sqlite(_) => Engine::Sqlite,
            TxInner::Postgres(_) => Engine::Postgres,
        }
    }
}

/// A pooled read connection.
pub(crate) enum ReadConn {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl ReadConn {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            ReadConn::Sqlite(c) => Conn::Sqlite(c),
            ReadConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Store {
    /// Opens a store from a URL: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user@host/db`. Does not migrate; call [`Store::migrate`].
    pub async fn open(url: &str) -> Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() || path.contains(":memory:") {
                return Err(StoreError::Config("an in-memory SQLite database is not durable; give a file path".into()));
            }
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("temp_store", "memory")
                .pragma("cache_size", "-16000");
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.read_only(true))
                .await?;
            Ok(Store { backend: Backend::Sqlite { write, read } })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts)
                .await?;
            Ok(Store { backend: Backend::Postgres(pool) })
        } else {
            Err(StoreError::Config(format!("unsupported database URL {url:?}: use sqlite://FILE or postgres://…")))
        }
    }

    pub fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite { .. } => Engine::Sqlite,
            Backend::Postgres(_) => Engine::Postgres,
        }
    }

    /// Opens a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.backend {
            Backend::Sqlite { write, .. } => TxInner::Sqlite(write.begin_with("begin immediate").await?),
            Backend::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx { inner })
    }

    pub(crate) async fn read(&self) -> Result<ReadConn> {
        Ok(match &self.backend {
            Backend::Sqlite { read, .. } => ReadConn::Sqlite(read.acquire().await?),
            Backend::Postgres(pool) => ReadConn::Postgres(pool.acquire().await?),
        })
    }

    /// A connection that may write, outside any transaction (tests only).
    #[cfg(feature = "testing")]
    pub(crate) async fn read_write_conn(&self) -> Result<ReadConn> {
        Ok(match &self.backend {
            Backend::Sqlite { write, .. } => ReadConn::Sqlite(write.acquire().await?),
            Backend::Postgres(pool) => ReadConn::Postgres(pool.acquire().await?),
        })
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        let mut c = self.read().await?;
        run!(c.conn(), conn => { sqlx::query("select 1").execute(&mut *conn).await?; });
        Ok(())
    }

    /// Closes the pools, waiting for connections to finish.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { write, read } => {
                read.close().await;
                write.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}
