//! The versions of the caches every node keeps (organisations, categories, the calendar),
//! bumped by triggers in the transaction that changes their tables (migration 30), and the
//! `LISTEN` connection that hears about it at once on PostgreSQL.

use crate::{Backend, EventListener, Result, Store, run};

/// The channel the cache triggers notify on PostgreSQL.
const CACHE_CHANNEL: &str = "chuishao_cache";

impl Store {
    /// Each cache's name and version.
    pub async fn cache_versions(&self) -> Result<Vec<(String, i64)>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as("select name, version from cache_versions order by name").fetch_all(&mut *conn).await?
        }))
    }

    /// A listener woken when a cache's tables change on any node (PostgreSQL); `None` on
    /// SQLite, where callers poll [`Store::cache_versions`].
    pub async fn cache_listener(&self) -> Result<Option<EventListener>> {
        match &self.backend {
            Backend::Postgres(pool) => {
                let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
                l.listen(CACHE_CHANNEL).await?;
                Ok(Some(EventListener::new(l)))
            }
            Backend::Sqlite { .. } => Ok(None),
        }
    }
}
