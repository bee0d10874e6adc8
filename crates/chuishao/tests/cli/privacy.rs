//! `chuishao privacy …` as an operator runs it: the vault key file made beside a SQLite
//! database on first start (owner-only), a rotation that adds a key and re-seals every
//! reporter, the retention purge's dry run, and a configured key file that is missing.

use super::chuishao;
use std::process::Command;

fn keys_in(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('=').next().unwrap().to_string())
        .collect()
}

#[test]
fn the_vault_key_is_made_rotated_and_the_purge_lists_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    let (ok, _, err) = chuishao(&db, &["demo"]);
    assert!(ok, "{err}");
    let file = dir.path().join("c.db.vault.keys");
    let first = keys_in(&file);
    assert_eq!(first.len(), 1, "made on first start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let (ok, out, err) = chuishao(&db, &["privacy", "rotate-key"]);
    assert!(ok, "{err}");
    let both = keys_in(&file);
    assert_eq!(both.len(), 2);
    assert!(out.contains("re-sealed") && out.contains(&both[1]), "{out}");
    assert!(out.contains(&format!("no row uses {}", first[0])), "{out}");
    let (ok, out, err) = chuishao(&db, &["privacy", "rotate-key", "--reseal-only"]);
    assert!(ok && out.contains("re-sealed 0 reporter rows"), "{out}{err}");
    assert_eq!(keys_in(&file).len(), 2);

    let (ok, out, err) = chuishao(&db, &["privacy", "purge", "--dry-run"]);
    assert!(ok && out.contains("would remove the contact details of 0 cases"), "{out}{err}");

    // A configured key file that is missing stops the start, naming it.
    let out = Command::new(env!("CARGO_BIN_EXE_chuishao"))
        .args(["users", "list"])
        .env("CHUISHAO_DATABASE_URL", &db)
        .env("CHUISHAO_VAULT_KEY_FILE", dir.path().join("gone.keys"))
        .env("CHUISHAO_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("gone.keys"), "{err}");
    let (ok, out, err) = chuishao(&db, &["audit", "verify"]);
    assert!(ok && out.contains("audit chain intact"), "{out}{err}");
}
