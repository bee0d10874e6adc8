//! The web layer and the CLI call the application's use cases only: neither reaches into the
//! `App`'s store. (`App::store` is private, so such code does not compile today; this test
//! names the line if a field or a re-export ever opens the door again.)

use std::path::{Path, PathBuf};

/// Lines of `text` that read a `store` field (`x.store.y`, `x.store;`), not an atomic's
/// `store(…)` method.
fn store_field_uses(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find(".store") {
            let after = rest[i + ".store".len()..].chars().next();
            if !matches!(after, Some(c) if c == '(' || c == '_' || c.is_alphanumeric()) {
                out.push((n + 1, line.trim().to_string()));
                break;
            }
            rest = &rest[i + ".store".len()..];
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_scan_finds_a_store_field_and_not_an_atomic_store() {
    assert_eq!(store_field_uses("let x = s.app.store.ping().await;").len(), 1);
    assert_eq!(store_field_uses("let store = app.store;").len(), 1);
    assert!(store_field_uses("stop.store(true, Ordering::Relaxed); t.stored_at").is_empty());
    assert!(store_field_uses("// the app.store is private").is_empty());
}

#[test]
fn web_and_cli_sources_never_touch_the_apps_store() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    rust_files(&crates.join("chuishao-http/src"), &mut files);
    rust_files(&crates.join("chuishao/src"), &mut files);
    assert!(files.len() > 40, "the scan sees the sources ({} files)", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (line, code) in store_field_uses(&text) {
            found.push(format!("{}:{line}: {code}", file.display()));
        }
        if file.starts_with(crates.join("chuishao-http")) && text.contains("chuishao_store") {
            found.push(format!("{}: names chuishao_store", file.display()));
        }
    }
    assert!(found.is_empty(), "web and CLI call use cases, not the store:\n{}", found.join("\n"));
}
