//! The grid index: bounding boxes in an R-tree, exact point-in-polygon on the few candidates.
//!
//! Rules, so that every node of a cluster answers the same:
//! - a point inside or on the boundary of several grids (a shared edge or corner, or a
//!   tolerated overlap) belongs to the one with the **smallest code**;
//! - a point in no grid belongs to the community containing it, else to the **nearest
//!   community** whose boundary lies within the fallback distance (属地兜底; ties: smallest
//!   code), else only to the subdistrict containing it, else to nothing (flag it for a
//!   dispatcher);
//! - distances use a local equirectangular approximation (metres; good to well under 1% at
//!   city scale).

use crate::validate::rect_to_aabb;
use crate::{Feature, Level, Shape};
use geo::{Coord, MultiPolygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::HashMap;

type Boxed = GeomWithData<Rectangle<[f64; 2]>, u32>;

const METRES_PER_DEGREE: f64 = 111_320.0;

/// A place or street known to the index. Ids are positions in code order.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<u32>,
    pub households: Option<i64>,
}

/// Where a point lies.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Located {
    pub grid: Option<u32>,
    pub community: Option<u32>,
    pub subdistrict: Option<u32>,
    /// Set when the community was chosen as the nearest one, not by containment.
    pub fallback_distance_m: Option<f64>,
}

/// The index over one organisation's geometry. Immutable; rebuilt whole after an import.
#[derive(Debug, Default)]
pub struct GeoIndex {
    places: Vec<Place>,
    shapes: Vec<Shape>,
    /// Every area's rings, flattened for cache-friendly point tests: `rings[place_rings[id]]`
    /// lists a place's rings (each polygon's exterior followed by its holes), each a range
    /// of `coords`.
    coords: Vec<[f64; 2]>,
    rings: Vec<Ring>,
    place_rings: Vec<(u32, u32)>,
    by_code: HashMap<String, u32>,
    grids: RTree<Boxed>,
    communities: RTree<Boxed>,
    subdistricts: RTree<Boxed>,
    streets: RTree<Boxed>,
    fallback_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Ring {
    start: u32,
    end: u32,
    exterior: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Outside,
    Boundary,
    Inside,
}

fn ring_position(ring: &[[f64; 2]], x: f64, y: f64) -> Position {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (Coord { x: w[0][0], y: w[0][1] }, Coord { x: w[1][0], y: w[1][1] });
        if ((a.y <= y && y <= b.y) || (b.y <= y && y <= a.y))
            && a.x.min(b.x) <= x
            && x <= a.x.max(b.x)
            && (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x) == 0.0
        {
            return Position::Boundary;
        }
        if (a.y > y) != (b.y > y) && x < a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y) {
            inside = !inside;
        }
    }
    if inside { Position::Inside } else { Position::Outside }
}

/// Position of (x, y) against one area given as flat rings.
fn position(coords: &[[f64; 2]], rings: &[Ring], x: f64, y: f64) -> Position {
    let mut best = Position::Outside;
    let mut i = 0;
    while i < rings.len() {
        let mut j = i + 1;
        while j < rings.len() && !rings[j].exterior {
            j += 1;
        }
        let slice = |r: &Ring| &coords[r.start as usize..r.end as usize];
        let pos = match ring_position(slice(&rings[i]), x, y) {
            Position::Inside => {
                let mut pos = Position::Inside;
                for hole in &rings[i + 1..j] {
                    match ring_position(slice(hole), x, y) {
                        Position::Inside => pos = Position::Outside,
                        Position::Boundary => pos = Position::Boundary,
                        Position::Outside => continue,
                    }
                    break;
                }
                pos
            }
            other => other,
        };
        if pos == Position::Inside {
            return pos;
        }
        if pos == Position::Boundary {
            best = pos;
        }
        i = j;
    }
    best
}

