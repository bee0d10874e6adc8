//! Operating a deployment from the command line: moving the demo district to another
//! database (`migrate-data`, SQLite → PostgreSQL when `CHUISHAO_TEST_PG_URL` is set, else
//! SQLite → SQLite), backing up and restoring, and checking configuration files. Each
//! refusal is a clear error that changes nothing.

use super::chuishao;
use chuishao_store::testing::{TestDb, default_engine};
use std::process::Command;

/// Rows per table of a database, from a fresh connection.
async fn counts(url: &str) -> Vec<(String, i64)> {
    let store = chuishao_store::Store::open(url).await.unwrap();
    let full = store.nonempty_tables().await.unwrap();
    let out = store
        .table_names()
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            let n = full.iter().find(|(n, _)| *n == t).map_or(0, |(_, n)| *n);
            (t, n)
        })
        .collect();
    store.close().await;
    out
}

#[tokio::test]
async fn the_demo_district_moves_to_another_database_and_a_second_copy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = format!("sqlite://{}", dir.path().join("demo.db").display());
    let (ok, _, err) = chuishao(&src, &["demo"]);
    assert!(ok, "{err}");

    let target = TestDb::unmigrated(default_engine()).await.unwrap();
    let (ok, out, err) = chuishao(&src, &["migrate-data", "--from", &src, "--to", &target.url]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("audit chain intact"), "{out}");

    let before = counts(&src).await;
    let after = counts(&target.url).await;
    let not_copied: Vec<&str> = chuishao_store::NOT_COPIED.iter().map(|(t, _)| *t).collect();
    for (table, n) in &before {
        let m = after.iter().find(|(t, _)| t == table).map(|(_, m)| *m);
        if not_copied.contains(&table.as_str()) {
            if table != "schema_migrations" {
                assert_eq!(m, Some(0), "{table} is not copied");
            }
        } else {
            assert_eq!(m, Some(*n), "{table}: {n} rows on the source");
        }
    }
    assert!(before.iter().any(|(t, n)| t == "events" && *n > 1000), "{before:?}");

    // The copy serves: the dispatcher's password and an API token work on the target.
    let (ok, out, err) = chuishao(&target.url, &["users", "list"]);
    assert!(ok && out.contains("dispatcher"), "{err}");
    let (ok, _, err) = chuishao(&target.url, &["audit", "verify"]);
    assert!(ok, "{err}");

    // Again into the same (no longer empty) database: refused, nothing changed.
    let (ok, _, err) = chuishao(&src, &["migrate-data", "--from", &src, "--to", &target.url]);
    assert!(!ok && err.contains("is not empty"), "{err}");
    assert_eq!(counts(&target.url).await, after);
    target.cleanup().await;
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_database_and_a_truncated_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = format!("sqlite://{}", dir.path().join("demo.db").display());
    assert!(chuishao(&src, &["demo"]).0);
    // A photo in the photo directory travels with the backup.
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::write(photos.join("0123456789abcdef0123456789abcdef.jpg"), b"\xff\xd8 not really a jpeg").unwrap();
    let file = dir.path().join("b.tar");
    let file_s = file.to_str().unwrap();
    let photos_s = photos.to_str().unwrap();
    let backup = |db: &str, to: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_chuishao"))
            .args(["backup", to])
            .env("CHUISHAO_DATABASE_URL", db)
            .env("CHUISHAO_PHOTO_DIR", photos_s)
            .env("CHUISHAO_LOG", "warn")
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    let (ok, out) = backup(&src, file_s);
    assert!(ok && out.contains("1 photos"), "{out}");
    let (ok, out) = backup(&src, file_s);
    assert!(!ok && out.contains("exists"), "a backup never overwrites: {out}");

    let restore = |db: &str, from: &str, photo_dir: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_chuishao"))
            .args(["--database-url", db, "restore", from])
            .env("CHUISHAO_PHOTO_DIR", photo_dir)
            .env("CHUISHAO_LOG", "warn")
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };

    // A cut file: refused before anything is opened.
    let bytes = std::fs::read(&file).unwrap();
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let cut_target = dir.path().join("never.db");
    let (ok, out) =
        restore(&format!("sqlite://{}", cut_target.display()), cut.to_str().unwrap(), &dir.path().join("p0"));
    assert!(!ok && out.contains("truncated"), "{out}");
    assert!(!cut_target.exists(), "nothing created");
    // A changed byte inside the database member: damaged.
    let mut flipped = bytes.clone();
    flipped[512 + 4096] ^= 0x55;
    let bad = dir.path().join("bad.tar");
    std::fs::write(&bad, &flipped).unwrap();
    let (ok, out) =
        restore(&format!("sqlite://{}", cut_target.display()), bad.to_str().unwrap(), &dir.path().join("p0"));
    assert!(!ok && out.contains("damaged"), "{out}");

    let target = TestDb::unmigrated(default_engine()).await.unwrap();
    let restored_photos = dir.path().join("restored-photos");
    let (ok, out) = restore(&target.url, file_s, &restored_photos);
    assert!(ok && out.contains("audit chain intact") && out.contains("head matches"), "{out}");
    assert!(restored_photos.join("0123456789abcdef0123456789abcdef.jpg").exists());
    let (ok, out) = restore(&target.url, file_s, &restored_photos);
    assert!(!ok && out.contains("not empty"), "{out}");

    // A backup of the restored database restores again (on PostgreSQL through pg_dump).
    let second = dir.path().join("second.tar");
    let (ok, out) = backup(&target.url, second.to_str().unwrap());
    assert!(ok, "{out}");
    let again = TestDb::unmigrated(default_engine()).await.unwrap();
    let (ok, out) = restore(&again.url, second.to_str().unwrap(), &restored_photos);
    assert!(ok && out.contains("head matches"), "{out}");
    target.cleanup().await;
    again.cleanup().await;
}

#[test]
fn configuration_files_are_checked_and_the_bad_key_named() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../chuishao.example.toml");
    let (ok, out, err) = chuishao("sqlite://unused.db", &["config", "check", example]);
    assert!(ok && out.contains(": ok"), "{out}{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nlisten = \"127.0.0.1:8080\"\n[limits]\nreport_burst = \"lots\"\n").unwrap();
    let (ok, _, err) = chuishao("sqlite://unused.db", &["config", "check", bad.to_str().unwrap()]);
    assert!(!ok && err.contains("limits.report_burst"), "{err}");
    std::fs::write(&bad, "[server]\nlisten = \"127.0.0.1:8080\"\nworkers = 4\n").unwrap();
    let (ok, _, err) = chuishao("sqlite://unused.db", &["--config", bad.to_str().unwrap(), "migrate"]);
    assert!(!ok && err.contains("server.workers"), "a bad file stops every command: {err}");
}
