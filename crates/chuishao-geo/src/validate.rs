//! Checks across features, run before anything is written: duplicate codes, unknown or
//! ill-levelled parents, grids overlapping other grids beyond a small tolerance, grids
//! sticking out of their community. Every problem is reported at once.
//!
//! `existing` holds what the database already has; a feature in the file with the same code
//! replaces it, so a re-import of a corrected file is checked against the corrected shapes.

use crate::{Feature, Level, Limits, Problem, Shape};
use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};
use std::collections::HashMap;

type Boxed = GeomWithData<Rectangle<[f64; 2]>, usize>;

pub(crate) fn rect_to_aabb(r: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y])
}

fn overlap_area(a: &AABB<[f64; 2]>, b: &AABB<[f64; 2]>) -> f64 {
    let w = a.upper()[0].min(b.upper()[0]) - a.lower()[0].max(b.lower()[0]);
    let h = a.upper()[1].min(b.upper()[1]) - a.lower()[1].max(b.lower()[1]);
    if w > 0.0 && h > 0.0 { w * h } else { 0.0 }
}

/// Whether a multipolygon is exactly its own bounding box (one axis-aligned rectangle).
fn is_its_bbox(m: &MultiPolygon<f64>) -> bool {
    match (m.0.as_slice(), m.bounding_rect()) {
        ([p], Some(r)) => {
            p.interiors().is_empty()
                && p.exterior().0.len() == 5
                && p.exterior()
                    .0
                    .iter()
                    .all(|c| (c.x == r.min().x || c.x == r.max().x) && (c.y == r.min().y || c.y == r.max().y))
                && (p.unsigned_area() - r.unsigned_area()).abs() <= r.unsigned_area() * 1e-9
        }
        _ => false,
    }
}

/// Returns every problem of `features` (a whole file) against `existing` (the database).
pub fn validate(features: &[Feature], existing: &[Feature], limits: &Limits) -> Vec<Problem> {
    validate_partial(features, existing, &[], limits)
}

/// As [`validate`], for a file some of whose features (`failed_codes`) were already refused
/// on their own: children of those are not reported as orphans a second time.
pub fn validate_partial(
    features: &[Feature],
    existing: &[Feature],
    failed_codes: &[String],
    limits: &Limits,
) -> Vec<Problem> {
    let failed: std::collections::HashSet<&str> = failed_codes.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(features.len());
    for f in features {
        if let Some(prev) = first.insert(f.code.as_str(), f.index) {
            first.insert(f.code.as_str(), prev);
            problems.push(Problem::new(Some(f.index), Some(&f.code), format!("duplicate code (also feature {prev})")));
        }
    }
    // The merged view: existing features, replaced by the file's.
    let mut merged: HashMap<&str, (&Feature, bool)> = HashMap::with_capacity(features.len() + existing.len());
    for e in existing {
        merged.insert(e.code.as_str(), (e, false));
    }
    for f in features {
        if let Some((e, false)) = merged.get(f.code.as_str())
            && e.level != f.level
            && !(e.level.tier() == f.level.tier() && e.level.is_area() == f.level.is_area())
        {
            problems.push(Problem::new(
                Some(f.index),
                Some(&f.code),
                format!("code is already a {} and cannot become a {}", e.level.as_str(), f.level.as_str()),
            ));
        }
        // The first of duplicated codes stands for the code.
        if !matches!(merged.get(f.code.as_str()), Some((_, true))) {
            merged.insert(f.code.as_str(), (f, true));
        }
    }
    for f in features {
        if f.level == Level::District {
            continue;
        }
        match f.parent_code.as_deref() {
            None => problems.push(Problem::new(Some(f.index), Some(&f.code), "property \"parent_code\" is missing")),
            Some(pc) => match merged.get(pc) {
                None if failed.contains(pc) => {}
                None => problems.push(Problem::new(Some(f.index), Some(&f.code), format!("unknown parent code {pc}"))),
                Some((p, _)) if !f.level.parent_ok(p.level) => problems.push(Problem::new(
                    Some(f.index),
                    Some(&f.code),
                    format!("a {} cannot sit under {pc}, a {}", f.level.as_str(), p.level.as_str()),
                )),
                Some((p, _)) => {
                    if f.level == Level::Grid
                        && let (Shape::Area(g), Shape::Area(c)) = (&f.shape, &p.shape)
                    {
                        check_inside(f, g, pc, c, limits, &mut problems);
                    }
                }
            },
        }
    }
    check_overlaps(&merged, limits, &mut problems);
    problems.sort_by(|a, b| a.index.cmp(&b.index).then_with(|| a.reason.cmp(&b.reason)));
    problems
}

