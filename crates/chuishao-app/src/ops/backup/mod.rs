//! Backups of a serving deployment and restores into an empty database.
//!
//! A backup is one tar archive (see [`tar`]): the database (`database.sqlite`, a
//! `VACUUM INTO` copy taken while the server runs, or `database.pgdump`, `pg_dump`'s custom
//! format from an exported snapshot), every photo (`photos/…`), and last a manifest
//! (`manifest.json`) with each member's size and SHA-256 and the audit chain's head as of the
//! copy. Because the manifest comes last, a cut file has none and is refused as truncated;
//! a changed byte fails its hash. A restore unpacks and checks everything into a temporary
//! directory before it touches the target, refuses a target that holds data, and ends by
//! verifying the audit chain and comparing its head with the manifest's.

pub mod tar;

use crate::ops::Ops;
use chuishao_store::{ChainHead, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tar::{Member, TarError, TarReader, TarWriter};

const MANIFEST: &str = "manifest.json";
const FORMAT: &str = "chuishao-backup";

/// What went wrong with a backup or a restore. Nothing was changed on the target.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Io(String),
    #[error("the backup is truncated{0}")]
    Truncated(String),
    #[error("the backup is damaged: {0}")]
    Damaged(String),
    #[error("{0}")]
    Tool(String),
    #[error("{0}")]
    Refused(String),
    #[error("the restored audit chain does not verify: {0}")]
    Chain(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        BackupError::Io(e.to_string())
    }
}

impl From<TarError> for BackupError {
    fn from(e: TarError) -> Self {
        match e {
            TarError::Truncated(w) => BackupError::Truncated(w),
            TarError::Damaged(w) => BackupError::Damaged(w),
            TarError::Io(e) => BackupError::Io(e.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, BackupError>;

/// The last member of every backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// `sqlite` or `postgres`.
    pub engine: String,
    pub schema_version: i64,
    pub created_at_ms: i64,
    pub chain_head: ChainHead,
    pub photos: usize,
    pub members: Vec<Member>,
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub bytes: u64,
    pub manifest: Manifest,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub events_verified: i64,
    pub photos_restored: usize,
}

fn tool(program: &str) -> std::process::Command {
    let mut c = std::process::Command::new(program);
    c.stdin(std::process::Stdio::null());
    c
}

/// Runs a client program of PostgreSQL, naming it when it is missing or fails.
fn run_tool(mut cmd: std::process::Command, what: &str) -> Result<()> {
    let out = cmd.output().map_err(|e| {
        BackupError::Tool(format!("{what}: {e} (install postgresql-client of the server's major version or newer)"))
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(BackupError::Tool(format!("{what} failed: {}", err.trim())));
    }
    Ok(())
}

fn photo_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(BackupError::Io(format!("reading the photo directory {}: {e}", dir.display()))),
    };
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().to_string();
        if e.file_type()?.is_file() && name.ends_with(".jpg") && !name.contains('/') {
            out.push((name, e.path()));
        }
    }
    out.sort();
    Ok(out)
}

impl Ops<'_> {
    /// Writes a backup of the database (reached at `database_url`, needed by `pg_dump`) and
    /// the photos in `photo_dir` to `dest`, while the deployment keeps serving. The archive
    /// is written beside `dest` and renamed into place when complete.
    pub async fn backup(&self, dest: &Path, database_url: &str, photo_dir: &Path) -> Result<BackupReport> {
        let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let work = tempfile::Builder::new().prefix(".chuishao-backup").tempdir_in(dir)?;
        let schema_version = self.store.schema_version().await?;
        let (engine, db_name, db_file, head) = match self.store.engine() {
            chuishao_store::Engine::Sqlite => {
                let file = work.path().join("database.sqlite");
                self.store.sqlite_snapshot(&file).await?;
                // The head as of the copy, read from the copy itself.
                let copy = Store::open(&format!("sqlite://{}", file.display())).await?;
                let head = copy.chain_head().await?;
                copy.close().await;
                ("sqlite", "database.sqlite", file, head)
            }
            chuishao_store::Engine::Postgres => {
                let file = work.path().join("database.pgdump");
                let snap = self.store.pg_snapshot().await?;
                let mut cmd = tool("pg_dump");
                cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--snapshot", &snap.id, "--file"])
                    .arg(&file)
                    .arg("--dbname")
                    .arg(database_url);
                tokio::task::spawn_blocking(move || run_tool(cmd, "pg_dump"))
                    .await
                    .map_err(|e| BackupError::Tool(e.to_string()))??;
                let head = snap.head.clone();
                drop(snap);
                ("postgres", "database.pgdump", file, head)
            }
        };
        let photos = photo_files(photo_dir)?;
        let partial = dest.with_extension("partial");
        let created_at_ms = self.now_ms();
        let (dest_owned, partial2) = (dest.to_path_buf(), partial.clone());
        let manifest = tokio::task::spawn_blocking(move || -> Result<(Manifest, u64)> {
            let file = std::fs::File::create(&partial2)?;
            let mut w = TarWriter::new(std::io::BufWriter::new(file), (created_at_ms / 1000).max(0) as u64);
            let mut members = vec![w.append_file(db_name, &db_file)?];
            for (name, path) in &photos {
                members.push(w.append_file(&format!("photos/{name}"), path)?);
            }
            let manifest = Manifest {
                format: FORMAT.into(),
                version: 1,
                engine: engine.into(),
                schema_version,
                created_at_ms,
                chain_head: head,
                photos: photos.len(),
                members,
            };
            let text = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io(e.to_string()))?;
            w.append(MANIFEST, text.len() as u64, &mut text.as_slice())?;
            let out = w.finish()?.into_inner().map_err(|e| BackupError::Io(e.to_string()))?;
            out.sync_all()?;
            let bytes = out.metadata()?.len();
            std::fs::rename(&partial2, &dest_owned)?;
            Ok((manifest, bytes))
        })
        .await
        .map_err(|e| BackupError::Io(e.to_string()))?;
        let (manifest, bytes) = match manifest {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        drop(work);
        Ok(BackupReport { bytes, manifest })
    }
}

