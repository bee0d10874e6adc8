//! Conformance checks for the staff console's storage: sessions and the login throttle.

use super::*;
use chuishao_store::ThrottleRow;

pub(crate) async fn staff_sessions_expire_and_revoke(db: &TestDb) {
    let mut tx = db.store.begin().await.unwrap();
    let u = tx.insert_user("dispatcher", "调度员", 1).await.unwrap();
    let v = tx.insert_user("viewer", "领导", 1).await.unwrap();
    tx.insert_session(u, "h1", 100, 1_000).await.unwrap();
    tx.insert_session(u, "h2", 100, 1_000).await.unwrap();
    tx.insert_session(v, "h3", 100, 1_000).await.unwrap();
    tx.commit().await.unwrap();
    let s = db.store.live_session("h1", 500).await.unwrap().unwrap();
    assert_eq!((s.user_id, s.username.as_str(), s.expires_at), (u.0, "dispatcher", 1_000));
    assert!(db.store.live_session("h1", 1_000).await.unwrap().is_none(), "expired at expires_at");
    assert!(db.store.live_session("nope", 500).await.unwrap().is_none());

    let mut tx = db.store.begin().await.unwrap();
    assert!(tx.revoke_session("h1", 600).await.unwrap());
    assert!(!tx.revoke_session("h1", 601).await.unwrap(), "already revoked");
    tx.commit().await.unwrap();
    assert!(db.store.live_session("h1", 700).await.unwrap().is_none());

    // Revoking a user's sessions keeps the named one and leaves other users alone.
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_session(u, "h4", 100, 1_000).await.unwrap();
    assert_eq!(tx.revoke_user_sessions(u, Some("h4"), 700).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert!(db.store.live_session("h2", 800).await.unwrap().is_none());
    assert!(db.store.live_session("h4", 800).await.unwrap().is_some());
    assert!(db.store.live_session("h3", 800).await.unwrap().is_some());
}

pub(crate) async fn login_throttle_counts_per_name(db: &TestDb) {
    let mut tx = db.store.begin().await.unwrap();
    assert_eq!(tx.login_throttle("ghost").await.unwrap(), ThrottleRow::default());
    tx.set_login_throttle("ghost", ThrottleRow { failures: 1, blocked_until: 0 }, 10).await.unwrap();
    tx.set_login_throttle("ghost", ThrottleRow { failures: 4, blocked_until: 5_000 }, 20).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.store.begin().await.unwrap();
    assert_eq!(tx.login_throttle("ghost").await.unwrap(), ThrottleRow { failures: 4, blocked_until: 5_000 });
    assert_eq!(tx.login_throttle("Ghost").await.unwrap(), ThrottleRow::default(), "names are exact");
    tx.clear_login_throttle("ghost", None).await.unwrap();
    assert_eq!(tx.login_throttle("ghost").await.unwrap(), ThrottleRow::default());
    tx.commit().await.unwrap();
    assert_eq!(db.store.max_event_seq().await.unwrap(), 0);
    assert!(db.store.returned_case_ids(&[]).await.unwrap().is_empty());
}
