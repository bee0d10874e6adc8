//! The reporter vault's encryption: reporters' names and phones are stored as
//! XChaCha20-Poly1305 ciphertext under a key kept outside the database (a key file), each row
//! naming the key that sealed it (`reporters.key_id`), so keys can be rotated.
//!
//! Key file: one key per line, `ID=64 hex digits` (32 bytes); `#` starts a comment. The last
//! key seals new rows; every key listed opens rows sealed with it. `chuishao privacy
//! rotate-key` appends a fresh key and re-seals every row with it; older keys may then be
//! removed from the file.
//!
//! A sealed value is `v1:` followed by base64 of the 24-byte random nonce and the ciphertext;
//! the associated data is the field's name, so a name cannot be passed off as a phone.

use crate::ops::Ops;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::collections::BTreeMap;
use std::path::Path;

const PREFIX: &str = "v1:";

/// Why the vault cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("key file {0}")]
    KeyFile(String),
    #[error("no key {0:?} in the key file: it sealed rows that are still stored")]
    UnknownKey(String),
    #[error("a sealed value does not open (wrong key or altered data)")]
    Corrupt,
}

/// The keys of a key file.
#[derive(Clone)]
pub struct Vault {
    /// (id, cipher) in file order; the last one seals.
    keys: Vec<(String, XChaCha20Poly1305)>,
    by_id: BTreeMap<String, usize>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").field("key_ids", &self.key_ids()).finish()
    }
}

/// A key id is short ASCII: letters, digits, `-`, `_`.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Vault {
    /// Parses a key file's text.
    pub fn parse(text: &str) -> Result<Vault, VaultError> {
        let mut keys = Vec::new();
        let mut by_id = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |m: &str| VaultError::KeyFile(format!("line {}: {m}", n + 1));
            let (id, hex_key) = line.split_once('=').ok_or_else(|| bad("write ID=64 hex digits"))?;
            let (id, hex_key) = (id.trim(), hex_key.trim());
            if !valid_id(id) {
                return Err(bad("the id must be 1–32 letters, digits, - or _"));
            }
            let bytes = hex::decode(hex_key).map_err(|_| bad("the key must be 64 hex digits"))?;
            if bytes.len() != 32 {
                return Err(bad("the key must be 64 hex digits (32 bytes)"));
            }
            if by_id.insert(id.to_string(), keys.len()).is_some() {
                return Err(bad("this id is listed twice"));
            }
            keys.push((id.to_string(), XChaCha20Poly1305::new(Key::from_slice(&bytes))));
        }
        if keys.is_empty() {
            return Err(VaultError::KeyFile("holds no key".into()));
        }
        Ok(Vault { keys, by_id })
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<Vault, VaultError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| VaultError::KeyFile(format!("{}: {e}", path.display())))?;
        Vault::parse(&text).map_err(|e| match e {
            VaultError::KeyFile(m) => VaultError::KeyFile(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// A fresh key line (`ID=HEX`), its id made from `today` (`YYYYMMDD`) and random bits.
    pub fn new_key_line(today: &str) -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let mut tag = [0u8; 3];
        rand::rng().fill_bytes(&mut tag);
        format!("k{today}-{}={}", hex::encode(tag), hex::encode(key))
    }

    /// The id of the key that seals new values.
    pub fn current_id(&self) -> &str {
        self.keys.last().map(|(id, _)| id.as_str()).unwrap_or("")
    }

    /// Every key id, in file order.
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }

    /// Seals `plain` under the current key; `field` is bound as associated data.
    pub fn seal(&self, field: &str, plain: &str) -> String {
        let Some((_, cipher)) = self.keys.last() else { return String::new() };
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce cannot fail for inputs this small.
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: field.as_bytes() })
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
    }

    /// Opens a value sealed under `key_id`.
    pub fn open(&self, key_id: &str, field: &str, sealed: &str) -> Result<String, VaultError> {
        let i = *self.by_id.get(key_id).ok_or_else(|| VaultError::UnknownKey(key_id.to_string()))?;
        let body = sealed.strip_prefix(PREFIX).ok_or(VaultError::Corrupt)?;
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(body).map_err(|_| VaultError::Corrupt)?;
        if bytes.len() < 24 + 16 {
            return Err(VaultError::Corrupt);
        }
        let (nonce, ct) = bytes.split_at(24);
        let plain = self.keys[i]
            .1
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: field.as_bytes() })
            .map_err(|_| VaultError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| VaultError::Corrupt)
    }
}

/// The vault as the application holds it: the key file's path (to reload it when a row names
/// a key this node has not loaded yet, e.g. after `rotate-key` on another node) and the keys.
#[derive(Debug, Default)]
pub struct VaultHolder {
    path: Option<std::path::PathBuf>,
    keys: std::sync::RwLock<Option<std::sync::Arc<Vault>>>,
}

