//! `chuishao users …` administration as an operator runs it: the same rules as the console
//! (run as a named admin), each change audited, the chain still verifying.

use super::chuishao;

#[test]
fn users_are_administered_from_the_command_line_as_a_named_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    let (ok, _, err) = chuishao(&db, &["demo"]);
    assert!(ok, "{err}");

    // Only admins, and only inside their scope.
    let (ok, _, err) = chuishao(&db, &["users", "reset-password", "grid_worker", "--by", "dispatcher"]);
    assert!(!ok && err.contains("refused: not_admin"), "{err}");
    let (ok, _, err) = chuishao(&db, &["users", "grant", "grid_worker", "viewer@NOPE", "--by", "admin"]);
    assert!(!ok && err.contains("refused: unknown_org"), "{err}");
    let (ok, _, err) = chuishao(&db, &["users", "disable", "admin", "--by", "admin"]);
    assert!(!ok && err.contains("refused: disable_self"), "{err}");

    let (ok, out, err) = chuishao(&db, &["users", "reset-password", "grid_worker", "--by", "admin"]);
    assert!(ok, "{err}");
    let password = out.lines().last().unwrap();
    assert!(chuishao_domain::admin::check_password("grid_worker", password).is_ok(), "{out}");

    let (ok, _, _) = chuishao(&db, &["users", "create-token", "grid_worker", "--label", "phone"]);
    assert!(ok);
    let (ok, out, _) = chuishao(&db, &["users", "tokens", "grid_worker", "--by", "admin"]);
    assert!(ok);
    let id = out.lines().next().unwrap().split('\t').next().unwrap().to_string();
    assert!(out.contains("\tphone\t") && out.trim_end().ends_with("\t-"), "{out}");
    let (ok, out, err) = chuishao(&db, &["users", "revoke-token", "grid_worker", &id, "--by", "admin"]);
    assert!(ok && out.contains("token_revoked"), "{err}");
    let (ok, _, err) = chuishao(&db, &["users", "revoke-token", "grid_worker", &id, "--by", "admin"]);
    assert!(!ok && err.contains("refused: unknown_token"), "{err}");

    for args in [
        ["users", "grant", "grid_worker", "viewer@110199001"],
        ["users", "remove-role", "grid_worker", "viewer@110199001"],
    ] {
        let (ok, _, err) = chuishao(&db, &[&args[..], &["--by", "admin"]].concat());
        assert!(ok, "{args:?}: {err}");
    }
    for cmd in ["disable", "enable", "unlock", "revoke-sessions"] {
        let (ok, _, err) = chuishao(&db, &["users", cmd, "grid_worker", "--by", "admin"]);
        assert!(ok, "{cmd}: {err}");
    }
    let (ok, out, err) = chuishao(&db, &["audit", "verify"]);
    assert!(ok && out.contains("audit chain intact"), "{out}{err}");
}
