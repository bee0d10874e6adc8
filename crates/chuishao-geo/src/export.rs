//! GeoJSON out: features back to a FeatureCollection, with the same properties the import
//! reads, so an export re-imports unchanged.

use crate::{Feature, Shape};
use serde_json::{Value, json};

fn ring(ls: &geo::LineString<f64>) -> Value {
    Value::Array(ls.0.iter().map(|c| json!([c.x, c.y])).collect())
}

/// The geometry object of a shape (Polygon or LineString when it has one part).
pub fn geometry_json(shape: &Shape) -> Value {
    match shape {
        Shape::Area(m) => {
            let polys: Vec<Value> =
                m.0.iter()
                    .map(|p| Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect()))
                    .collect();
            match <[Value; 1]>::try_from(polys) {
                Ok([one]) => json!({"type": "Polygon", "coordinates": one}),
                Err(polys) => json!({"type": "MultiPolygon", "coordinates": polys}),
            }
        }
        Shape::Line(l) => {
            let lines: Vec<Value> = l.0.iter().map(ring).collect();
            match <[Value; 1]>::try_from(lines) {
                Ok([one]) => json!({"type": "LineString", "coordinates": one}),
                Err(lines) => json!({"type": "MultiLineString", "coordinates": lines}),
            }
        }
    }
}

/// One feature as GeoJSON.
pub fn feature_json(f: &Feature) -> Value {
    let mut props = serde_json::Map::new();
    props.insert("level".into(), json!(f.level.as_str()));
    props.insert("code".into(), json!(f.code));
    props.insert("name".into(), json!(f.name));
    if let Some(v) = &f.name_en {
        props.insert("name_en".into(), json!(v));
    }
    if let Some(v) = &f.parent_code {
        props.insert("parent_code".into(), json!(v));
    }
    if let Some(v) = f.households {
        props.insert("households".into(), json!(v));
    }
    if let Some(v) = f.population {
        props.insert("population".into(), json!(v));
    }
    json!({"type": "Feature", "properties": props, "geometry": geometry_json(&f.shape)})
}

/// A FeatureCollection of `features`.
pub fn to_feature_collection(features: &[Feature]) -> Value {
    json!({"type": "FeatureCollection", "features": features.iter().map(feature_json).collect::<Vec<_>>()})
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{Limits, parse_collection};

    #[test]
    fn export_then_import_is_the_identity() {
        let src = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"level":"community","code":"110199001001","name":"樱花园社区","name_en":"Yinghua","parent_code":"110199001"},
           "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}},
          {"type":"Feature","properties":{"level":"grid","code":"110199001001001","name":"一网格","parent_code":"110199001001","households":300,"population":800},
           "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
          {"type":"Feature","properties":{"level":"street","code":"S-1","name":"东街","parent_code":"110199001001"},
           "geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#.as_bytes();
        let a = parse_collection(src, &Limits::default()).unwrap();
        let text = serde_json::to_vec(&to_feature_collection(&a)).unwrap();
        let b = parse_collection(&text, &Limits::default()).unwrap();
        assert_eq!(a, b);
    }
}