impl VaultHolder {
    /// Keys from a file, reloaded from it when needed.
    pub fn from_file(path: &Path) -> Result<VaultHolder, VaultError> {
        let vault = Vault::load(path)?;
        Ok(VaultHolder {
            path: Some(path.to_path_buf()),
            keys: std::sync::RwLock::new(Some(std::sync::Arc::new(vault))),
        })
    }

    /// Fixed keys (tests).
    pub fn fixed(vault: Vault) -> VaultHolder {
        VaultHolder { path: None, keys: std::sync::RwLock::new(Some(std::sync::Arc::new(vault))) }
    }

    /// The keys loaded now, if any.
    pub fn get(&self) -> Option<std::sync::Arc<Vault>> {
        self.keys.read().ok().and_then(|k| k.clone())
    }

    /// Reads the key file again (after a rotation elsewhere). False when there is no file.
    pub fn reload(&self) -> Result<bool, VaultError> {
        let Some(path) = &self.path else { return Ok(false) };
        let vault = Vault::load(path)?;
        if let Ok(mut k) = self.keys.write() {
            *k = Some(std::sync::Arc::new(vault));
        }
        Ok(true)
    }
}

/// One reporter whose contact details the retention rule removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeItem {
    pub case_id: i64,
    pub tracking_code: String,
    pub status: String,
    pub ended_at: i64,
}

/// Rows sealed per transaction when sealing or rotating.
const SEAL_BATCH: i64 = 500;
/// The event stream of retention purges.
pub const PRIVACY_STREAM: &str = "privacy";
/// The default retention of closed cases' contact details: two years.
pub const DEFAULT_RETENTION_DAYS: u32 = 730;

fn vault_failure(e: VaultError) -> crate::AppError {
    crate::AppError::Internal(format!("reporter vault: {e}"))
}

impl Ops<'_> {
    /// The retention of closed cases' contact details, in days (0: for ever).
    pub fn contact_retention_days(&self) -> u32 {
        self.retention_days
    }

    /// Name and phone as they are to be stored, and the key that sealed them.
    pub(crate) fn seal_contact(
        &self,
        name: Option<String>,
        phone: Option<String>,
    ) -> (Option<String>, Option<String>, Option<String>) {
        match self.vault.get() {
            Some(v) if name.is_some() || phone.is_some() => {
                (name.map(|n| v.seal("name", &n)), phone.map(|p| v.seal("phone", &p)), Some(v.current_id().to_string()))
            }
            _ => (name, phone, None),
        }
    }

    /// A stored reporter row opened: (name, phone).
    async fn open_row(&self, row: chuishao_store::ReporterRow) -> crate::Result<(Option<String>, Option<String>)> {
        let Some(key) = row.key_id.as_deref() else { return Ok((row.name, row.phone)) };
        let open = |v: &Vault| -> Result<(Option<String>, Option<String>), VaultError> {
            let name = row.name.as_deref().map(|n| v.open(key, "name", n)).transpose()?;
            let phone = row.phone.as_deref().map(|p| v.open(key, "phone", p)).transpose()?;
            Ok((name, phone))
        };
        let vault = self.vault.get().ok_or_else(|| vault_failure(VaultError::UnknownKey(key.to_string())))?;
        match open(&vault) {
            // A key this node has not loaded: the file may have gained it since.
            Err(VaultError::UnknownKey(_)) if self.vault.reload().map_err(vault_failure)? => {
                let vault = self.vault.get().ok_or_else(|| vault_failure(VaultError::UnknownKey(key.to_string())))?;
                open(&vault).map_err(vault_failure)
            }
            other => other.map_err(vault_failure),
        }
    }

    /// The reporter's name and phone, opened (unmasked: callers mask and audit).
    pub(crate) async fn reporter_contact(
        &self,
        id: chuishao_domain::ids::CaseId,
    ) -> crate::Result<Option<(Option<String>, Option<String>)>> {
        match self.store.reporter_sealed(id).await? {
            Some(row) => Ok(Some(self.open_row(row).await?)),
            None => Ok(None),
        }
    }

    /// Seals every plain reporter row with the current key (at start), or with `rotate` every
    /// row not under the current key (`chuishao privacy rotate-key`). Returns how many rows
    /// were sealed. Without keys, nothing happens.
    pub async fn seal_reporters(&self, rotate: bool) -> crate::Result<u64> {
        let Some(vault) = self.vault.get() else { return Ok(0) };
        let current = vault.current_id().to_string();
        let mut after = 0;
        let mut sealed = 0;
        loop {
            let rows = self.store.reporters_to_seal(after, SEAL_BATCH, rotate.then_some(current.as_str())).await?;
            let Some(last) = rows.last() else { break };
            after = last.case_id;
            let mut tx = self.store.begin().await?;
            for row in rows {
                let case_id = row.case_id;
                let (name, phone) = self.open_row(row).await?;
                let (name, phone, key_id) = self.seal_contact(name, phone);
                tx.update_reporter(&chuishao_store::ReporterRow { case_id, name, phone, key_id }).await?;
                sealed += 1;
            }
            tx.commit().await?;
        }
        Ok(sealed)
    }

    /// Removes the contact details of cases that ended (closed, rejected, merged) more than
    /// the retention period before `now`, leaving the cases anonymous; each batch is one
    /// `contacts_purged` event (stream `privacy`) naming the cases. With `dry_run`, only lists
    /// what would go. Nothing when retention is 0.
    pub async fn purge_contacts(&self, now: i64, dry_run: bool) -> crate::Result<Vec<PurgeItem>> {
        if self.retention_days == 0 {
            return Ok(Vec::new());
        }
        let cutoff = now - i64::from(self.retention_days) * 24 * 3600 * 1000;
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let rows = self.store.reporters_ended_before(cutoff, after, SEAL_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            let batch: Vec<PurgeItem> = rows
                .into_iter()
                .map(|(case_id, tracking_code, status, ended_at)| PurgeItem {
                    case_id,
                    tracking_code,
                    status,
                    ended_at,
                })
                .collect();
            if !dry_run {
                let ids: Vec<i64> = batch.iter().map(|p| p.case_id).collect();
                let mut tx = self.store.begin().await?;
                tx.delete_reporters(&ids).await?;
                tx.append_events(&[chuishao_store::NewEvent {
                    stream: PRIVACY_STREAM,
                    stream_id: 0,
                    stream_version: 0,
                    kind: "contacts_purged",
                    payload:
                        serde_json::json!({"case_ids": ids, "cutoff": cutoff, "retention_days": self.retention_days})
                            .to_string(),
                    actor_id: None,
                    created_at: now,
                }])
                .await?;
                tx.commit().await?;
            }
            out.extend(batch);
        }
        Ok(out)
    }
}

