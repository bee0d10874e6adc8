//! Fuzz harness (stable Rust, proptest) over the GeoJSON parser: arbitrary bytes, and a valid
//! collection with bytes flipped, cut or spliced, must give features or problems — never a
//! panic or a hang. `bench/fuzz.sh` runs it for minutes (`CHUISHAO_FUZZ_CASES`); the normal
//! test run does a short pass.

#![allow(clippy::unwrap_used)]

use crate::parse::{Limits, parse_features};
use proptest::prelude::*;

/// Cases per harness: `CHUISHAO_FUZZ_CASES`, else a short pass.
fn cases() -> u32 {
    std::env::var("CHUISHAO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

const VALID: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"level":"community","code":"110199001001","name":"社区","parent_code":"110199001"},
 "geometry":{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]]]}},
{"type":"Feature","properties":{"level":"grid","code":"110199001001001","name":"网格","parent_code":"110199001001","households":300},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]]}},
{"type":"Feature","properties":{"level":"street","code":"S1","name":"街","parent_code":"110199001001"},
 "geometry":{"type":"LineString","coordinates":[[0.1,0.5],[0.9,0.5,12.0]]}}]}"#;

/// Small limits, so the bounds are exercised too.
fn limits() -> Limits {
    Limits { max_bytes: 64 * 1024, max_features: 16, max_vertices_per_feature: 64, ..Limits::default() }
}

/// A mutation of `base`: (position, kind, byte).
fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = base.to_vec();
    for &(pos, kind, byte) in edits {
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let i = pos % out.len();
        match kind % 4 {
            0 => out[i] = byte,
            1 => out.insert(i, byte),
            2 => {
                out.remove(i);
            }
            _ => {
                // Splice a copy of a span elsewhere (nesting, repeated members).
                let end = (i + 1 + byte as usize).min(out.len());
                let span = out[i..end].to_vec();
                let at = (pos / 7) % out.len();
                out.splice(at..at, span);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_features(&bytes, &limits());
    }

    #[test]
    fn mutated_collections_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12)) {
        let bytes = mutate(VALID.as_bytes(), &edits);
        let _ = parse_features(&bytes, &limits());
    }

    #[test]
    fn wild_numbers_never_panic(x in any::<f64>(), y in any::<f64>(), n in 0usize..80) {
        let ring: Vec<String> = (0..n).map(|i| format!("[{},{}]", x * i as f64, y - i as f64)).collect();
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"level":"grid","code":"G","name":"n","parent_code":"C"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
            ring.join(",")
        );
        let _ = parse_features(text.replace("NaN", "1e999").replace("inf", "1e999").as_bytes(), &limits());
    }
}

#[test]
fn the_seed_is_valid() {
    assert!(parse_features(VALID.as_bytes(), &Limits::default()).is_ok());
}