/// Distance in metres from (x, y) to the nearest edge of an area (0 inside).
fn distance_m(coords: &[[f64; 2]], rings: &[Ring], x: f64, y: f64) -> f64 {
    if position(coords, rings, x, y) != Position::Outside {
        return 0.0;
    }
    let kx = (y.to_radians()).cos() * METRES_PER_DEGREE;
    let ky = METRES_PER_DEGREE;
    let mut best = f64::INFINITY;
    for r in rings {
        for w in coords[r.start as usize..r.end as usize].windows(2) {
            let (ax, ay) = ((w[0][0] - x) * kx, (w[0][1] - y) * ky);
            let (bx, by) = ((w[1][0] - x) * kx, (w[1][1] - y) * ky);
            let (dx, dy) = (bx - ax, by - ay);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
            let (cx, cy) = (ax + t * dx, ay + t * dy);
            best = best.min((cx * cx + cy * cy).sqrt());
        }
    }
    best
}

/// Appends an area's rings to the flat storage; returns its ring range.
fn flatten(m: &MultiPolygon<f64>, coords: &mut Vec<[f64; 2]>, rings: &mut Vec<Ring>) -> (u32, u32) {
    let first = rings.len() as u32;
    for p in &m.0 {
        for (k, ring) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
            let start = coords.len() as u32;
            coords.extend(ring.0.iter().map(|c| [c.x, c.y]));
            rings.push(Ring { start, end: coords.len() as u32, exterior: k == 0 });
        }
    }
    (first, rings.len() as u32)
}

impl GeoIndex {
    /// Builds the index. Parents are resolved by code; features whose parent is absent keep
    /// no parent. `fallback_m` is the 属地兜底 distance (0 disables the fallback).
    pub fn build(mut features: Vec<Feature>, fallback_m: f64) -> GeoIndex {
        features.sort_by(|a, b| a.code.cmp(&b.code));
        features.dedup_by(|a, b| a.code == b.code);
        let by_code: HashMap<String, u32> =
            features.iter().enumerate().map(|(i, f)| (f.code.clone(), i as u32)).collect();
        let mut trees: [Vec<Boxed>; 4] = Default::default();
        let mut places = Vec::with_capacity(features.len());
        let mut shapes = Vec::with_capacity(features.len());
        let (mut coords, mut rings, mut place_rings) = (Vec::new(), Vec::new(), Vec::with_capacity(features.len()));
        for (i, f) in features.into_iter().enumerate() {
            place_rings.push(match &f.shape {
                Shape::Area(m) => flatten(m, &mut coords, &mut rings),
                Shape::Line(_) => (rings.len() as u32, rings.len() as u32),
            });
            let slot = match f.level {
                Level::Grid => Some(0),
                Level::Community | Level::Village => Some(1),
                Level::Subdistrict | Level::Township => Some(2),
                Level::Street => Some(3),
                Level::District => None,
            };
            if let (Some(slot), Some(bb)) = (slot, f.shape.bbox()) {
                trees[slot].push(GeomWithData::new(Rectangle::from_aabb(rect_to_aabb(bb)), i as u32));
            }
            places.push(Place {
                parent: f.parent_code.as_deref().and_then(|c| by_code.get(c).copied()),
                code: f.code,
                name: f.name,
                level: f.level,
                households: f.households,
            });
            shapes.push(f.shape);
        }
        let [g, c, s, st] = trees;
        GeoIndex {
            places,
            shapes,
            coords,
            rings,
            place_rings,
            by_code,
            grids: RTree::bulk_load(g),
            communities: RTree::bulk_load(c),
            subdistricts: RTree::bulk_load(s),
            streets: RTree::bulk_load(st),
            fallback_m,
        }
    }

    pub fn grid_count(&self) -> usize {
        self.grids.size()
    }

    pub fn place(&self, id: u32) -> &Place {
        &self.places[id as usize]
    }

    pub fn places(&self) -> &[Place] {
        &self.places
    }

    pub fn shape(&self, id: u32) -> &Shape {
        &self.shapes[id as usize]
    }

    pub fn by_code(&self, code: &str) -> Option<u32> {
        self.by_code.get(code).copied()
    }

