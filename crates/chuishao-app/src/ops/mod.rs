//! The operator's context: health (pool use, the outbox backlog), backups, the audit (the
//! chain and the projections rebuilt from it), reporters' privacy (sealing, purging), the
//! notification subscriptions and their delivery worker, the cache watcher and the demo seed.
//! Its use cases are on [`Ops`] (`app.ops()`).

pub mod backup;

use crate::Result;

/// The outbox backlog as the metrics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub dead: i64,
    /// How long the oldest pending delivery has waited (0 when none).
    pub oldest_pending_age_ms: i64,
}

context!(
    /// The operator's use cases: health, backup, audit, privacy, notifications, caches, demo.
    Ops,
    ops
);

impl Ops<'_> {
    /// The database pool's use.
    pub fn pool_stats(&self) -> chuishao_store::PoolStats {
        self.store.pool_stats()
    }

    /// Pending and dead deliveries, and the oldest pending one's age.
    pub async fn outbox_backlog(&self) -> Result<Backlog> {
        let b = self.store.outbox_backlog().await?;
        Ok(Backlog {
            pending: b.pending,
            dead: b.dead,
            oldest_pending_age_ms: b.oldest_pending_at.map_or(0, |t| (self.now_ms() - t).max(0)),
        })
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }

    /// Recomputes the audit log's hash chain from its first event.
    pub async fn verify_chain(&self) -> Result<chuishao_store::AuditReport> {
        Ok(self.store.verify_chain().await?)
    }

    /// Closes the database pools once the server has stopped.
    pub async fn close(&self) {
        self.store.close().await;
    }
}
