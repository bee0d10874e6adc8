//! `chuishao bench-geo`: a synthetic district of 100,000 grids (1,000 communities of 10 × 10
//! grids, each grid a 9-vertex polygon), measured for (1) importing the GeoJSON (parse,
//! validate, write, rebuild the index) into a fresh database and (2) locating random points
//! on one core. `--dump DIR` also writes the grids and the points as CSV (WKT) so that
//! bench/geo-postgis.sh can time PostGIS `ST_Contains` over a GiST index on the same data.

use anyhow::{Context, Result};
use chuishao_app::{App, SystemClock};
use chuishao_store::Store;
use serde_json::json;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BenchGeoArgs {
    /// Communities (each holds 10 × 10 grids).
    #[arg(long, default_value_t = 1_000)]
    communities: usize,
    /// Points to locate.
    #[arg(long, default_value_t = 2_000_000)]
    points: usize,
    /// Database to import into; default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    bench_database_url: Option<String>,
    /// Also write grids.csv and points.csv (WKT) into this directory, for PostGIS.
    #[arg(long)]
    dump: Option<String>,
    /// Instead: district outlines of growing size (17 districts, one with a hole holding
    /// another's exclave), timing validation and import per million vertices.
    #[arg(long)]
    outlines: bool,
}

/// A closed ring of `n` positions around (cx, cy): a wavy circle with a little jitter, as a
/// digitised boundary looks, never crossing itself.
fn wavy_ring(cx: f64, cy: f64, radius: f64, n: usize, seed: u64) -> Vec<[f64; 2]> {
    let mut s = seed | 1;
    let mut jitter = || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let step = std::f64::consts::TAU / n as f64;
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|k| {
            let a = step * k as f64;
            let r = radius * (1.0 + 0.08 * (a * 13.0).sin()) + radius * step * 0.2 * jitter();
            [((cx + r * a.cos()) * 1e7).round() / 1e7, ((cy + r * a.sin()) * 1e7).round() / 1e7]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// 17 districts of about `each` vertices: district 1 has a hole, and district 2 owns an
/// exclave inside it (as Chaoyang's airport sits inside Shunyi).
fn outline_file(each: usize) -> (Vec<u8>, usize) {
    let mut features = Vec::new();
    let mut vertices = 0;
    for d in 0..17usize {
        let (cx, cy) = (116.0 + (d % 6) as f64 * 0.5, 39.5 + (d / 6) as f64 * 0.5);
        let outer = wavy_ring(cx, cy, 0.2, each, d as u64 + 7);
        vertices += outer.len();
        let geometry = match d {
            1 => {
                let hole: Vec<[f64; 2]> = wavy_ring(cx, cy, 0.05, each / 10, 99).into_iter().rev().collect();
                vertices += hole.len();
                json!({"type": "Polygon", "coordinates": [outer, hole]})
            }
            2 => {
                let (hx, hy) = (116.5, 39.5);
                let exclave = wavy_ring(hx, hy, 0.03, each / 10, 98);
                vertices += exclave.len();
                json!({"type": "MultiPolygon", "coordinates": [[outer], [exclave]]})
            }
            _ => json!({"type": "Polygon", "coordinates": [outer]}),
        };
        features.push(json!({"type": "Feature",
            "properties": {"level": "district", "code": format!("11{:04}", 100 + d), "name": format!("区{d}")},
            "geometry": geometry}));
    }
    (serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap_or_default(), vertices)
}

async fn run_outlines() -> Result<()> {
    println!(
        "| vertices | per district | validate | s per million | import (parse, validate, write, index) | s per million |"
    );
    println!("|---|---|---|---|---|---|");
    for each in [3_000usize, 15_000, 60_000] {
        let (bytes, vertices) = outline_file(each);
        let limits = chuishao_geo::Limits {
            max_vertices_per_feature: usize::MAX,
            max_bytes: u64::MAX,
            ..chuishao_geo::Limits::default()
        };
        let t = Instant::now();
        let parsed = chuishao_geo::parse_collection(&bytes, &limits).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let validate_s = t.elapsed().as_secs_f64();
        std::hint::black_box(parsed);
        let dir = tempfile::tempdir()?;
        let store = Store::open(&format!("sqlite://{}", dir.path().join("o.db").display())).await?;
        store.migrate(chuishao_app::Clock::now_ms(&SystemClock)).await?;
        let app = App::new(store, Arc::new(SystemClock)).with_geo_limits(limits);
        let t = Instant::now();
        app.grids().import_geo(&bytes, &|_| {}).await.map_err(|e| anyhow::anyhow!("import failed: {e:?}"))?;
        let import_s = t.elapsed().as_secs_f64();
        let m = vertices as f64 / 1e6;
        println!(
            "| {vertices} | {each} | {validate_s:.2} s | {:.1} s | {import_s:.2} s | {:.1} s |",
            validate_s / m,
            import_s / m
        );
    }
    Ok(())
}

const ORIGIN: (f64, f64) = (116.0, 40.2);
const GRID_DEG: (f64, f64) = (0.002, 0.0016);

fn ring(x0: f64, y0: f64, w: f64, h: f64) -> Vec<[f64; 2]> {
    // Counter-clockwise rectangle with a vertex in the middle of each side: 9 positions.
    let r = |v: f64| (v * 1e7).round() / 1e7;
    let (x1, y1, xm, ym) = (x0 + w, y0 + h, x0 + w / 2.0, y0 + h / 2.0);
    [[x0, y0], [xm, y0], [x1, y0], [x1, ym], [x1, y1], [xm, y1], [x0, y1], [x0, ym], [x0, y0]]
        .map(|[x, y]| [r(x), r(y)])
        .to_vec()
}

struct Synthetic {
    geojson: Vec<u8>,
    grids: Vec<(String, Vec<[f64; 2]>)>,
    bbox: (f64, f64, f64, f64),
}

fn synthetic(communities: usize) -> Synthetic {
    let per_row = (communities as f64).sqrt().ceil() as usize;
    let subdistricts = communities.div_ceil(100);
    let mut features = Vec::with_capacity(communities * 101 + subdistricts + 1);
    let mut grids = Vec::with_capacity(communities * 100);
    let cw = GRID_DEG.0 * 10.0;
    let ch = GRID_DEG.1 * 10.0;
    let rows = communities.div_ceil(per_row);
    let (w, h) = (per_row as f64 * cw, rows as f64 * ch);
    let area = |code: &str, level: &str, parent: Option<&str>, ring: Vec<[f64; 2]>, hh: Option<i64>| {
        json!({"type": "Feature",
               "properties": {"level": level, "code": code, "name": format!("{level} {code}"), "parent_code": parent,
                              "households": hh},
               "geometry": {"type": "Polygon", "coordinates": [ring]}})
    };
    features.push(area("119999", "district", None, ring(ORIGIN.0, ORIGIN.1, w, h), None));
    for s in 0..subdistricts {
        // Subdistricts are bands of whole community rows (rows are filled in order).
        let first_row = s * 100 / per_row;
        let last_row = (((s + 1) * 100).min(communities) - 1) / per_row;
        let sub = format!("119999{:03}", s + 1);
        let y0 = ORIGIN.1 + first_row as f64 * ch;
        features.push(area(
            &sub,
            "subdistrict",
            Some("119999"),
            ring(ORIGIN.0, y0, w, (last_row - first_row + 1) as f64 * ch),
            None,
        ));
    }
    for c in 0..communities {
        let (row, col) = (c / per_row, c % per_row);
        let sub = format!("119999{:03}", c / 100 + 1);
        let com = format!("{sub}{:03}", c % 100 + 1);
        let (x0, y0) = (ORIGIN.0 + col as f64 * cw, ORIGIN.1 + row as f64 * ch);
        features.push(area(&com, "community", Some(&sub), ring(x0, y0, cw, ch), None));
        for g in 0..100 {
            let code = format!("{com}{:03}", g + 1);
            let r = ring(x0 + (g % 10) as f64 * GRID_DEG.0, y0 + (g / 10) as f64 * GRID_DEG.1, GRID_DEG.0, GRID_DEG.1);
            features.push(area(&code, "grid", Some(&com), r.clone(), Some(300)));
            grids.push((code, r));
        }
    }
    let geojson = serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap_or_default();
    Synthetic { geojson, grids, bbox: (ORIGIN.0, ORIGIN.1, ORIGIN.0 + w, ORIGIN.1 + h) }
}

/// xorshift64*: a fixed, dependency-free stream of points.
fn points(n: usize, bbox: (f64, f64, f64, f64)) -> Vec<(f64, f64)> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n).map(|_| (bbox.0 + next() * (bbox.2 - bbox.0), bbox.1 + next() * (bbox.3 - bbox.1))).collect()
}

