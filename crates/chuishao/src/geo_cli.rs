//! `chuishao import geo FILE` and `chuishao export geo [FILE]`.

use anyhow::{Context, Result, bail};
use chuishao_app::App;
use chuishao_app::grids::geo::GeoImportError;
use chuishao_geo::GeoError;
use clap::Subcommand;
use std::io::{Read, Write};

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Places (district … grid polygons) and streets (lines) from a GeoJSON FeatureCollection.
    /// All or nothing: every problem is listed and nothing is written if there is one.
    Geo { file: String },
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Every place with geometry and every street as GeoJSON (to FILE, or standard output).
    Geo { file: Option<String> },
}

/// Reads a file no larger than `max` bytes, reporting progress on large files.
fn read_bounded(path: &str, max: u64) -> Result<Vec<u8>> {
    let io = |e: std::io::Error| anyhow::anyhow!("reading {path}: {e}; nothing was imported");
    let too_large = |bytes: u64| anyhow::anyhow!("{path}: {}; nothing was imported", GeoError::TooLarge { bytes, max });
    let mut f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    if size > max {
        return Err(too_large(size));
    }
    let mut out = Vec::with_capacity(size as usize);
    let mut buf = vec![0u8; 4 << 20];
    let mut last = 0;
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        if out.len() as u64 > max {
            return Err(too_large(out.len() as u64));
        }
        let pct = out.len() as u64 * 100 / size.max(1);
        if size > 8 << 20 && pct >= last + 10 {
            last = pct;
            eprintln!("reading {path}: {pct}%");
        }
    }
    Ok(out)
}

pub async fn import(app: &App, cmd: ImportCommand) -> Result<()> {
    let ImportCommand::Geo { file } = cmd;
    let started = std::time::Instant::now();
    let bytes = read_bounded(&file, app.grids().geo_limits().max_bytes)?;
    let result =
        app.grids().import_geo(&bytes, &|phase| eprintln!("{phase} ({:.1} s)", started.elapsed().as_secs_f64())).await;
    match result {
        Ok(r) => {
            println!(
                "imported {} features: {} places created, {} updated, {} streets",
                r.features, r.places_created, r.places_updated, r.streets
            );
            Ok(())
        }
        Err(GeoImportError::Geo(GeoError::Invalid(problems))) => {
            let shown: Vec<String> = problems.iter().take(1000).map(|p| format!("  {p}")).collect();
            let more = problems.len().saturating_sub(shown.len());
            bail!(
                "{file}: {} problem(s); nothing was imported:\n{}{}",
                problems.len(),
                shown.join("\n"),
                if more > 0 { format!("\n  … and {more} more") } else { String::new() }
            )
        }
        Err(e) => bail!("{file}: {e}; nothing was imported"),
    }
}

pub async fn export(app: &App, cmd: ExportCommand) -> Result<()> {
    let ExportCommand::Geo { file } = cmd;
    let fc = app.grids().export_geo().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = fc.to_string();
    match file {
        Some(path) => std::fs::write(&path, text).with_context(|| format!("writing {path}"))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}
