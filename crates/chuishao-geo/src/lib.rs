//! Chuishao's geography, pure: no I/O, no clock, no database.
//!
//! - [`parse`]: GeoJSON FeatureCollections of districts, subdistricts, communities, grids
//!   (Polygon/MultiPolygon) and streets (LineString/MultiLineString), with per-feature checks.
//! - [`validate`]: the checks across features (duplicate and unknown codes, overlapping grids,
//!   grids outside their community), every problem reported at once.
//! - [`index`]: the grid index (an R-tree of bounding boxes, exact point-in-polygon on the
//!   candidates) that locates a point in its grid, community and subdistrict, with the
//!   nearest-community fallback (属地兜底).
//! - [`export`]: features back to a GeoJSON FeatureCollection.

pub mod export;
#[cfg(test)]
mod fuzz;
pub mod index;
pub mod parse;
pub mod partition;
pub mod svg;
pub mod valid;
pub mod validate;

pub use index::{GeoIndex, Located, Place};
pub use parse::{Limits, Parsed, parse_collection, parse_features, parse_geometry};
pub use validate::{validate, validate_partial};

pub use geo::{MultiLineString, MultiPolygon};

/// The level of a feature: an administrative place (an org node) or a street (街巷).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    District,
    Subdistrict,
    Township,
    Community,
    Village,
    Grid,
    Street,
}

impl Level {
    pub const ALL: [Level; 7] = [
        Level::District,
        Level::Subdistrict,
        Level::Township,
        Level::Community,
        Level::Village,
        Level::Grid,
        Level::Street,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Subdistrict => "subdistrict",
            Level::Township => "township",
            Level::Community => "community",
            Level::Village => "village",
            Level::Grid => "grid",
            Level::Street => "street",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// 0 district, 1 subdistrict/township, 2 community/village, 3 grid; streets hang off a
    /// community (tier 2) and are not areas.
    pub fn tier(self) -> u8 {
        match self {
            Level::District => 0,
            Level::Subdistrict | Level::Township => 1,
            Level::Community | Level::Village => 2,
            Level::Grid | Level::Street => 3,
        }
    }

    /// Whether the feature is an area (polygon) rather than a line.
    pub fn is_area(self) -> bool {
        self != Level::Street
    }

    /// Whether a feature of this level may sit under a parent of level `parent`.
    pub fn parent_ok(self, parent: Level) -> bool {
        match self {
            Level::District => false,
            Level::Street => matches!(parent, Level::Community | Level::Village),
            _ => parent.is_area() && parent.tier() + 1 == self.tier(),
        }
    }
}

/// A feature's geometry: an area or a line, in WGS-84 longitude/latitude.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Area(MultiPolygon<f64>),
    Line(MultiLineString<f64>),
}

impl Shape {
    pub fn bbox(&self) -> Option<geo::Rect<f64>> {
        use geo::BoundingRect;
        match self {
            Shape::Area(m) => m.bounding_rect(),
            Shape::Line(l) => l.bounding_rect(),
        }
    }

    pub fn vertex_count(&self) -> usize {
        use geo::CoordsIter;
        match self {
            Shape::Area(m) => m.coords_count(),
            Shape::Line(l) => l.coords_count(),
        }
    }
}

/// One parsed feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Position in the file's `features` array (0-based).
    pub index: usize,
    pub level: Level,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub parent_code: Option<String>,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub shape: Shape,
}

/// One thing wrong with an input, located as precisely as possible.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Feature index in the file, when the problem belongs to one feature.
    pub index: Option<usize>,
    pub code: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn new(index: Option<usize>, code: Option<&str>, reason: impl Into<String>) -> Self {
        Problem { index, code: code.map(String::from), reason: reason.into() }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.index, &self.code) {
            (Some(i), Some(c)) => write!(f, "feature {i} ({c}): {}", self.reason),
            (Some(i), None) => write!(f, "feature {i}: {}", self.reason),
            (None, Some(c)) => write!(f, "{c}: {}", self.reason),
            (None, None) => write!(f, "{}", self.reason),
        }
    }
}

/// Why a GeoJSON input was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("the file is {bytes} bytes; the limit is {max} bytes")]
    TooLarge { bytes: u64, max: u64 },
    #[error("not a GeoJSON FeatureCollection: {0}")]
    Malformed(String),
    #[error("{} problem(s) in the GeoJSON", .0.len())]
    Invalid(Vec<Problem>),
}

/// Shapes for the unit tests of every module.
#[cfg(test)]
pub(crate) mod test_shapes {
    use super::Shape;
    use geo::{LineString, MultiPolygon, Polygon};

    /// The axis-aligned rectangle [x0, x1] × [y0, y1] as an area.
    pub fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> Shape {
        Shape::Area(MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )]))
    }
}
