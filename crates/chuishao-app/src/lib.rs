//! Chuishao's use cases: they load what a decision needs, ask the domain, and persist the
//! answer in one transaction. No SQL and no HTTP here: the store and the web layer sit on
//! either side.

pub mod auth;
pub mod backup;
pub mod caches;
pub mod cases;
pub mod catalogue;
pub mod console;
pub mod deadlines;
pub mod demo;
mod error;
pub mod geo;
pub mod notifications;
pub mod ops;
pub mod orgs;
pub mod patrol;
pub mod record;
pub mod residents;
pub mod time;
pub mod vault;
pub mod whistles;

pub use error::{AppError, FieldError};

use chuishao_store::Store;
use std::sync::Arc;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Where the application reads the time. Injected so tests and the demo control it.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        time::system_now_ms()
    }
}

/// The application: a store, a clock and caches. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    clock: Arc<dyn Clock>,
    orgs: orgs::OrgCache,
    categories: catalogue::CategoryCache,
    intake: cases::IntakeQueue,
    geo: geo::GeoCache,
    deadlines: deadlines::DeadlineSettings,
    notify: notifications::NotifySettings,
    patrol: patrol::PatrolSettings,
    /// This node's cache of public case views (tracking page and JSON).
    public_views: residents::view_cache::PublicViewCache,
    /// The versions the org, category and calendar caches were loaded at.
    cache_versions: caches::CacheVersions,
    /// What the public sees of a case (listing, redaction, generalised places); shared, as the
    /// app is cloned per request and the policy's compiled patterns are costly to copy.
    public_policy: Arc<residents::public_text::PublicPolicy>,
    /// The keys sealing reporters' contact details (none: stored plain).
    vault: Arc<vault::VaultHolder>,
    /// Days closed cases keep their reporters' contact details (0: for ever).
    retention_days: u32,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).finish()
    }
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        App {
            store,
            clock,
            orgs: orgs::OrgCache::default(),
            categories: catalogue::CategoryCache::default(),
            intake: cases::IntakeQueue::default(),
            geo: geo::GeoCache::default(),
            deadlines: deadlines::DeadlineSettings::default(),
            notify: notifications::NotifySettings::default(),
            patrol: patrol::PatrolSettings::default(),
            public_views: residents::view_cache::PublicViewCache::default(),
            cache_versions: caches::CacheVersions::default(),
            public_policy: Arc::default(),
            vault: Arc::new(vault::VaultHolder::default()),
            retention_days: vault::DEFAULT_RETENTION_DAYS,
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
