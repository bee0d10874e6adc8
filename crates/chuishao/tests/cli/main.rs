//! The binary as an operator runs it, in one test binary: the CLI's geography and user
//! administration commands, moving, backing up and restoring data, configuration files, and a
//! crash in the middle of a load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod crash;
mod geo;
mod ops;
mod privacy;
mod users;

use std::process::Command;

/// Runs `chuishao ARGS` on `db`: (success, stdout, stderr).
fn chuishao(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chuishao"))
        .args(args)
        .env("CHUISHAO_DATABASE_URL", db)
        .env("CHUISHAO_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}
