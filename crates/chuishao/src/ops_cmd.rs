//! Moving and keeping the data: `chuishao migrate-data` (copy every table into a new, empty
//! database, e.g. SQLite → PostgreSQL), `chuishao backup FILE` (while serving) and
//! `chuishao restore FILE` (into an empty database). Each ends by verifying the audit chain.

use crate::config::{Config, redact_url};
use anyhow::{Context, Result, bail};
use chuishao_store::Store;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct MigrateDataArgs {
    /// The database to copy from (it is migrated to this binary's schema first).
    #[arg(long)]
    from: String,
    /// A new, empty database to copy into (migrated here; refused if it holds any data).
    #[arg(long)]
    to: String,
}

/// `chuishao migrate-data --from URL --to URL`.
pub async fn migrate_data(args: MigrateDataArgs) -> Result<()> {
    if args.from == args.to {
        bail!("--from and --to name the same database");
    }
    let now = crate::now_ms();
    let from = Store::open(&args.from).await.with_context(|| format!("opening {}", redact_url(&args.from)))?;
    let to = Store::open(&args.to).await.with_context(|| format!("opening {}", redact_url(&args.to)))?;
    from.migrate(now).await.context("migrating the source")?;
    // Refuse before migrating a target that already holds something.
    if !to.has_no_tables().await? && to.schema_version().await.unwrap_or(0) > 0 {
        to.ensure_empty().await.map_err(|e| anyhow::anyhow!("{e}; nothing was changed"))?;
    }
    to.migrate(now).await.context("migrating the target")?;
    let started = std::time::Instant::now();
    let report = from
        .copy_into(&to, &|table, rows| eprintln!("  {table}: {rows} rows"))
        .await
        .map_err(|e| anyhow::anyhow!("{e}; nothing was changed on the target"))?;
    println!(
        "copied {} rows in {} tables in {:.1} s (not copied: {})",
        report.total_rows(),
        report.tables.len(),
        started.elapsed().as_secs_f64(),
        chuishao_store::NOT_COPIED.iter().map(|(t, why)| format!("{t} — {why}")).collect::<Vec<_>>().join("; ")
    );
    verify(&to).await?;
    from.close().await;
    to.close().await;
    Ok(())
}

/// Prints `audit verify`'s answer on `store`; an error when the chain is broken.
async fn verify(store: &Store) -> Result<()> {
    let r = store.verify_chain().await?;
    match r.first_break {
        None => {
            println!("audit chain intact: {} events verified", r.events_checked);
            Ok(())
        }
        Some((seq, why)) => bail!("audit chain BROKEN at event {seq}: {why}"),
    }
}

/// `chuishao backup FILE`.
pub async fn backup(cfg: &Config, file: PathBuf) -> Result<()> {
    if file.exists() {
        bail!("{} exists; choose a new file", file.display());
    }
    let app = crate::open_app(cfg).await?;
    let r = app
        .ops()
        .backup(&file, &cfg.database.url, &cfg.server.photo_dir)
        .await
        .map_err(|e| anyhow::anyhow!("backup failed: {e}"))?;
    println!(
        "backup written: {} ({:.1} MB, {} database, schema {}, {} photos, audit head event {})",
        file.display(),
        r.bytes as f64 / 1e6,
        r.manifest.engine,
        r.manifest.schema_version,
        r.manifest.photos,
        r.manifest.chain_head.seq
    );
    Ok(())
}

/// `chuishao restore FILE`.
pub async fn restore(cfg: &Config, file: PathBuf) -> Result<()> {
    let url = &cfg.database.url;
    let r = chuishao_app::ops::backup::restore(&file, url, &cfg.server.photo_dir, crate::now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("restore of {} refused: {e}", file.display()))?;
    println!(
        "restored {} ({} backup of schema {}) into {}: {} photos written to {}",
        file.display(),
        r.manifest.engine,
        r.manifest.schema_version,
        redact_url(url),
        r.photos_restored,
        cfg.server.photo_dir.display()
    );
    println!("audit chain intact: {} events verified (head matches the backup)", r.events_verified);
    Ok(())
}
