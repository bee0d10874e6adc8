//! Streets for the demo district: in each community of 和平街道 an east–west street and a
//! north–south alley (胡同), imported through the ordinary GeoJSON import.

use crate::grids::Grids;
use crate::{AppError, Result};
use chuishao_geo::Level;
use serde_json::json;

/// The subdistrict whose communities get streets.
const STREETS_IN: &str = "110199001";

impl Grids<'_> {
    /// Adds the demo streets (idempotent: streets are replaced by code). Returns how many.
    pub async fn seed_demo_streets(&self) -> Result<usize> {
        let ix = self.geo_index().await?;
        let Some(sub) = ix.by_code(STREETS_IN) else { return Ok(0) };
        let mut features = Vec::new();
        for (id, place) in ix.places().iter().enumerate() {
            if place.level != Level::Community || place.parent != Some(sub) {
                continue;
            }
            let Some(bb) = ix.shape(id as u32).bbox() else { continue };
            let (w, e, s, n) = (bb.min().x, bb.max().x, bb.min().y, bb.max().y);
            let r = |v: f64| (v * 1e6).round() / 1e6;
            let (mid_lat, inset) = (r((s + n) / 2.0), (e - w) * 0.04);
            let short = place.name.trim_end_matches("社区");
            features.push(json!({"type": "Feature",
                "properties": {"level": "street", "code": format!("{}-J01", place.code), "name": format!("{short}街"),
                               "name_en": format!("{short} Street"), "parent_code": place.code},
                "geometry": {"type": "LineString", "coordinates": [[r(w + inset), mid_lat], [r(e - inset), mid_lat]]}}));
            let alley_lon = r(w + (e - w) * 0.45);
            features.push(json!({"type": "Feature",
                "properties": {"level": "street", "code": format!("{}-X01", place.code), "name": format!("{short}胡同"),
                               "name_en": format!("{short} Hutong"), "parent_code": place.code},
                "geometry": {"type": "LineString", "coordinates": [[alley_lon, r(n - (n - s) * 0.1)], [alley_lon, r(s + (n - s) * 0.1)]]}}));
        }
        if features.is_empty() {
            return Ok(0);
        }
        let bytes = serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features}))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let report =
            self.import_geo(&bytes, &|_| {}).await.map_err(|e| AppError::Internal(format!("demo streets: {e:?}")))?;
        Ok(report.streets)
    }
}
