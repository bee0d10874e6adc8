//! What an operator watches: the connection pools' use and the notification outbox's
//! backlog, read at scrape time by the metrics listener.

use crate::{Backend, Result, Store, run};

/// Connections of the pool that serves reads (SQLite's read pool; PostgreSQL's only pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub name: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// The outbox's rows waiting or given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxBacklog {
    pub pending: i64,
    pub dead: i64,
    /// When the oldest pending row was written (ms since the epoch), if any.
    pub oldest_pending_at: Option<i64>,
}

impl Store {
    /// The pool's size, idle connections and maximum.
    pub fn pool_stats(&self) -> PoolStats {
        match &self.backend {
            Backend::Sqlite { read, .. } => PoolStats {
                name: "sqlite_read",
                open: read.size(),
                idle: u32::try_from(read.num_idle()).unwrap_or(u32::MAX),
                max: read.options().get_max_connections(),
            },
            Backend::Postgres(pool) => PoolStats {
                name: "postgres",
                open: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            },
        }
    }

    /// Pending and dead outbox rows, and the oldest pending one's age.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog> {
        let mut c = self.read().await?;
        let (pending, dead, oldest): (i64, i64, Option<i64>) = run!(c.conn(), conn => {
            sqlx::query_as(
                "select count(case when state = 'pending' then 1 end), count(case when state = 'dead' then 1 end),
                        min(case when state = 'pending' then created_at end)
                 from notification_outbox where state in ('pending', 'dead')",
            )
            .fetch_one(&mut *conn)
            .await?
        });
        Ok(OutboxBacklog { pending, dead, oldest_pending_at: oldest })
    }
}
