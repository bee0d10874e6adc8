//! The partition advisor: k contiguous grids from building points with household counts.
//!
//! Recursive weighted bisection: the buildings' box is cut across its longer side where the
//! households on either side are in proportion to the grids each side will hold (k₁ : k₂),
//! then each side is cut again until every part is one grid. Every grid is a rectangle of
//! the tiling of the box, so grids are contiguous and never overlap. A proposal only:
//! nothing is stored.

use serde_json::{Value, json};

/// A building: a point (lon, lat) and its households.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Building {
    pub lon: f64,
    pub lat: f64,
    pub households: u32,
}

/// One proposed grid: its rectangle (west, south, east, north) and what falls in it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedGrid {
    pub bbox: [f64; 4],
    pub buildings: usize,
    pub households: u64,
}

/// The tolerance around the mean households per grid.
pub const BALANCE_TOLERANCE: f64 = 0.15;

/// Splits `buildings` into `k` (≥ 1) contiguous grids balancing households.
pub fn partition(buildings: &[Building], k: usize) -> Vec<ProposedGrid> {
    let k = k.max(1);
    let (mut w, mut s, mut e, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for b in buildings {
        (w, s, e, n) = (w.min(b.lon), s.min(b.lat), e.max(b.lon), n.max(b.lat));
    }
    if buildings.is_empty() {
        return vec![];
    }
    // A little margin so buildings on the outer edge sit inside.
    let pad = ((e - w).max(n - s) * 0.02).max(1e-5);
    let mut out = Vec::with_capacity(k);
    split(buildings.to_vec(), [w - pad, s - pad, e + pad, n + pad], k, &mut out);
    out
}

fn split(mut bs: Vec<Building>, bbox: [f64; 4], k: usize, out: &mut Vec<ProposedGrid>) {
    if k == 1 || bs.len() <= 1 {
        // With fewer buildings than grids, the rest of the grids would be empty: one part.
        out.push(ProposedGrid {
            bbox,
            buildings: bs.len(),
            households: bs.iter().map(|b| u64::from(b.households)).sum(),
        });
        return;
    }
    let k1 = k / 2;
    let by_lon = bbox[2] - bbox[0] >= bbox[3] - bbox[1];
    let key = |b: &Building| if by_lon { b.lon } else { b.lat };
    bs.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let total: u64 = bs.iter().map(|b| u64::from(b.households)).sum();
    let target = total as f64 * k1 as f64 / k as f64;
    // The cut after the building where the running sum comes closest to the target, keeping
    // at least one building on each side and never between two at the same coordinate.
    let (mut best, mut best_err, mut run) = (1usize, f64::MAX, 0u64);
    for i in 0..bs.len() - 1 {
        run += u64::from(bs[i].households);
        if key(&bs[i]) == key(&bs[i + 1]) {
            continue;
        }
        let err = (run as f64 - target).abs();
        if err < best_err {
            (best, best_err) = (i + 1, err);
        }
    }
    if best_err == f64::MAX {
        // Every building at one coordinate: cannot cut.
        out.push(ProposedGrid { bbox, buildings: bs.len(), households: total });
        return;
    }
    let cut = (key(&bs[best - 1]) + key(&bs[best])) / 2.0;
    let right = bs.split_off(best);
    let (b1, b2) = if by_lon {
        ([bbox[0], bbox[1], cut, bbox[3]], [cut, bbox[1], bbox[2], bbox[3]])
    } else {
        ([bbox[0], bbox[1], bbox[2], cut], [bbox[0], cut, bbox[2], bbox[3]])
    };
    split(bs, b1, k1, out);
    split(right, b2, k - k1, out);
}

/// Whether every grid is within ±15% of the mean households.
pub fn balanced(grids: &[ProposedGrid]) -> bool {
    if grids.is_empty() {
        return false;
    }
    let mean = grids.iter().map(|g| g.households as f64).sum::<f64>() / grids.len() as f64;
    grids.iter().all(|g| (g.households as f64 - mean).abs() <= mean * BALANCE_TOLERANCE)
}

/// The proposal as a FeatureCollection of grid polygons numbered `{community}001`…, with
/// `level`, `code`, `parent_code`, `households` and `buildings`, ready for review (and, once a
/// person confirms it, for the ordinary import).
pub fn to_geojson(community_code: &str, grids: &[ProposedGrid]) -> Value {
    let mean = grids.iter().map(|g| g.households as f64).sum::<f64>() / grids.len().max(1) as f64;
    let features: Vec<Value> = grids
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let [w, s, e, n] = g.bbox;
            json!({"type": "Feature",
                "properties": {"level": "grid", "code": format!("{community_code}{:03}", i + 1),
                               "name": format!("建议网格{}", i + 1), "parent_code": community_code,
                               "households": g.households, "buildings": g.buildings,
                               "deviation": if mean > 0.0 { (g.households as f64 - mean) / mean } else { 0.0 }},
                "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}})
        })
        .collect();
    json!({"type": "FeatureCollection", "balanced": balanced(grids), "mean_households": mean, "features": features})
}

/// Most buildings one proposal takes.
pub const MAX_BUILDINGS: usize = 100_000;

/// Reads building points from a FeatureCollection of `Point` features with a `households`
/// property. Every problem comes back at once as (feature index, reason).
pub fn parse_buildings(fc: &Value) -> Result<Vec<Building>, Vec<(usize, String)>> {
    let Some(features) = fc.get("features").and_then(Value::as_array).filter(|_| fc["type"] == "FeatureCollection")
    else {
        return Err(vec![(0, "not a FeatureCollection".into())]);
    };
    if features.is_empty() || features.len() > MAX_BUILDINGS {
        return Err(vec![(0, format!("between 1 and {MAX_BUILDINGS} buildings"))]);
    }
    let mut out = Vec::with_capacity(features.len());
    let mut problems = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let geom = &f["geometry"];
        let coords = geom["coordinates"].as_array().filter(|_| geom["type"] == "Point");
        let (lon, lat) = match coords.map(|c| (c.first().and_then(Value::as_f64), c.get(1).and_then(Value::as_f64))) {
            Some((Some(lon), Some(lat))) if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) => {
                (lon, lat)
            }
            _ => {
                problems.push((i, "geometry must be a Point with lon −180…180 and lat −90…90".into()));
                continue;
            }
        };
        match f["properties"]["households"].as_u64().filter(|h| *h <= 100_000) {
            Some(h) => out.push(Building { lon, lat, households: h as u32 }),
            None => problems.push((i, "households must be a whole number 0…100,000".into())),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn inside(b: &Building, g: &ProposedGrid) -> bool {
        b.lon >= g.bbox[0] && b.lon <= g.bbox[2] && b.lat >= g.bbox[1] && b.lat <= g.bbox[3]
    }

    #[test]
    fn even_buildings_split_evenly() {
        let bs: Vec<Building> = (0..48)
            .map(|i| Building {
                lon: 116.39 + (i % 8) as f64 * 0.001,
                lat: 39.97 + (i / 8) as f64 * 0.001,
                households: 30,
            })
            .collect();
        let grids = partition(&bs, 4);
        assert_eq!(grids.len(), 4);
        assert!(balanced(&grids), "{grids:?}");
        assert_eq!(grids.iter().map(|g| g.households).sum::<u64>(), 1440);
        let fc = to_geojson("110199001001", &grids);
        assert_eq!(fc["features"][3]["properties"]["code"], "110199001001004");
    }

    proptest! {
        #[test]
        fn every_building_lands_in_exactly_one_grid_and_households_add_up(
            pts in proptest::collection::vec((0.0f64..0.01, 0.0f64..0.01, 1u32..200), 1..80), k in 1usize..8) {
            let bs: Vec<Building> = pts.iter().map(|&(x, y, h)| Building { lon: 116.0 + x, lat: 39.0 + y, households: h }).collect();
            let grids = partition(&bs, k);
            prop_assert!(!grids.is_empty() && grids.len() <= k);
            prop_assert_eq!(grids.iter().map(|g| g.households).sum::<u64>(), bs.iter().map(|b| u64::from(b.households)).sum::<u64>());
            prop_assert_eq!(grids.iter().map(|g| g.buildings).sum::<usize>(), bs.len());
            for b in &bs {
                prop_assert!(grids.iter().any(|g| inside(b, g)));
            }
        }
    }
}
