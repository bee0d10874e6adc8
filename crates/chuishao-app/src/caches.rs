//! Keeping this node's caches of organisations, categories and the calendar in step with
//! changes made through any node. Triggers bump a version per cache in the transaction that
//! changes its tables (store migration 30); the watcher compares the versions with the ones
//! it last saw and reloads what moved. On PostgreSQL it wakes on `NOTIFY` at the other node's
//! commit (polling every few seconds as a safety net); on SQLite it polls twice a second, so
//! a change made by the CLI on the same file reaches a running server within a second.

use crate::Result;
use crate::ops::Ops;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the versions are read without a wake-up.
const SQLITE_POLL: Duration = Duration::from_millis(500);
const PG_SAFETY_POLL: Duration = Duration::from_secs(5);

/// The versions this node's caches were loaded at. Shared by clones of the `App`.
#[derive(Clone, Default)]
pub struct CacheVersions {
    seen: Arc<Mutex<Option<BTreeMap<String, i64>>>>,
}

impl Ops<'_> {
    /// Reads the cache versions and reloads every cache whose version moved since the last
    /// check (all of them on the first check, which may follow changes nobody saw). Returns the
    /// names reloaded.
    pub async fn refresh_changed_caches(&self) -> Result<Vec<String>> {
        let now: BTreeMap<String, i64> = self.store.cache_versions().await?.into_iter().collect();
        let before = self.cache_versions.seen.lock().map(|g| g.clone()).unwrap_or_default();
        let changed: Vec<String> = now
            .iter()
            .filter(|(name, v)| before.as_ref().is_none_or(|b| b.get(*name) != Some(*v)))
            .map(|(name, _)| name.clone())
            .collect();
        for name in &changed {
            match name.as_str() {
                "orgs" => self.admin().reload_orgs().await?,
                "categories" => self.admin().reload_categories().await?,
                "calendar" => self.calendar().follow_calendar().await?,
                _ => continue,
            }
            if before.is_some() {
                chuishao_metrics::metrics().cache_invalidations.inc(&[name.as_str()]);
                tracing::debug!(cache = %name, "cache reloaded after a change");
            }
        }
        if let Ok(mut g) = self.cache_versions.seen.lock() {
            *g = Some(now);
        }
        Ok(changed)
    }

    /// Runs the cache watcher until `shutdown` completes (started by `serve`).
    pub async fn run_cache_watcher(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut listener = match self.store.cache_listener().await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cache listener unavailable; polling");
                None
            }
        };
        let mut reconnect_at: Option<tokio::time::Instant> = None;
        loop {
            if let Err(e) = self.refresh_changed_caches().await {
                tracing::warn!(error = %e, "cache watcher: reading the versions failed");
            }
            let engine_poll =
                if self.store.engine() == chuishao_store::Engine::Postgres { PG_SAFETY_POLL } else { SQLITE_POLL };
            // After a lost listener (the database restarted), poll quickly and listen again.
            let pause = if listener.is_none() && reconnect_at.is_some() { SQLITE_POLL } else { engine_poll };
            let failed = match listener.as_mut() {
                Some(l) => tokio::select! {
                    _ = &mut shutdown => break,
                    r = l.wait() => r.err(),
                    _ = tokio::time::sleep(pause) => None,
                },
                None => tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(pause) => None,
                },
            };
            if let Some(e) = failed {
                tracing::warn!(error = %e, "cache listener failed; polling until it is back");
                listener = None;
                reconnect_at = Some(tokio::time::Instant::now() + PG_SAFETY_POLL);
            }
            if listener.is_none()
                && let Some(at) = reconnect_at
                && tokio::time::Instant::now() >= at
            {
                match self.store.cache_listener().await {
                    Ok(l) => {
                        listener = l;
                        reconnect_at = None;
                    }
                    Err(_) => reconnect_at = Some(tokio::time::Instant::now() + PG_SAFETY_POLL),
                }
            }
        }
        tracing::info!("cache watcher stopped");
    }
}
