//! Chuishao's use cases: they load what a decision needs, ask the domain, and persist the
//! answer in one transaction. No SQL and no HTTP here: the store and the web layer sit on
//! either side.

/// Declares a context's service: a borrow of the [`App`] whose methods are that context's use
/// cases, made by `app.<accessor>()`. Inside the crate a service reaches the shared parts
/// (store, clock, caches, settings) through `Deref`; outside, only its use cases are seen.
macro_rules! context {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            pub(crate) app: &'a $crate::App,
        }

        impl $crate::App {
            $(#[$doc])*
            pub fn $accessor(&self) -> $name<'_> {
                $name { app: self }
            }
        }

        impl std::ops::Deref for $name<'_> {
            type Target = $crate::App;

            fn deref(&self) -> &$crate::App {
                self.app
            }
        }

        impl std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }
    };
}

pub mod admin;
pub mod caches;
pub mod calendar;
pub mod cases;
pub mod community;
pub mod demo;
mod error;
pub mod grids;
pub mod notifications;
pub mod ops;
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
    store: Store,
    clock: Arc<dyn Clock>,
    orgs: admin::orgs::OrgCache,
    categories: admin::catalogue::CategoryCache,
    intake: cases::IntakeQueue,
    geo: grids::geo::GeoCache,
    deadlines: calendar::DeadlineSettings,
    notify: notifications::NotifySettings,
    patrol: grids::patrol::PatrolSettings,
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
            orgs: admin::orgs::OrgCache::default(),
            categories: admin::catalogue::CategoryCache::default(),
            intake: cases::IntakeQueue::default(),
            geo: grids::geo::GeoCache::default(),
            deadlines: calendar::DeadlineSettings::default(),
            notify: notifications::NotifySettings::default(),
            patrol: grids::patrol::PatrolSettings::default(),
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
