//! The map of a subdistrict or community as SVG: its grids shaded by a metric, its streets
//! and its open cases as pins. Only what meets the view's bounding box is drawn (an R-tree
//! query), so the cost follows the view, not the city.

use crate::grids::Grids;
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::org::{OrgKind, OrgNode, path_within};
use chuishao_geo::Level;
use chuishao_geo::svg::{MapArea, MapPin, MapSpec, render};
use chuishao_i18n::Lang;
use std::collections::HashMap;

/// What the grids are shaded by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMetric {
    OpenCases,
    OverdueCases,
    HouseholdsPerWorker,
}

impl MapMetric {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open_cases" => Some(MapMetric::OpenCases),
            "overdue_cases" => Some(MapMetric::OverdueCases),
            "households_per_worker" => Some(MapMetric::HouseholdsPerWorker),
            _ => None,
        }
    }

    /// The metric's code (also its catalogue key, `map.{code}`).
    pub fn as_str(self) -> &'static str {
        match self {
            MapMetric::OpenCases => "open_cases",
            MapMetric::OverdueCases => "overdue_cases",
            MapMetric::HouseholdsPerWorker => "households_per_worker",
        }
    }
}

/// A catalogue line in `lang`, or both languages (`中文 English`) for the API's map.
fn words(key: &str, lang: Option<Lang>) -> String {
    let t = chuishao_i18n::text(key, &[]);
    match lang {
        Some(l) => t.pick(l).to_string(),
        None => format!("{} {}", t.zh, t.en),
    }
}

/// Pins drawn at most (newest first).
pub const MAX_PINS: i64 = 2_000;

impl Grids<'_> {
    /// A subdistrict, township, community or village `actor` holds a role over (otherwise
    /// not found, as for anything outside one's scope).
    pub(crate) async fn area_in_scope(&self, actor: &Actor, org_code: &str) -> Result<std::sync::Arc<OrgNode>> {
        let org = self.admin().org_by_code(org_code).await?.ok_or(AppError::NotFound("organisation"))?;
        if !matches!(org.kind, OrgKind::Subdistrict | OrgKind::Township | OrgKind::Community | OrgKind::Village) {
            return Err(AppError::invalid("org", "a subdistrict, township, community or village code"));
        }
        if !actor.bindings.iter().any(|b| path_within(&org.path, &b.org_path)) {
            return Err(AppError::NotFound("organisation"));
        }
        Ok(org)
    }

    /// Renders the map of `org_code` (a subdistrict, township, community or village) for
    /// `actor`, who must hold a role over it (otherwise it is not found).
    pub async fn map_svg(&self, actor: &Actor, org_code: &str, metric: MapMetric, width_px: f64) -> Result<String> {
        self.map_svg_in(actor, org_code, metric, width_px, None).await
    }

    /// [`App::map_svg`] with its title and legend in `lang` (both languages when `None`).
    pub async fn map_svg_in(
        &self,
        actor: &Actor,
        org_code: &str,
        metric: MapMetric,
        width_px: f64,
        lang: Option<Lang>,
    ) -> Result<String> {
        let org = self.area_in_scope(actor, org_code).await?;
        let ix = self.geo_index().await?;
        let id = ix.by_code(org_code).ok_or(AppError::NotFound("map of this organisation"))?;
        let outline = ix.shape(id);
        let bb = outline.bbox().ok_or(AppError::NotFound("map of this organisation"))?;
        let (dx, dy) = ((bb.max().x - bb.min().x) * 0.03, (bb.max().y - bb.min().y) * 0.03);
        let (min, max) = ([bb.min().x - dx, bb.min().y - dy], [bb.max().x + dx, bb.max().y + dy]);

        let now = self.now_ms();
        let open = self.store.open_cases_under(&org.path, 50_000, now).await?;
        let mut open_by_grid: HashMap<i64, f64> = HashMap::new();
        let mut overdue_by_grid: HashMap<i64, f64> = HashMap::new();
        let mut pins = Vec::new();
        for c in &open {
            let overdue = c.overdue;
            if let Some(g) = c.grid_id {
                *open_by_grid.entry(g).or_default() += 1.0;
                if overdue {
                    *overdue_by_grid.entry(g).or_default() += 1.0;
                }
            }
            if let (Some(lat), Some(lon)) = (c.lat, c.lon)
                && (pins.len() as i64) < MAX_PINS
                && (min[0]..=max[0]).contains(&lon)
                && (min[1]..=max[1]).contains(&lat)
            {
                pins.push(MapPin { lon, lat, label: c.tracking_code.clone(), overdue });
            }
        }
        let mut workers: HashMap<i64, i64> = HashMap::new();
        if metric == MapMetric::HouseholdsPerWorker {
            for (org_id, ..) in self.store.grid_workers().await? {
                *workers.entry(org_id).or_default() += 1;
            }
        }
        let grid_ids = ix.in_view(Level::Grid, min, max);
        let mut areas = Vec::with_capacity(grid_ids.len());
        for gid in grid_ids {
            let place = ix.place(gid);
            let node = self.admin().org_by_code(&place.code).await?;
            let org_id = node.as_ref().map(|n| n.id.0);
            let value = match (metric, org_id) {
                (_, None) => None,
                (MapMetric::OpenCases, Some(i)) => Some(open_by_grid.get(&i).copied().unwrap_or(0.0)),
                (MapMetric::OverdueCases, Some(i)) => Some(overdue_by_grid.get(&i).copied().unwrap_or(0.0)),
                (MapMetric::HouseholdsPerWorker, Some(i)) => {
                    let hh = node.as_ref().and_then(|n| n.households);
                    match (hh, workers.get(&i).copied().unwrap_or(0)) {
                        (Some(hh), 0) => Some(hh as f64),
                        (Some(hh), w) => Some(hh as f64 / w as f64),
                        (None, _) => None,
                    }
                }
            };
            areas.push(MapArea { code: &place.code, name: &place.name, shape: ix.shape(gid), value });
        }
        let streets: Vec<_> =
            ix.in_view(Level::Street, min, max).into_iter().map(|s| (ix.place(s).name.as_str(), ix.shape(s))).collect();
        let spec = MapSpec {
            title: match lang {
                Some(l) => l.pick(&org.name_zh, &org.name_en).to_string(),
                None => format!("{} {}", org.name_zh, org.name_en),
            },
            metric_label: words(&format!("map.{}", metric.as_str()), lang),
            no_data_label: words("map.no_data", lang),
            min,
            max,
            width_px: width_px.clamp(320.0, 4000.0),
            outline: Some(outline),
            areas,
            streets,
            pins,
        };
        Ok(render(&spec))
    }
}