/// Unpacks `file` into `dir`, checking every member against the manifest (which must come
/// last). Returns the manifest.
fn unpack(file: &Path, dir: &Path) -> Result<Manifest> {
    let f = std::fs::File::open(file).map_err(|e| BackupError::Io(format!("{}: {e}", file.display())))?;
    let mut r = TarReader::new(std::io::BufReader::new(f));
    let mut seen: Vec<Member> = Vec::new();
    let mut manifest: Option<Manifest> = None;
    std::fs::create_dir_all(dir.join("photos"))?;
    while let Some((name, size)) = r.next_member()? {
        if manifest.is_some() {
            return Err(BackupError::Damaged(format!("{name} follows the manifest")));
        }
        if name == MANIFEST {
            let mut text = Vec::new();
            r.copy_to(&name, size, &mut text)?;
            let m: Manifest = serde_json::from_slice(&text)
                .map_err(|e| BackupError::Damaged(format!("the manifest does not parse: {e}")))?;
            if m.format != FORMAT {
                return Err(BackupError::Damaged(format!("not a Chuishao backup (format {:?})", m.format)));
            }
            manifest = Some(m);
            continue;
        }
        let safe = !name.contains("..")
            && !name.starts_with('/')
            && (name == "database.sqlite"
                || name == "database.pgdump"
                || (name.starts_with("photos/") && name.matches('/').count() == 1));
        if !safe {
            return Err(BackupError::Damaged(format!("unexpected member {name:?}")));
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(&name))?);
        let sha256 = r.copy_to(&name, size, &mut out)?;
        std::io::Write::flush(&mut out)?;
        seen.push(Member { name, bytes: size, sha256 });
    }
    let Some(m) = manifest else {
        return Err(BackupError::Truncated(": it has no manifest (the manifest is the last member)".into()));
    };
    if seen != m.members {
        let bad = m.members.iter().find(|x| !seen.contains(x)).map(|x| x.name.clone()).unwrap_or_default();
        return Err(BackupError::Damaged(format!("{bad} does not match the manifest")));
    }
    Ok(m)
}

/// Restores `file` into the database at `target_url` (which must hold no data; for a
/// PostgreSQL backup, a new database without tables) and its photos into `photo_dir`, then
/// verifies the audit chain and compares its head with the backup's. A SQLite backup
/// restores into either engine.
pub async fn restore(file: &Path, target_url: &str, photo_dir: &Path, now_ms: i64) -> Result<RestoreReport> {
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let work = tempfile::Builder::new().prefix(".chuishao-restore").tempdir_in(dir)?;
    let (file_owned, work_path) = (file.to_path_buf(), work.path().to_path_buf());
    let manifest = tokio::task::spawn_blocking(move || unpack(&file_owned, &work_path))
        .await
        .map_err(|e| BackupError::Io(e.to_string()))??;
    let target = Store::open(target_url).await?;
    match manifest.engine.as_str() {
        "sqlite" => {
            let source = Store::open(&format!("sqlite://{}", work.path().join("database.sqlite").display())).await?;
            source.migrate(now_ms).await?;
            target.migrate(now_ms).await?;
            let copied = source.copy_into(&target, &|_, _| {}).await;
            source.close().await;
            copied?;
        }
        "postgres" => {
            if target.engine() != chuishao_store::Engine::Postgres {
                return Err(BackupError::Refused(
                    "a PostgreSQL backup restores into PostgreSQL (use migrate-data to move engines)".into(),
                ));
            }
            if !target.has_no_tables().await? {
                return Err(BackupError::Refused(
                    "the target database already has tables: restore a PostgreSQL backup into a new database \
                     (createdb NAME), not one `chuishao migrate` has prepared"
                        .into(),
                ));
            }
            let mut cmd = tool("pg_restore");
            cmd.args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                target_url,
            ])
            .arg(work.path().join("database.pgdump"));
            tokio::task::spawn_blocking(move || run_tool(cmd, "pg_restore"))
                .await
                .map_err(|e| BackupError::Tool(e.to_string()))??;
            target.migrate(now_ms).await?;
        }
        other => return Err(BackupError::Damaged(format!("unknown engine {other:?}"))),
    }
    let report = target.verify_chain().await?;
    if let Some((seq, why)) = report.first_break {
        return Err(BackupError::Chain(format!("event {seq}: {why}")));
    }
    let head = target.chain_head().await?;
    target.close().await;
    if head != manifest.chain_head {
        return Err(BackupError::Chain(format!(
            "the restored head is event {} but the backup recorded event {}",
            head.seq, manifest.chain_head.seq
        )));
    }
    let mut photos_restored = 0;
    std::fs::create_dir_all(photo_dir)
        .map_err(|e| BackupError::Io(format!("creating the photo directory {}: {e}", photo_dir.display())))?;
    for m in manifest.members.iter().filter(|m| m.name.starts_with("photos/")) {
        let name = &m.name["photos/".len()..];
        let to = photo_dir.join(name);
        if !to.exists() {
            std::fs::copy(work.path().join(&m.name), &to)?;
            photos_restored += 1;
        }
    }
    Ok(RestoreReport { manifest, events_verified: report.events_checked, photos_restored })
}
