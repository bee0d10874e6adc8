//! Consistent copies of a serving database, for backups: SQLite's `VACUUM INTO` (a
//! transaction-consistent copy written while writers carry on), and a PostgreSQL snapshot
//! exported for `pg_dump --snapshot` together with the chain head seen in it.

use crate::{Backend, Result, Store, StoreError, run};
use std::path::Path;

/// The audit chain's head: the last event's sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// An exported PostgreSQL snapshot, held open until dropped.
pub struct PgSnapshot {
    _tx: sqlx::Transaction<'static, sqlx::Postgres>,
    /// The id `pg_dump --snapshot` takes.
    pub id: String,
    /// The chain head as of the snapshot.
    pub head: ChainHead,
}

impl Store {
    /// The audit chain's head.
    pub async fn chain_head(&self) -> Result<ChainHead> {
        let mut c = self.read().await?;
        let (seq, hash): (i64, String) = run!(c.conn(), conn => {
            sqlx::query_as("select seq, hash from audit_head where id = 1").fetch_one(&mut *conn).await?
        });
        Ok(ChainHead { seq, hash })
    }

    /// Writes a consistent copy of a SQLite database to `dest` (which must not exist) while
    /// the database stays in use.
    pub async fn sqlite_snapshot(&self, dest: &Path) -> Result<()> {
        let Backend::Sqlite { read, .. } = &self.backend else {
            return Err(StoreError::Config("a SQLite snapshot needs a SQLite database".into()));
        };
        let dest = dest.to_str().ok_or_else(|| StoreError::Config("the snapshot path is not UTF-8".into()))?;
        let mut c = read.acquire().await?;
        sqlx::query("vacuum into $1").bind(dest).execute(&mut *c).await?;
        Ok(())
    }

    /// Exports a PostgreSQL snapshot (repeatable read) and reads the chain head in it.
    pub async fn pg_snapshot(&self) -> Result<PgSnapshot> {
        let Backend::Postgres(pool) = &self.backend else {
            return Err(StoreError::Config("a PostgreSQL snapshot needs a PostgreSQL database".into()));
        };
        let mut tx = pool.begin().await?;
        sqlx::query("set transaction isolation level repeatable read, read only").execute(&mut *tx).await?;
        let id: String = sqlx::query_scalar("select pg_export_snapshot()").fetch_one(&mut *tx).await?;
        let (seq, hash): (i64, String) =
            sqlx::query_as("select seq, hash from audit_head where id = 1").fetch_one(&mut *tx).await?;
        Ok(PgSnapshot { _tx: tx, id, head: ChainHead { seq, hash } })
    }

    /// Whether the database has no tables at all (a new database, before any migration).
    pub async fn has_no_tables(&self) -> Result<bool> {
        Ok(self.schema_tables().await?.is_empty())
    }
}