impl crate::App {
    /// Seals reporters' contact details with the keys of `holder`.
    pub fn with_vault(mut self, holder: VaultHolder) -> Self {
        self.vault = std::sync::Arc::new(holder);
        self
    }

    /// Keeps closed cases' contact details for `days` (0: for ever).
    pub fn with_contact_retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn two_keys() -> Vault {
        Vault::parse(&format!("# old\n{}\n{}\n", Vault::new_key_line("20260101"), Vault::new_key_line("20261201")))
            .unwrap()
    }

    #[test]
    fn values_round_trip_under_every_listed_key() {
        let v = two_keys();
        let ids: Vec<String> = v.key_ids().iter().map(|s| s.to_string()).collect();
        assert_eq!(v.current_id(), ids[1]);
        let sealed = v.seal("phone", "13800138000");
        assert!(sealed.starts_with("v1:") && !sealed.contains("13800138000"));
        assert_eq!(v.open(&ids[1], "phone", &sealed).unwrap(), "13800138000");
        assert_ne!(v.seal("phone", "13800138000"), sealed, "a fresh nonce each time");
        // The wrong key, the wrong field or an altered byte do not open.
        assert_eq!(v.open(&ids[0], "phone", &sealed), Err(VaultError::Corrupt));
        assert_eq!(v.open(&ids[1], "name", &sealed), Err(VaultError::Corrupt));
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(v.open(&ids[1], "phone", &String::from_utf8(altered).unwrap()).is_err());
        assert!(matches!(v.open("gone", "phone", &sealed), Err(VaultError::UnknownKey(_))));
    }

    #[test]
    fn bad_key_files_are_refused_with_the_line() {
        for (text, needle) in [
            ("", "no key"),
            ("k1=abcd", "line 1"),
            ("k 1=00", "line 1"),
            (&format!("a={}\na={}", "00".repeat(32), "11".repeat(32)), "line 2"),
            ("nokey", "line 1"),
        ] {
            let e = Vault::parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_text_round_trips_and_garbage_never_panics(plain in ".{0,64}", garbage in ".{0,80}") {
            let v = two_keys();
            let id = v.current_id().to_string();
            prop_assert_eq!(v.open(&id, "name", &v.seal("name", &plain)).unwrap(), plain);
            let _ = v.open(&id, "name", &garbage);
            let _ = v.open(&id, "name", &format!("v1:{garbage}"));
        }
    }
}
