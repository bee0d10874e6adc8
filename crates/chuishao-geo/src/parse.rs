//! GeoJSON in: a FeatureCollection parsed into [`Feature`]s, with every per-feature problem
//! (missing or ill-typed properties, unsupported geometry, unclosed, short or
//! self-intersecting rings, NaN or out-of-range coordinates, too many vertices) collected at
//! once. Coordinates are read into compact vectors directly (no intermediate JSON tree), so
//! memory stays a small multiple of the input, which is itself bounded by [`Limits`].

use crate::{Feature, GeoError, Level, Problem, Shape};
use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Bounds on what an import may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_bytes: u64,
    pub max_features: usize,
    /// Vertices in one feature (all rings and parts).
    pub max_vertices_per_feature: usize,
    /// Two grids may overlap by at most this share of the smaller one's area (digitising slack).
    pub overlap_tolerance: f64,
    /// A grid may stick out of its community by at most this share of its own area.
    pub outside_tolerance: f64,
    /// Whether areas are checked for self-intersections and bad nesting (off only for
    /// geometry read back from the database, which was checked on the way in).
    pub check_validity: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 * 1024 * 1024,
            max_features: 250_000,
            max_vertices_per_feature: 250_000,
            overlap_tolerance: 0.01,
            outside_tolerance: 0.01,
            check_validity: true,
        }
    }
}

type Pos = [f64; 2];

/// Coordinates of any nesting depth, read straight into typed vectors.
#[derive(Debug, Clone, PartialEq)]
enum Coords {
    Empty,
    Num(f64),
    Pos(Pos),
    Line(Vec<Pos>),
    Poly(Vec<Vec<Pos>>),
    Multi(Vec<Vec<Vec<Pos>>>),
}

impl<'de> Deserialize<'de> for Coords {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CoordsVisitor)
    }
}

struct CoordsVisitor;