    fn rings_of(&self, id: u32) -> &[Ring] {
        let (a, b) = self.place_rings[id as usize];
        &self.rings[a as usize..b as usize]
    }

    /// The smallest-coded area in `tree` containing the point (boundary included).
    fn containing(&self, tree: &RTree<Boxed>, x: f64, y: f64) -> Option<u32> {
        let mut best: Option<u32> = None;
        // Internal iteration: no iterator state to allocate or copy on this hot path.
        let _ = tree.locate_all_at_point_int(&[x, y], |cand| {
            let id = cand.data;
            if best.is_none_or(|b| id < b) && position(&self.coords, self.rings_of(id), x, y) != Position::Outside {
                best = Some(id);
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        best
    }

    fn parent_at(&self, id: Option<u32>, tier: u8) -> Option<u32> {
        let p = self.places[id? as usize].parent?;
        (self.places[p as usize].level.tier() == tier).then_some(p)
    }

    /// Locates a WGS-84 point.
    pub fn locate(&self, lon: f64, lat: f64) -> Located {
        if !lon.is_finite() || !lat.is_finite() {
            return Located::default();
        }
        if let Some(grid) = self.containing(&self.grids, lon, lat) {
            let community = self.parent_at(Some(grid), 2);
            return Located {
                grid: Some(grid),
                community,
                subdistrict: self.parent_at(community, 1),
                fallback_distance_m: None,
            };
        }
        let (community, fallback_distance_m) = match self.containing(&self.communities, lon, lat) {
            Some(c) => (Some(c), None),
            None => match self.nearest_community(lon, lat) {
                Some((c, d)) => (Some(c), Some(d)),
                None => (None, None),
            },
        };
        let subdistrict = match community {
            Some(_) => self.parent_at(community, 1),
            None => self.containing(&self.subdistricts, lon, lat),
        };
        Located { grid: None, community, subdistrict, fallback_distance_m }
    }

    fn nearest_community(&self, lon: f64, lat: f64) -> Option<(u32, f64)> {
        if self.fallback_m <= 0.0 {
            return None;
        }
        let dlat = self.fallback_m / METRES_PER_DEGREE;
        let dlon = self.fallback_m / (METRES_PER_DEGREE * lat.to_radians().cos().max(0.01));
        let window = AABB::from_corners([lon - dlon, lat - dlat], [lon + dlon, lat + dlat]);
        let mut best: Option<(u32, f64)> = None;
        for cand in self.communities.locate_in_envelope_intersecting(&window) {
            let rings = self.rings_of(cand.data);
            if rings.is_empty() {
                continue;
            }
            let d = distance_m(&self.coords, rings, lon, lat);
            if d <= self.fallback_m && best.is_none_or(|(b, bd)| d < bd || (d == bd && cand.data < b)) {
                best = Some((cand.data, d));
            }
        }
        best
    }

    /// Ids of the features of `level` whose bounding boxes meet the view, in code order.
    pub fn in_view(&self, level: Level, min: [f64; 2], max: [f64; 2]) -> Vec<u32> {
        let tree = match level {
            Level::Grid => &self.grids,
            Level::Community | Level::Village => &self.communities,
            Level::Subdistrict | Level::Township => &self.subdistricts,
            Level::Street => &self.streets,
            Level::District => return vec![],
        };
        let mut out: Vec<u32> =
            tree.locate_in_envelope_intersecting(&AABB::from_corners(min, max)).map(|c| c.data).collect();
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::test_shapes::sq;
    use geo::{LineString, Polygon};
    use proptest::prelude::*;

    fn feat(level: Level, code: &str, parent: Option<&str>, shape: Shape) -> Feature {
        Feature {
            index: 0,
            level,
            code: code.into(),
            name: format!("name {code}"),
            name_en: None,
            parent_code: parent.map(String::from),
            households: None,
            population: None,
            shape,
        }
    }

    /// Subdistrict S over [0,4]×[0,2]; community C1 [0,2]×[0,2] with grids G1 [0,1], G2 [1,2];
    /// community C2 [2,4]×[0,2] with one grid G3 [2,3] (so [3,4] is a community without grid).
    fn sample(fallback_m: f64) -> GeoIndex {
        GeoIndex::build(
            vec![
                feat(Level::Grid, "110199001002001", Some("110199001002"), sq(2.0, 0.0, 3.0, 2.0)),
                feat(Level::Subdistrict, "110199001", Some("110199"), sq(0.0, 0.0, 4.0, 2.0)),
                feat(Level::Community, "110199001001", Some("110199001"), sq(0.0, 0.0, 2.0, 2.0)),
                feat(Level::Community, "110199001002", Some("110199001"), sq(2.0, 0.0, 4.0, 2.0)),
                feat(Level::Grid, "110199001001001", Some("110199001001"), sq(0.0, 0.0, 1.0, 2.0)),
                feat(Level::Grid, "110199001001002", Some("110199001001"), sq(1.0, 0.0, 2.0, 2.0)),
            ],
            fallback_m,
        )
    }

    fn codes(ix: &GeoIndex, l: Located) -> (Option<&str>, Option<&str>, Option<&str>) {
        let c = |i: Option<u32>| i.map(|i| ix.place(i).code.as_str());
        (c(l.grid), c(l.community), c(l.subdistrict))
    }

    #[test]
    fn inside_a_grid_gives_the_whole_chain() {
        let ix = sample(0.0);
        assert_eq!(codes(&ix, ix.locate(0.5, 1.0)), (Some("110199001001001"), Some("110199001001"), Some("110199001")));
        assert_eq!(codes(&ix, ix.locate(2.5, 0.5)).0, Some("110199001002001"));
    }

    #[test]
    fn shared_edges_and_corners_go_to_the_smallest_code() {
        let ix = sample(0.0);
        assert_eq!(codes(&ix, ix.locate(1.0, 1.0)).0, Some("110199001001001"));
        assert_eq!(codes(&ix, ix.locate(2.0, 1.0)).0, Some("110199001001002"));
        assert_eq!(codes(&ix, ix.locate(2.0, 2.0)).0, Some("110199001001002"));
    }

    #[test]
    fn a_community_without_grids_and_the_nearest_community_fallback() {
        let ix = sample(0.0);
        assert_eq!(codes(&ix, ix.locate(3.5, 1.0)), (None, Some("110199001002"), Some("110199001")));
        assert_eq!(ix.locate(4.0001, 1.0), Located::default());
        let ix = sample(50.0);
        let l = ix.locate(4.0001, 1.0);
        assert_eq!(codes(&ix, l), (None, Some("110199001002"), Some("110199001")));
        let d = l.fallback_distance_m.unwrap();
        assert!((d - 0.0001 * 111_320.0 * 1.0f64.to_radians().cos()).abs() < 0.01, "{d}");
        assert_eq!(ix.locate(4.01, 1.0), Located::default());
        assert_eq!(ix.locate(f64::NAN, 1.0), Located::default());
    }

    #[test]
    fn an_exclave_inside_another_places_hole_belongs_to_its_owner() {
        // Subdistrict A [0,10]² with a hole [4,6]²; subdistrict B [20,30]×[0,10] plus the
        // exclave [4,6]² filling A's hole (as Chaoyang's airport inside Shunyi).
        let ring = |x0: f64, y0: f64, x1: f64, y1: f64| {
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
        };
        let a = Shape::Area(geo::MultiPolygon(vec![Polygon::new(
            ring(0.0, 0.0, 10.0, 10.0),
            vec![ring(4.0, 4.0, 6.0, 6.0)],
        )]));
        let b = Shape::Area(geo::MultiPolygon(vec![
            Polygon::new(ring(20.0, 0.0, 30.0, 10.0), vec![]),
            Polygon::new(ring(4.0, 4.0, 6.0, 6.0), vec![]),
        ]));
        if let (Shape::Area(a), Shape::Area(b)) = (&a, &b) {
            assert!(crate::valid::area_problems(a).is_empty() && crate::valid::area_problems(b).is_empty());
        }
        let ix = GeoIndex::build(
            vec![
                feat(Level::Subdistrict, "110199001", Some("110199"), a),
                feat(Level::Subdistrict, "110199002", Some("110199"), b),
            ],
            0.0,
        );
        assert_eq!(codes(&ix, ix.locate(5.0, 5.0)).2, Some("110199002"), "the exclave");
        assert_eq!(codes(&ix, ix.locate(2.0, 2.0)).2, Some("110199001"));
        assert_eq!(codes(&ix, ix.locate(25.0, 5.0)).2, Some("110199002"));
    }

    #[test]
    fn holes_are_outside_and_their_edges_are_boundary() {
        let with_hole = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]),
            vec![LineString::from(vec![(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0), (1.0, 1.0)])],
        )]);
        let (mut coords, mut rings) = (Vec::new(), Vec::new());
        flatten(&with_hole, &mut coords, &mut rings);
        assert_eq!(position(&coords, &rings, 2.0, 2.0), Position::Outside);
        assert_eq!(position(&coords, &rings, 1.0, 2.0), Position::Boundary);
        assert_eq!(position(&coords, &rings, 0.5, 2.0), Position::Inside);
        // An island in the hole: a second polygon of the same area.
        let island =
            Polygon::new(LineString::from(vec![(1.5, 1.5), (2.5, 1.5), (2.5, 2.5), (1.5, 2.5), (1.5, 1.5)]), vec![]);
        let mut both = with_hole.clone();
        both.0.push(island);
        let (mut coords, mut rings) = (Vec::new(), Vec::new());
        flatten(&both, &mut coords, &mut rings);
        assert_eq!(position(&coords, &rings, 2.0, 2.0), Position::Inside);
        assert_eq!(position(&coords, &rings, 1.2, 2.0), Position::Outside);
        assert_eq!(position(&coords, &rings, 0.5, 2.0), Position::Inside);
    }

    #[test]
    fn in_view_returns_only_what_meets_the_box() {
        let ix = sample(0.0);
        let ids = ix.in_view(Level::Grid, [0.1, 0.1], [0.9, 0.9]);
        assert_eq!(ids.iter().map(|&i| ix.place(i).code.as_str()).collect::<Vec<_>>(), vec!["110199001001001"]);
        assert_eq!(ix.in_view(Level::Grid, [10.0, 10.0], [11.0, 11.0]), Vec::<u32>::new());
    }

    proptest! {
        /// On a k×k lattice of unit grids, every point lands in exactly the grid the
        /// arithmetic says (floor, with edges going to the smaller code), whatever order the
        /// features arrive in.
        #[test]
        fn lattice_points_land_where_arithmetic_says(
            k in 1usize..6, xs in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0), 1..40), rot in 0usize..100,
            snap in any::<bool>(),
        ) {
            let mut fs = Vec::new();
            for i in 0..k {
                for j in 0..k {
                    // Code order = row-major from the south-west (x fastest).
                    let code = format!("{:03}{:03}", j, i);
                    fs.push(feat(Level::Grid, &code, None, sq(i as f64, j as f64, i as f64 + 1.0, j as f64 + 1.0)));
                }
            }
            let n = fs.len();
            fs.rotate_left(rot % n);
            let ix = GeoIndex::build(fs, 0.0);
            for (fx, fy) in xs {
                let (mut x, mut y) = (fx * k as f64, fy * k as f64);
                if snap { x = x.round(); y = y.round(); }
                let l = ix.locate(x, y);
                // Smallest code = smallest row j, then smallest column i among touching cells.
                let cell = |v: f64| if v.fract() == 0.0 && v > 0.0 { (v as usize - 1).min(k - 1) } else { (v.floor() as usize).min(k - 1) };
                let want = format!("{:03}{:03}", cell(y), cell(x));
                prop_assert_eq!(l.grid.map(|g| ix.place(g).code.clone()), Some(want));
            }
        }
    }
}
