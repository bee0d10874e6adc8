//! Conformance checks for the residents' channel storage: the public listing, attributes and
//! media, the event feeds, and the cross-node wake-up (PostgreSQL `LISTEN`).

use super::*;

pub(crate) async fn residents_listing_extras_and_feeds(db: &TestDb) {
    let t = tree(db).await;
    let mut tx = db.store.begin().await.unwrap();
    let u = tx.insert_user("integrator", "系统", 1).await.unwrap();
    tx.commit().await.unwrap();
    let p = &t[3].path;
    let mut a = record("AAAAAAAAA1", p, None, u.0);
    a.row.created_at = 1_000;
    let mut b = record("AAAAAAAAA2", p, None, u.0);
    b.row.created_at = 2_000;
    b.row.category_code = None;
    let ids = db.store.insert_intake_batch(&[a, b]).await.unwrap();
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_case_extras(ids[0].0, &[("HAZARD".into(), "yes".into())], &["https://e.org/1.jpg".into()], 5)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.store.case_attributes(ids[0].0).await.unwrap(), [("HAZARD".to_string(), "yes".to_string())]);
    assert_eq!(db.store.case_media_urls(ids[0].0).await.unwrap(), ["https://e.org/1.jpg"]);
    assert!(db.store.case_media_urls(ids[1].0).await.unwrap().is_empty());

    let codes = |rows: Vec<chuishao_store::CaseRow>| rows.into_iter().map(|r| r.tracking_code).collect::<Vec<_>>();
    let all = chuishao_store::PublicCaseFilter { limit: 10, ..Default::default() };
    assert_eq!(codes(db.store.public_cases(&all).await.unwrap()), ["AAAAAAAAA2", "AAAAAAAAA1"]);
    let window = chuishao_store::PublicCaseFilter { created_from: Some(1_500), ..all.clone() };
    assert_eq!(codes(db.store.public_cases(&window).await.unwrap()), ["AAAAAAAAA2"]);
    let by_code = chuishao_store::PublicCaseFilter {
        tracking_codes: vec!["AAAAAAAAA1".into()],
        created_from: Some(1_500),
        ..all.clone()
    };
    assert_eq!(codes(db.store.public_cases(&by_code).await.unwrap()), ["AAAAAAAAA1"], "ids override other filters");
    let paged = chuishao_store::PublicCaseFilter { limit: 1, offset: 1, ..all.clone() };
    assert_eq!(codes(db.store.public_cases(&paged).await.unwrap()), ["AAAAAAAAA1"]);
    let closed = chuishao_store::PublicCaseFilter { statuses: vec!["closed".into()], ..all };
    assert!(db.store.public_cases(&closed).await.unwrap().is_empty());

    // Feeds: by time for Open311 updates, by sequence for live tracking.
    let between = db.store.public_events_between(&["case"], 0, 1_500, 10).await.unwrap();
    assert_eq!(between.iter().map(|e| e.tracking_code.as_str()).collect::<Vec<_>>(), ["AAAAAAAAA1"]);
    let max = db.store.max_event_seq().await.unwrap();
    let after = db.store.case_events_after(0, 10).await.unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[1].seq, max);
    assert!(db.store.case_events_after(max, 10).await.unwrap().is_empty());
}

pub(crate) async fn a_commit_on_one_store_wakes_listeners_of_another(db: &TestDb) {
    let other = chuishao_store::Store::open(&db.url).await.unwrap();
    let Some(mut listener) = other.event_listener().await.unwrap() else {
        assert_eq!(db.store.engine(), Engine::Sqlite, "only SQLite goes without a listener");
        return;
    };
    let mut tx = db.store.begin().await.unwrap();
    tx.append_events(&[NewEvent {
        stream: "case",
        stream_id: 1,
        stream_version: 1,
        kind: "probe",
        payload: "{}".into(),
        actor_id: None,
        created_at: 1,
    }])
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // Guarded so a missing notification fails instead of hanging.
    tokio::time::timeout(std::time::Duration::from_secs(30), listener.wait()).await.unwrap().unwrap();
    drop(listener);
    other.close().await;
}