impl<'de> Visitor<'de> for CoordsVisitor {
    type Value = Coords;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number or a nested array of numbers")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Coords, E> {
        Ok(Coords::Num(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Coords, E> {
        Ok(Coords::Num(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Coords, E> {
        Ok(Coords::Num(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Coords, A::Error> {
        let mismatch = || de::Error::custom("coordinates nest inconsistently");
        let mut acc = Coords::Empty;
        let mut nums = 0usize;
        while let Some(el) = seq.next_element::<Coords>()? {
            acc = match (acc, el) {
                (Coords::Empty, Coords::Num(x)) => {
                    nums = 1;
                    Coords::Pos([x, f64::NAN])
                }
                (Coords::Pos(mut p), Coords::Num(y)) => {
                    // A third number (altitude) is allowed and ignored.
                    if nums == 1 {
                        p[1] = y;
                    }
                    nums += 1;
                    Coords::Pos(p)
                }
                (Coords::Empty, Coords::Pos(p)) => Coords::Line(vec![p]),
                (Coords::Line(mut v), Coords::Pos(p)) => {
                    v.push(p);
                    Coords::Line(v)
                }
                (Coords::Empty, Coords::Line(l)) => Coords::Poly(vec![l]),
                (Coords::Poly(mut v), Coords::Line(l)) => {
                    v.push(l);
                    Coords::Poly(v)
                }
                (Coords::Empty, Coords::Poly(p)) => Coords::Multi(vec![p]),
                (Coords::Multi(mut v), Coords::Poly(p)) => {
                    v.push(p);
                    Coords::Multi(v)
                }
                _ => return Err(mismatch()),
            };
        }
        if matches!(acc, Coords::Pos(_)) && nums < 2 {
            return Err(de::Error::custom("a position needs a longitude and a latitude"));
        }
        Ok(acc)
    }
}

#[derive(Deserialize)]
struct RawCollection {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    features: Option<Vec<RawFeature>>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
    #[serde(default)]
    geometry: Option<RawGeometry>,
}

#[derive(Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    coordinates: Option<Coords>,
}

/// A FeatureCollection read leniently: the features that passed their own checks, every
/// problem found, and the codes of the features that failed (so that their children are not
/// also reported as orphans).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub features: Vec<Feature>,
    pub problems: Vec<Problem>,
    pub failed_codes: Vec<String>,
}

/// Parses a FeatureCollection, checking every feature. Only structural errors (not JSON, not
/// a FeatureCollection, too large) stop at once.
pub fn parse_features(bytes: &[u8], limits: &Limits) -> Result<Parsed, GeoError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(GeoError::TooLarge { bytes: bytes.len() as u64, max: limits.max_bytes });
    }
    let raw: RawCollection = serde_json::from_slice(bytes).map_err(|e| GeoError::Malformed(e.to_string()))?;
    if raw.kind != "FeatureCollection" {
        return Err(GeoError::Malformed(format!("type is {:?}, expected \"FeatureCollection\"", raw.kind)));
    }
    let raw_features = raw.features.ok_or_else(|| GeoError::Malformed("no \"features\" array".into()))?;
    if raw_features.len() > limits.max_features {
        return Err(GeoError::Malformed(format!(
            "{} features; the limit is {}",
            raw_features.len(),
            limits.max_features
        )));
    }
    let mut out = Parsed { features: Vec::with_capacity(raw_features.len()), ..Parsed::default() };
    for (i, f) in raw_features.into_iter().enumerate() {
        let before = out.problems.len();
        match check_feature(i, f, limits, &mut out.problems) {
            Some(feature) => out.features.push(feature),
            None => {
                if let Some(code) = out.problems[before..].iter().find_map(|p| p.code.clone()) {
                    out.failed_codes.push(code);
                }
            }
        }
    }
    Ok(out)
}

/// Parses a FeatureCollection strictly: any problem fails the whole file.
pub fn parse_collection(bytes: &[u8], limits: &Limits) -> Result<Vec<Feature>, GeoError> {
    let parsed = parse_features(bytes, limits)?;
    if parsed.problems.is_empty() { Ok(parsed.features) } else { Err(GeoError::Invalid(parsed.problems)) }
}

/// Parses one stored geometry object (the `geometry` member of a feature). Stored geometry
/// passed every check when it was imported, so the validity check (the costly part) is not
/// run again; the structure still is.
pub fn parse_geometry(text: &str, level: Level) -> Result<Shape, String> {
    let raw: RawGeometry = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    let limits = Limits { max_vertices_per_feature: usize::MAX, check_validity: false, ..Limits::default() };
    match check_geometry(Some(raw), level, &limits, &mut |r| problems.push(r)) {
        Some(s) => Ok(s),
        None => Err(problems.join("; ")),
    }
}

fn check_feature(i: usize, f: RawFeature, limits: &Limits, problems: &mut Vec<Problem>) -> Option<Feature> {
    let before = problems.len();
    let props = f.properties.unwrap_or_default();
    let code = match props.get("code") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut report = |reason: String| problems.push(Problem::new(Some(i), code.as_deref(), reason));
    if f.kind.as_deref() != Some("Feature") {
        report(format!("type is {:?}, expected \"Feature\"", f.kind.as_deref().unwrap_or("")));
    }
    if code.is_none() {
        report("property \"code\" is missing or empty".into());
    }
    let level = match props.get("level") {
        Some(Value::String(s)) => match Level::parse(s) {
            Some(l) => Some(l),
            None => {
                report(format!(
                    "property \"level\" is {s:?}; expected one of district, subdistrict, township, community, village, grid, street"
                ));
                None
            }
        },
        _ => {
            report("property \"level\" is missing".into());
            None
        }
    };
    let text = |key: &str, report: &mut dyn FnMut(String)| match props.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(_) => {
            report(format!("property {key:?} must be a non-empty string"));
            None
        }
    };
    let name = text("name", &mut report);
    if name.is_none() {
        report("property \"name\" is missing".into());
    }
    let name_en = text("name_en", &mut report);
    let parent_code = text("parent_code", &mut report);
    let count = |key: &str, report: &mut dyn FnMut(String)| match props.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if (0..=10_000_000).contains(&v) => Some(v),
            _ => {
                report(format!("property {key:?} must be a whole number between 0 and 10,000,000"));
                None
            }
        },
        Some(_) => {
            report(format!("property {key:?} must be a number"));
            None
        }
    };
    let households = count("households", &mut report);
    let population = count("population", &mut report);
    let shape = match level {
        Some(level) => check_geometry(f.geometry, level, limits, &mut report),
        None => None,
    };
    if problems.len() > before {
        return None;
    }
    Some(Feature {
        index: i,
        level: level?,
        code: code?,
        name: name?,
        name_en,
        parent_code,
        households,
        population,
        shape: shape?,
    })
}

fn check_geometry(
    raw: Option<RawGeometry>,
    level: Level,
    limits: &Limits,
    report: &mut dyn FnMut(String),
) -> Option<Shape> {
    let Some(raw) = raw else {
        report("geometry is missing".into());
        return None;
    };
    let expected = if level.is_area() { "Polygon or MultiPolygon" } else { "LineString or MultiLineString" };
    let coords = raw.coordinates.unwrap_or(Coords::Empty);
    let parts: Vec<Vec<Vec<Pos>>> = match (raw.kind.as_str(), level.is_area(), coords) {
        ("Polygon", true, Coords::Poly(p)) => vec![p],
        ("MultiPolygon", true, Coords::Multi(m)) => m,
        ("LineString", false, Coords::Line(l)) => vec![vec![l]],
        ("MultiLineString", false, Coords::Poly(ls)) => vec![ls],
        (kind @ ("Polygon" | "MultiPolygon" | "LineString" | "MultiLineString"), ok, _) => {
            if ok {
                report(format!("{kind} coordinates are empty or nested wrongly"));
            } else {
                report(format!("a {} needs a {expected} geometry, got {kind}", level.as_str()));
            }
            return None;
        }
        (other, _, _) => {
            report(format!("geometry type {other:?} is not supported; a {} needs a {expected}", level.as_str()));
            return None;
        }
    };
    let vertices: usize = parts.iter().flatten().map(Vec::len).sum();
    if vertices > limits.max_vertices_per_feature {
        report(format!("{vertices} vertices; the limit is {} per feature", limits.max_vertices_per_feature));
        return None;
    }
    let mut ok = true;
    'coords: for part in &parts {
        for ring in part {
            for p in ring {
                if !p[0].is_finite() || !p[1].is_finite() {
                    report("a coordinate is not a finite number".into());
                    ok = false;
                    break 'coords;
                }
                if !(-180.0..=180.0).contains(&p[0]) || !(-90.0..=90.0).contains(&p[1]) {
                    report(format!("coordinate [{}, {}] is out of range (longitude ±180, latitude ±90)", p[0], p[1]));
                    ok = false;
                    break 'coords;
                }
            }
        }
    }
    if !ok {
        return None;
    }
    let to_line = |ring: Vec<Pos>| LineString::new(ring.into_iter().map(|[x, y]| Coord { x, y }).collect());
    if !level.is_area() {
        let mut lines = Vec::new();
        for (n, l) in parts.into_iter().flatten().enumerate() {
            if l.len() < 2 {
                report(format!("line {n} has fewer than 2 positions"));
                ok = false;
            }
            lines.push(to_line(l));
        }
        return ok.then_some(Shape::Line(MultiLineString(lines)));
    }
    for (pi, part) in parts.iter().enumerate() {
        if part.is_empty() {
            report(format!("polygon {pi} has no rings"));
            ok = false;
        }
        for (ri, ring) in part.iter().enumerate() {
            let role = if ri == 0 { "exterior ring".to_string() } else { format!("interior ring {ri}") };
            if ring.len() < 4 {
                report(format!("polygon {pi} {role} has {} positions; a ring needs at least 4", ring.len()));
                ok = false;
            } else if ring.first() != ring.last() {
                report(format!("polygon {pi} {role} is not closed (first and last positions differ)"));
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let polygons: Vec<Polygon<f64>> = parts
        .into_iter()
        .map(|part| {
            let mut rings = part.into_iter().map(to_line);
            let exterior = rings.next().unwrap_or_else(|| LineString::new(vec![]));
            Polygon::new(exterior, rings.collect())
        })
        .collect();
    let multi = MultiPolygon(polygons);
    let errors = if limits.check_validity { crate::valid::area_problems(&multi) } else { Vec::new() };
    if !errors.is_empty() {
        for e in errors {
            report(format!("invalid geometry: {e}"));
        }
        return None;
    }
    Some(Shape::Area(multi))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn fc(features: &str) -> Vec<u8> {
        format!("{{\"type\":\"FeatureCollection\",\"features\":[{features}]}}").into_bytes()
    }

    fn grid(code: &str, coords: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"level":"grid","code":"{code}","name":"网格","parent_code":"110199001001","households":300}},
                "geometry":{{"type":"Polygon","coordinates":{coords}}}}}"#
        )
    }

    const SQUARE: &str = "[[[0,0],[1,0],[1,1],[0,1],[0,0]]]";

    fn problems(bytes: &[u8]) -> Vec<Problem> {
        match parse_collection(bytes, &Limits::default()) {
            Err(GeoError::Invalid(p)) => p,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_polygon_and_a_street_parse() {
        let street = r#"{"type":"Feature","properties":{"level":"street","code":"S1","name":"樱花东街","parent_code":"110199001001"},
            "geometry":{"type":"LineString","coordinates":[[0.1,0.5],[0.9,0.5,12.0]]}}"#;
        let out = parse_collection(&fc(&format!("{},{street}", grid("110199001001001", SQUARE))), &Limits::default())
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].level, Level::Grid);
        assert_eq!(out[0].households, Some(300));
        assert_eq!(out[1].level, Level::Street);
        assert_eq!(out[1].shape.vertex_count(), 2);
    }

    #[test]
    fn every_problem_is_reported_with_index_and_code() {
        let bytes = fc(&[
            grid("A", "[[[0,0],[1,0],[1,1],[0,1]]]"),                     // unclosed
            grid("B", "[[[0,0],[1,1],[1,0],[0,1],[0,0]]]"),                // bow tie
            grid("C", "[[[0,0],[200,0],[1,1],[0,0]]]"),                    // out of range
            grid("D", "[[[0,0],[1,0],[0,0]]]"),                            // too short
            r#"{"type":"Feature","properties":{"level":"grid","name":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}"#.into(),
            r#"{"type":"Feature","properties":{"level":"moon","code":"E","name":"x"},"geometry":null}"#.into(),
        ]
        .join(","));
        let p = problems(&bytes);
        let has = |i: usize, code: Option<&str>, words: &str| {
            p.iter().any(|p| p.index == Some(i) && p.code.as_deref() == code && p.reason.contains(words))
        };
        assert!(has(0, Some("A"), "not closed"), "{p:?}");
        assert!(has(1, Some("B"), "self-intersection"), "{p:?}");
        assert!(has(2, Some("C"), "out of range"), "{p:?}");
        assert!(has(3, Some("D"), "at least 4"), "{p:?}");
        assert!(has(4, None, "\"code\" is missing"), "{p:?}");
        assert!(has(4, None, "\"Point\" is not supported"), "{p:?}");
        assert!(has(5, Some("E"), "\"moon\""), "{p:?}");
    }

    #[test]
    fn limits_refuse_huge_files_and_polygons() {
        let limits = Limits { max_bytes: 100, ..Limits::default() };
        assert!(matches!(parse_collection(&[b' '; 101], &limits), Err(GeoError::TooLarge { bytes: 101, max: 100 })));
        let mut ring: Vec<String> =
            (0..20_001).map(|i| format!("[{},{}]", (i as f64 * 0.001).sin(), (i as f64 * 0.001).cos())).collect();
        ring.push(ring[0].clone());
        let big = fc(&grid("BIG", &format!("[[{}]]", ring.join(","))));
        let limits = Limits { max_vertices_per_feature: 10_000, ..Limits::default() };
        let Err(GeoError::Invalid(p)) = parse_collection(&big, &limits) else { panic!("the limit let it through") };
        assert!(p[0].reason.contains("20002 vertices; the limit is 10000 per feature"), "{p:?}");
    }

    #[test]
    fn malformed_json_and_non_numbers_are_refused() {
        assert!(matches!(parse_collection(b"{\"type\":\"Feature\"}", &Limits::default()), Err(GeoError::Malformed(_))));
        assert!(matches!(parse_collection(b"not json", &Limits::default()), Err(GeoError::Malformed(_))));
        assert!(matches!(
            parse_collection(&fc(&grid("N", "[[[0,0],[NaN,0],[1,1],[0,0]]]")), &Limits::default()),
            Err(GeoError::Malformed(_))
        ));
        assert!(matches!(
            parse_collection(&fc(&grid("N", "[[[0,0],[1e999,0],[1,1],[0,0]]]")), &Limits::default()),
            Err(GeoError::Malformed(_))
        ));
        assert!(matches!(
            parse_collection(&fc(&grid("N", "[[[0,0],[[1],0],[1,1],[0,0]]]")), &Limits::default()),
            Err(GeoError::Malformed(_))
        ));
    }

    #[test]
    fn a_stored_geometry_parses_back() {
        let s = parse_geometry(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#, Level::Grid).unwrap();
        assert_eq!(s.vertex_count(), 4);
        assert!(parse_geometry(r#"{"type":"LineString","coordinates":[[0,0],[1,0]]}"#, Level::Grid).is_err());
    }
}
