//! What the operator's tools read: pool use and the outbox backlog for the metrics listener.

use crate::{App, Result};

/// The outbox backlog as the metrics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    pub dead: i64,
    /// How long the oldest pending delivery has waited (0 when none).
    pub oldest_pending_age_ms: i64,
}

impl App {
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
}