fn check_inside(
    f: &Feature,
    grid: &MultiPolygon<f64>,
    community_code: &str,
    community: &MultiPolygon<f64>,
    limits: &Limits,
    problems: &mut Vec<Problem>,
) {
    let (Some(gb), Some(cb)) = (grid.bounding_rect(), community.bounding_rect()) else { return };
    let inside_bbox =
        gb.min().x >= cb.min().x && gb.min().y >= cb.min().y && gb.max().x <= cb.max().x && gb.max().y <= cb.max().y;
    if inside_bbox && is_its_bbox(community) {
        return;
    }
    let area = grid.unsigned_area();
    let outside = if overlap_area(&rect_to_aabb(gb), &rect_to_aabb(cb)) == 0.0 {
        area
    } else {
        grid.difference(community).unsigned_area()
    };
    if outside > limits.outside_tolerance * area {
        problems.push(Problem::new(
            Some(f.index),
            Some(&f.code),
            format!(
                "{:.1}% of the grid lies outside its community {community_code}",
                100.0 * outside / area.max(f64::MIN_POSITIVE)
            ),
        ));
    }
}

fn check_overlaps(merged: &HashMap<&str, (&Feature, bool)>, limits: &Limits, problems: &mut Vec<Problem>) {
    let mut grids: Vec<(&Feature, bool, &MultiPolygon<f64>)> = merged
        .values()
        .filter(|(f, _)| f.level == Level::Grid)
        .filter_map(|(f, from_file)| match &f.shape {
            Shape::Area(m) => Some((*f, *from_file, m)),
            Shape::Line(_) => None,
        })
        .collect();
    grids.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    let boxes: Vec<Boxed> = grids
        .iter()
        .enumerate()
        .filter_map(|(i, (_, _, m))| {
            let r = rect_to_aabb(m.bounding_rect()?);
            Some(GeomWithData::new(Rectangle::from_aabb(r), i))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    for (i, (f, from_file, m)) in grids.iter().enumerate() {
        if !from_file {
            continue;
        }
        let Some(bb) = m.bounding_rect().map(rect_to_aabb) else { continue };
        for cand in tree.locate_in_envelope_intersecting(&bb) {
            let j = cand.data;
            let (g, g_from_file, gm) = grids[j];
            // Each pair once: from the file feature with the smaller code (or the only one).
            if j == i || (g_from_file && j < i) {
                continue;
            }
            if overlap_area(&bb, &cand.geom().envelope()) == 0.0 {
                continue;
            }
            let shared = m.intersection(gm).unsigned_area();
            let smaller = m.unsigned_area().min(gm.unsigned_area());
            if shared > limits.overlap_tolerance * smaller {
                problems.push(Problem::new(
                    Some(f.index),
                    Some(&f.code),
                    format!(
                        "overlaps grid {} by {:.1}% of the smaller grid",
                        g.code,
                        100.0 * shared / smaller.max(f64::MIN_POSITIVE)
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::test_shapes::sq;
    use geo::{LineString, Polygon};

    fn feat(index: usize, level: Level, code: &str, parent: Option<&str>, shape: Shape) -> Feature {
        Feature {
            index,
            level,
            code: code.into(),
            name: code.into(),
            name_en: None,
            parent_code: parent.map(String::from),
            households: None,
            population: None,
            shape,
        }
    }

    fn base() -> Vec<Feature> {
        vec![
            feat(0, Level::District, "110199", None, sq(0.0, 0.0, 10.0, 10.0)),
            feat(1, Level::Subdistrict, "110199001", Some("110199"), sq(0.0, 0.0, 10.0, 10.0)),
            feat(2, Level::Community, "110199001001", Some("110199001"), sq(0.0, 0.0, 4.0, 2.0)),
        ]
    }

    #[test]
    fn grids_sharing_edges_in_any_order_are_fine() {
        let mut fs = vec![
            feat(0, Level::Grid, "110199001001002", Some("110199001001"), sq(2.0, 0.0, 4.0, 2.0)),
            feat(1, Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 0.0, 2.0, 2.0)),
        ];
        for (i, mut f) in base().into_iter().enumerate() {
            f.index = i + 2;
            fs.push(f);
        }
        assert_eq!(validate(&fs, &[], &Limits::default()), vec![]);
    }

    #[test]
    fn overlap_outside_unknown_parent_duplicate_and_level_are_all_reported() {
        let mut fs = base();
        fs.push(feat(3, Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 0.0, 2.0, 2.0)));
        fs.push(feat(4, Level::Grid, "110199001001002", Some("110199001001"), sq(1.0, 0.0, 3.0, 2.0)));
        fs.push(feat(5, Level::Grid, "110199001001003", Some("110199001001"), sq(2.5, 0.0, 5.0, 2.0)));
        fs.push(feat(6, Level::Grid, "110199001009001", Some("110199001009"), sq(8.0, 8.0, 9.0, 9.0)));
        fs.push(feat(7, Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 0.0, 2.0, 2.0)));
        fs.push(feat(8, Level::Grid, "110199001001004", Some("110199001"), sq(0.0, 5.0, 1.0, 6.0)));
        let p = validate(&fs, &[], &Limits::default());
        let has = |i: usize, words: &str| p.iter().any(|p| p.index == Some(i) && p.reason.contains(words));
        assert!(has(3, "overlaps grid 110199001001002"), "{p:?}");
        assert!(has(4, "overlaps grid 110199001001003"), "{p:?}");
        assert!(has(5, "outside its community 110199001001"), "{p:?}");
        assert!(has(6, "unknown parent code 110199001009"), "{p:?}");
        assert!(has(7, "duplicate code (also feature 3)"), "{p:?}");
        assert!(has(8, "cannot sit under 110199001, a subdistrict"), "{p:?}");
    }

    #[test]
    fn a_tiny_overlap_is_tolerated_and_existing_shapes_count() {
        let existing = {
            let mut e = base();
            e.push(feat(0, Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 0.0, 2.0, 2.0)));
            e
        };
        let slight = vec![feat(0, Level::Grid, "110199001001002", Some("110199001001"), sq(1.999, 0.0, 4.0, 2.0))];
        assert_eq!(validate(&slight, &existing, &Limits::default()), vec![]);
        let much = vec![feat(0, Level::Grid, "110199001001002", Some("110199001001"), sq(1.0, 0.0, 4.0, 2.0))];
        assert_eq!(validate(&much, &existing, &Limits::default()).len(), 1);
        // Replacing the existing grid with a smaller one removes the conflict.
        let both = vec![
            feat(0, Level::Grid, "110199001001002", Some("110199001001"), sq(1.0, 0.0, 4.0, 2.0)),
            feat(1, Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 0.0, 1.0, 2.0)),
        ];
        assert_eq!(validate(&both, &existing, &Limits::default()), vec![]);
    }

    #[test]
    fn grids_in_a_non_rectangular_community_are_checked_exactly() {
        let l_shape = Shape::Area(MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (2.0, 2.0), (2.0, 4.0), (0.0, 4.0), (0.0, 0.0)]),
            vec![],
        )]));
        let mut fs = base();
        fs[2].shape = l_shape;
        fs.push(feat(3, Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 2.0, 2.0, 4.0)));
        fs.push(feat(4, Level::Grid, "110199001001002", Some("110199001001"), sq(2.0, 2.0, 4.0, 4.0)));
        let p = validate(&fs, &[], &Limits::default());
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].index, Some(4));
        assert!(p[0].reason.contains("100.0% of the grid lies outside"));
    }
}