fn wkt(ring: &[[f64; 2]]) -> String {
    let pts: Vec<String> = ring.iter().map(|[x, y]| format!("{x} {y}")).collect();
    format!("POLYGON(({}))", pts.join(","))
}

pub async fn run(args: BenchGeoArgs) -> Result<()> {
    if args.outlines {
        return run_outlines().await;
    }
    let t = Instant::now();
    let syn = synthetic(args.communities);
    eprintln!(
        "generated {} grids, {:.1} MB of GeoJSON in {:.1} s",
        syn.grids.len(),
        syn.geojson.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir()?;
    let url = args
        .bench_database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench-geo.db").display()));
    let store = Store::open(&url).await.with_context(|| format!("opening {url}"))?;
    store.migrate(chuishao_app::Clock::now_ms(&SystemClock)).await?;
    let app = App::new(store, Arc::new(SystemClock));
    let t = Instant::now();
    let report = app
        .grids()
        .import_geo(&syn.geojson, &|phase| eprintln!("  import: {phase} ({:.1} s)", t.elapsed().as_secs_f64()))
        .await
        .map_err(|e| anyhow::anyhow!("import failed: {e:?}"))?;
    let import_s = t.elapsed().as_secs_f64();

    let index = app.grids().geo_index().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let pts = points(args.points, syn.bbox);
    // Warm up, then time on this one thread.
    let warm = pts.iter().take(10_000).filter(|&&(x, y)| index.locate(x, y).grid.is_some()).count();
    std::hint::black_box(warm);
    let mut found = 0usize;
    let t = Instant::now();
    for &(x, y) in &pts {
        found += index.locate(x, y).grid.is_some() as usize;
    }
    let lookup_s = t.elapsed().as_secs_f64();
    let rate = pts.len() as f64 / lookup_s;
    if let Some(d) = &args.dump {
        std::fs::create_dir_all(d)?;
        let mut g = std::io::BufWriter::new(std::fs::File::create(format!("{d}/grids.csv"))?);
        for (code, r) in &syn.grids {
            writeln!(g, "{code}\t{}", wkt(r))?;
        }
        let mut p = std::io::BufWriter::new(std::fs::File::create(format!("{d}/points.csv"))?);
        for (i, (x, y)) in pts.iter().enumerate() {
            writeln!(p, "{i}\t{x}\t{y}")?;
        }
        eprintln!("wrote {d}/grids.csv and {d}/points.csv");
    }
    println!("| measure | value |");
    println!("|---|---|");
    println!("| grids | {} |", syn.grids.len());
    println!("| GeoJSON size | {:.1} MB |", syn.geojson.len() as f64 / 1e6);
    println!("| import (parse, validate, write, index) | {import_s:.1} s ({} places created) |", report.places_created);
    println!(
        "| lookups on one core | {:.0} /s ({} points, {} in a grid, {:.0} ns each) |",
        rate,
        pts.len(),
        found,
        1e9 / rate
    );
    Ok(())
}
