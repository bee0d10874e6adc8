//! The record pattern on the demo district: every case and whistle folds from its events alone
//! to exactly its stored projection, and a row edited behind the log's back is named.

use super::common::{ManualClock, at};
use chuishao_app::App;
use chuishao_domain::record::StreamKind;
use chuishao_store::testing::{TestDb, default_engine};
use std::sync::Arc;

async fn demo() -> (TestDb, App) {
    let db = TestDb::new(default_engine()).await.unwrap();
    let app = App::new(db.store.clone(), Arc::new(ManualClock::at(at("2026-11-29T12:00:00+08:00"))));
    app.ops().seed_demo().await.unwrap();
    (db, app)
}

fn checked(report: &chuishao_app::record::ProjectionReport, kind: StreamKind) -> u64 {
    report.checked.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n).unwrap_or(0)
}

#[tokio::test]
async fn every_demo_stream_folds_from_nothing_to_its_stored_projection() {
    let (db, app) = demo().await;
    let report = app.ops().verify_projections().await.unwrap();
    assert_eq!(report.mismatches, vec![], "every case and whistle rebuilds exactly");
    let cases = db.store.count_cases_by_status().await.unwrap().iter().map(|(_, n)| *n as u64).sum::<u64>();
    assert!(cases > 50, "the demo has cases in every state ({cases})");
    assert_eq!(checked(&report, StreamKind::Case), cases);
    assert_eq!(checked(&report, StreamKind::Whistle), 17);
    db.cleanup().await;
}

#[tokio::test]
async fn a_case_or_whistle_edited_in_its_table_is_named_by_the_rebuild() {
    let (db, app) = demo().await;
    let filter = chuishao_store::CaseFilter {
        scope_paths: vec!["/".into()],
        statuses: vec!["dispatched".into()],
        limit: 1,
        ..Default::default()
    };
    let case_id = db.store.list_cases(&filter).await.unwrap()[0].id;
    db.exec(&format!("update cases set status = 'closed' where id = {case_id}")).await.unwrap();
    let whistle_id: i64 = {
        let admin = app.admin().actor_for("admin").await.unwrap();
        app.whistles().list_whistles(&admin, Some("open")).await.unwrap()[0].id
    };
    db.exec(&format!("update whistles set status = 'closed' where id = {whistle_id}")).await.unwrap();
    let other: i64 = {
        let admin = app.admin().actor_for("admin").await.unwrap();
        let closed = app.whistles().list_whistles(&admin, Some("closed")).await.unwrap();
        closed.iter().map(|w| w.id).find(|id| *id != whistle_id).unwrap()
    };
    db.exec(&format!(
        "update whistles set state = replace(state, '\"status\":\"closed\"', '\"status\":\"open\"') where id = {other}"
    ))
    .await
    .unwrap();

    let report = app.ops().verify_projections().await.unwrap();
    let mut named: Vec<(StreamKind, i64, Vec<String>)> =
        report.mismatches.iter().map(|m| (m.stream, m.id, m.fields.clone())).collect();
    named.sort();
    let mut expected = vec![
        (StreamKind::Case, case_id, vec!["status".to_string()]),
        // The status column edited: the JSON still agrees with the log.
        (StreamKind::Whistle, whistle_id, vec!["status_column".to_string()]),
        // The JSON state edited: the column still agrees with the log.
        (StreamKind::Whistle, other, vec!["status".to_string()]),
    ];
    expected.sort();
    assert_eq!(named, expected);
    db.cleanup().await;
}
