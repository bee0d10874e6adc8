//! `chuishao privacy`: the reporter vault's key rotation and the retention purge.

use crate::config::Config;
use anyhow::{Context, Result, bail};
use chuishao_app::vault::{Vault, VaultHolder};
use clap::Subcommand;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum PrivacyCommand {
    /// Add a fresh key to the vault key file (created if missing) and re-seal every reporter
    /// row with it. Older keys may be removed from the file afterwards.
    RotateKey {
        /// Add no key: re-seal rows still under older keys (e.g. written by a node that had
        /// not reloaded the file yet).
        #[arg(long)]
        reseal_only: bool,
    },
    /// Remove the reporters' contact details of cases that ended more than
    /// `privacy.contact_retention_days` ago; the cases stay, anonymous.
    Purge {
        /// Only list what would go.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The key file in effect: `privacy.vault_key_file`, else one beside a SQLite database file
/// (`FILE.vault.keys`, made on first start). `create`: whether it may be made when missing.
pub fn key_file(cfg: &Config) -> Option<(PathBuf, bool)> {
    if !cfg.privacy.vault_key_file.is_empty() {
        return Some((PathBuf::from(&cfg.privacy.vault_key_file), false));
    }
    let url = &cfg.database.url;
    let file = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let file = file.split('?').next().unwrap_or("");
    if file.is_empty() || file.contains(":memory:") || file == "memory" {
        return None;
    }
    Some((PathBuf::from(format!("{file}.vault.keys")), true))
}

/// Appends a fresh key to `path`, creating it (readable by its owner only) if missing.
fn add_key(path: &Path) -> Result<String> {
    let today: String =
        chuishao_app::time::rfc3339(crate::now_ms()).chars().take(10).filter(char::is_ascii_digit).collect();
    let line = Vault::new_key_line(&today);
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let existed = path.exists();
    let mut f = opts.open(path).with_context(|| format!("opening {}", path.display()))?;
    if !existed {
        writeln!(
            f,
            "# Chuishao reporter vault keys: ID=KEY, the last one seals. Keep outside the database and its backups."
        )?;
    }
    writeln!(f, "{line}")?;
    f.sync_all()?;
    Ok(line.split('=').next().unwrap_or("").to_string())
}

/// The vault for `open_app`: loaded from the key file, made on a SQLite deployment's first
/// start; none (contact details stay plain) when there is no file to use.
pub fn load_vault(cfg: &Config) -> Result<Option<VaultHolder>> {
    let Some((path, create)) = key_file(cfg) else { return Ok(None) };
    if !path.exists() {
        if !create {
            bail!(
                "privacy.vault_key_file {} does not exist (create it with `chuishao privacy rotate-key`)",
                path.display()
            );
        }
        let id = add_key(&path)?;
        tracing::info!(file = %path.display(), key = %id, "reporter vault key file created");
    }
    Ok(Some(VaultHolder::from_file(&path).map_err(|e| anyhow::anyhow!("{e}"))?))
}

pub async fn run(cfg: &Config, command: PrivacyCommand) -> Result<()> {
    match command {
        PrivacyCommand::RotateKey { reseal_only } => {
            let Some((path, _)) = key_file(cfg) else {
                bail!("no key file: set privacy.vault_key_file (or CHUISHAO_VAULT_KEY_FILE)");
            };
            if !reseal_only {
                let id = add_key(&path)?;
                println!("added key {id} to {}", path.display());
            }
            let app = crate::open_app(cfg).await?;
            let n = app.ops().seal_reporters(true).await?;
            let vault = Vault::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("re-sealed {n} reporter rows under key {}", vault.current_id());
            let old: Vec<&str> = vault.key_ids().into_iter().filter(|k| *k != vault.current_id()).collect();
            if !old.is_empty() {
                println!(
                    "no row uses {} any more: remove them from {} once every node has restarted or reloaded",
                    old.join(", "),
                    path.display()
                );
            }
        }
        PrivacyCommand::Purge { dry_run } => {
            let app = crate::open_app(cfg).await?;
            if app.ops().contact_retention_days() == 0 {
                println!("privacy.contact_retention_days is 0: contact details are kept for ever");
                return Ok(());
            }
            let items = app.ops().purge_contacts(crate::now_ms(), dry_run).await?;
            for p in &items {
                println!("{}\t{}\t{}", p.tracking_code, p.status, chuishao_app::time::rfc3339(p.ended_at));
            }
            let verb = if dry_run { "would remove" } else { "removed" };
            println!("{verb} the contact details of {} cases", items.len());
        }
    }
    Ok(())
}
