//! Geography in the application: importing and exporting the places' GeoJSON, and the grid
//! index every case is located with. The index is built from the database, kept in memory,
//! rebuilt after an import on this node, and refreshed on other nodes when they see the
//! stored geometry revision change (checked at most every [`REFRESH_EVERY`]).

mod demo;
mod import;
mod locate;
pub mod map;
mod partition;
pub mod workload;

pub use import::{GeoImportError, ImportReport};
pub use locate::{LocateView, PlaceRefView};

use crate::Result;
use crate::grids::Grids;
use chuishao_geo::{Feature, GeoIndex, Level};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How often a node checks whether another node imported new geometry.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// Default 属地兜底 distance: a point this close to a community (and in no grid) belongs to it.
pub const DEFAULT_FALLBACK_M: f64 = 300.0;

/// The in-memory grid index and what it was built from.
#[derive(Clone)]
pub struct GeoCache {
    index: Arc<RwLock<Arc<GeoIndex>>>,
    /// Revision the index was built from; -1 before the first build.
    revision: Arc<AtomicI64>,
    checked: Arc<RwLock<Option<Instant>>>,
    rebuild: Arc<tokio::sync::Mutex<()>>,
    fallback_m: f64,
    /// What one import may hold (per deployment: `[geo]` in the configuration).
    limits: Arc<chuishao_geo::Limits>,
}

impl Default for GeoCache {
    fn default() -> Self {
        GeoCache {
            index: Arc::default(),
            revision: Arc::new(AtomicI64::new(-1)),
            checked: Arc::default(),
            rebuild: Arc::default(),
            fallback_m: DEFAULT_FALLBACK_M,
            limits: Arc::default(),
        }
    }
}

/// A stored row as a feature; rows whose geometry does not parse are left out (logged).
pub(crate) fn row_to_feature(row: chuishao_store::GeoRow) -> Option<Feature> {
    let level = Level::parse(&row.kind)?;
    let shape = match chuishao_geo::parse_geometry(&row.geometry, level) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(code = %row.code, error = %e, "stored geometry does not parse; left out of the index");
            return None;
        }
    };
    Some(Feature {
        index: 0,
        level,
        code: row.code,
        name: row.name_zh,
        name_en: Some(row.name_en),
        parent_code: row.parent_code,
        households: row.households,
        population: row.population,
        shape,
    })
}

impl Grids<'_> {
    /// Rebuilds the index from the database now.
    pub async fn rebuild_geo_index(&self) -> Result<Arc<GeoIndex>> {
        let _guard = self.geo.rebuild.lock().await;
        let revision = self.store.geo_revision().await?;
        let rows = self.store.geo_rows().await?;
        let fallback_m = self.geo.fallback_m;
        let index = tokio::task::spawn_blocking(move || {
            GeoIndex::build(rows.into_iter().filter_map(row_to_feature).collect(), fallback_m)
        })
        .await
        .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        let index = Arc::new(index);
        if let Ok(mut g) = self.geo.index.write() {
            *g = index.clone();
        }
        self.geo.revision.store(revision, Ordering::SeqCst);
        if let Ok(mut c) = self.geo.checked.write() {
            *c = Some(Instant::now());
        }
        Ok(index)
    }

    /// The current index: built on first use, refreshed when another node imported.
    pub async fn geo_index(&self) -> Result<Arc<GeoIndex>> {
        let due = self.geo.checked.read().ok().and_then(|c| *c).is_none_or(|t| t.elapsed() >= REFRESH_EVERY);
        if due {
            let stored = self.store.geo_revision().await?;
            if stored != self.geo.revision.load(Ordering::SeqCst) {
                return self.rebuild_geo_index().await;
            }
            if let Ok(mut c) = self.geo.checked.write() {
                *c = Some(Instant::now());
            }
        }
        Ok(self.geo.index.read().map(|g| g.clone()).unwrap_or_default())
    }

    /// The stored geometry as one GeoJSON FeatureCollection (re-importable as it is).
    pub async fn export_geo(&self) -> Result<serde_json::Value> {
        let features: Vec<Feature> = self.store.geo_rows().await?.into_iter().filter_map(row_to_feature).collect();
        Ok(chuishao_geo::export::to_feature_collection(&features))
    }
}

impl Grids<'_> {
    /// Only an admin may replace the map.
    pub fn authorize_geo_import(&self, actor: &chuishao_domain::access::Actor) -> Result<()> {
        if actor.has_role(chuishao_domain::access::Role::Admin) {
            Ok(())
        } else {
            Err(crate::AppError::Forbidden(format!("{} may not import geometry; an admin may", actor.username)))
        }
    }
}

impl crate::App {
    /// Sets the 属地兜底 distance in metres (0 turns the fallback off).
    pub fn with_geo_fallback_m(mut self, metres: f64) -> Self {
        self.geo.fallback_m = metres.max(0.0);
        self
    }

    /// Sets what one geometry import may hold (file size, features, vertices per feature).
    pub fn with_geo_limits(mut self, limits: chuishao_geo::Limits) -> Self {
        self.geo.limits = Arc::new(limits);
        self
    }
}
