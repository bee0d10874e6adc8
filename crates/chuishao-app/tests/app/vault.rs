//! The reporter vault on a real database: contact details sealed at rest under the current
//! key and opened for a dispatcher (masked view, audited reveal); plain rows sealed on the
//! first start with a key; a rotation re-seals every row and a node holding the old file
//! reloads it; a wrong key cannot read; retention removes ended cases' details (dry run
//! first), leaving the cases anonymous and the purge in the audit chain.

use super::common::{ManualClock, district};
use chuishao_app::App;
use chuishao_app::cases::{NewCaseInput, ReporterInput, TransitionInput};
use chuishao_app::vault::{Vault, VaultHolder};
use chuishao_domain::ids::CaseId;
use chuishao_store::testing::{TestDb, default_engine};
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn input(name: &str, phone: &str) -> NewCaseInput {
    NewCaseInput {
        category_code: Some("C0104".into()),
        description: "雨水篦子堵塞".into(),
        grid_code: Some("110199001001001".into()),
        reporter: Some(ReporterInput { name: Some(name.into()), phone: Some(phone.into()) }),
        ..NewCaseInput::default()
    }
}

#[tokio::test]
async fn contact_details_are_sealed_rotated_and_purged() {
    let db = TestDb::new(default_engine()).await.unwrap();
    let now = 1_793_584_800_000; // 2026-11-02 10:00 +08:00
    let clock = Arc::new(ManualClock::at(now));
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("vault.keys");
    std::fs::write(&keys, format!("{}\n", Vault::new_key_line("20261101"))).unwrap();
    let vault = || VaultHolder::from_file(&keys).unwrap();

    // A case filed before the vault existed is stored plain.
    let plain = App::new(db.store.clone(), clock.clone());
    district(&plain).await;
    let integrator = plain.admin().actor_for("integrator").await.unwrap();
    let dispatcher = plain.admin().actor_for("dispatcher").await.unwrap();
    let old = plain.cases().submit_case(&integrator, &input("王五", "13911112222"), None).await.unwrap().case;
    assert_eq!(db.store.reporter_sealed(CaseId(old.id)).await.unwrap().unwrap().key_id, None);

    // The first start with a key seals it; intake seals new rows.
    let app = App::new(db.store.clone(), clock.clone()).with_vault(vault());
    assert_eq!(app.ops().seal_reporters(false).await.unwrap(), 1);
    assert_eq!(app.ops().seal_reporters(false).await.unwrap(), 0, "once");
    let new = app.cases().submit_case(&integrator, &input("赵六", "13833334444"), None).await.unwrap().case;
    let first = Vault::load(&keys).unwrap().current_id().to_string();
    for (id, name, phone) in [(old.id, "王五", "13911112222"), (new.id, "赵六", "13833334444")] {
        let row = db.store.reporter_sealed(CaseId(id)).await.unwrap().unwrap();
        assert_eq!(row.key_id.as_deref(), Some(first.as_str()));
        let stored = format!("{:?}{:?}", row.name, row.phone);
        assert!(!stored.contains(name) && !stored.contains(&phone[3..]), "{stored}");
        let shown = app.cases().reveal_reporter(&dispatcher, CaseId(id)).await.unwrap();
        assert_eq!((shown.name.as_deref(), shown.phone.as_deref()), (Some(name), Some(phone)));
    }
    let masked = app.cases().case_view_by_id(&dispatcher, CaseId(new.id)).await.unwrap().reporter.unwrap();
    assert_eq!(masked.phone.as_deref(), Some("138****4444"));
    assert_eq!(db.store.stream_events("access", new.id).await.unwrap().len(), 1, "the reveal is audited");

    // Rotation: a key appended, every row re-sealed under it. The node still holding the old
    // file reloads it when it meets the new key.
    let text = std::fs::read_to_string(&keys).unwrap();
    std::fs::write(&keys, format!("{text}{}\n", Vault::new_key_line("20261201"))).unwrap();
    let rotating = App::new(db.store.clone(), clock.clone()).with_vault(vault());
    assert_eq!(rotating.ops().seal_reporters(true).await.unwrap(), 2);
    assert_eq!(rotating.ops().seal_reporters(true).await.unwrap(), 0);
    let second = Vault::load(&keys).unwrap().current_id().to_string();
    assert_ne!(second, first);
    assert_eq!(
        db.store.reporter_sealed(CaseId(old.id)).await.unwrap().unwrap().key_id.as_deref(),
        Some(second.as_str())
    );
    assert_eq!(app.cases().reveal_reporter(&dispatcher, CaseId(old.id)).await.unwrap().name.as_deref(), Some("王五"));
    // The old key can then go.
    let last = std::fs::read_to_string(&keys).unwrap().lines().last().unwrap().to_string();
    std::fs::write(&keys, format!("{last}\n")).unwrap();
    let app = App::new(db.store.clone(), clock.clone()).with_vault(vault()).with_contact_retention_days(730);
    assert_eq!(
        app.cases().reveal_reporter(&dispatcher, CaseId(new.id)).await.unwrap().phone.as_deref(),
        Some("13833334444")
    );
    // Another key cannot read the rows: an error, never garbage.
    let stranger = Vault::parse(&Vault::new_key_line("20270101")).unwrap();
    let wrong = App::new(db.store.clone(), clock.clone()).with_vault(VaultHolder::fixed(stranger));
    assert!(wrong.cases().reveal_reporter(&dispatcher, CaseId(new.id)).await.is_err());

    // Retention: the old case is rejected; two years later its details go, the case stays.
    let reject = TransitionInput {
        action: "reject".into(),
        version: old.version,
        reason: Some("不属于受理范围".into()),
        ..TransitionInput::default()
    };
    app.cases().transition(&dispatcher, CaseId(old.id), &reject).await.unwrap();
    assert!(app.ops().purge_contacts(clock.0.load(Ordering::SeqCst), true).await.unwrap().is_empty(), "not yet");
    let later = now + 731 * 24 * 3600 * 1000;
    clock.0.store(later, Ordering::SeqCst);
    let listed = app.ops().purge_contacts(later, true).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.case_id).collect::<Vec<_>>(), [old.id]);
    assert_eq!(listed[0].status, "rejected");
    assert!(db.store.reporter_sealed(CaseId(old.id)).await.unwrap().is_some(), "a dry run removes nothing");
    assert_eq!(app.ops().purge_contacts(later, false).await.unwrap().len(), 1);
    assert!(db.store.reporter_sealed(CaseId(old.id)).await.unwrap().is_none());
    assert!(db.store.reporter_sealed(CaseId(new.id)).await.unwrap().is_some(), "an open case keeps its reporter");
    let case = app.cases().case_view_by_id(&dispatcher, CaseId(old.id)).await.unwrap();
    assert_eq!(case.status, "rejected");
    assert!(case.reporter.is_none());
    let purges = db.store.stream_events("privacy", 0).await.unwrap();
    assert_eq!(purges.len(), 1);
    assert!(purges[0].payload.contains(&format!("[{}]", old.id)), "{}", purges[0].payload);
    assert!(app.ops().purge_contacts(later, false).await.unwrap().is_empty(), "nothing twice");
    db.cleanup().await;
}
