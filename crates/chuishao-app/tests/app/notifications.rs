//! Notifications against a real local HTTP receiver: signed webhooks, robot formats, retries
//! after 500s and a timeout, the dead-letter state and an admin's retry. Time is the test's
//! clock; only the receiver's deliberately slow answer takes real time (the client's timeout).

use super::common::{ManualClock, dispatched_case, district};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chuishao_app::App;
use chuishao_app::notifications::{SubscriptionInput, sign_hex};
use chuishao_store::testing::{TestDb, default_engine};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver got: (path, headers, body).
#[derive(Default)]
struct Received {
    requests: Mutex<Vec<(String, HeaderMap, String)>>,
    flaky_calls: AtomicUsize,
}

async fn receive(
    State(r): State<Arc<Received>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    r.requests.lock().unwrap().push((path.clone(), headers, body));
    match path.as_str() {
        "flaky" if r.flaky_calls.fetch_add(1, Ordering::SeqCst) < 2 => {
            (StatusCode::INTERNAL_SERVER_ERROR, "oops".into())
        }
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::OK, String::new())
        }
        "robot" => (StatusCode::OK, r#"{"errcode":0,"errmsg":"ok"}"#.into()),
        "garbage" => (StatusCode::OK, "<html>not a robot</html>".into()),
        _ => (StatusCode::OK, String::new()),
    }
}

async fn receiver() -> (String, Arc<Received>) {
    let state = Arc::new(Received::default());
    let router = Router::new().route("/{path}", post(receive)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}"), state)
}

fn sub(name: &str, channel: &str, url: String) -> SubscriptionInput {
    SubscriptionInput {
        name: name.into(),
        channel: channel.into(),
        url,
        secret: None,
        event_kinds: vec!["dispatched".into()],
        org_code: None,
        format: None,
    }
}

#[tokio::test]
async fn deliveries_are_signed_retried_and_dead_lettered() {
    let db = TestDb::new(default_engine()).await.unwrap();
    let clock = Arc::new(ManualClock::at(1_793_584_800_000)); // 2026-11-02 10:00 +08:00
    let app = App::new(db.store.clone(), clock.clone());
    district(&app).await;
    app.set_delivery_timeout(Duration::from_millis(300));
    let admin = app.admin().actor_for("admin").await.unwrap();
    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let (base, got) = receiver().await;

    // Subscriptions: refused input first, then one of each kind.
    let bad = SubscriptionInput { channel: "fax".into(), url: "ftp://x".into(), ..sub("", "fax", String::new()) };
    let err = app.ops().create_subscription(&admin, &bad).await.unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    assert_eq!(
        app.ops()
            .create_subscription(&dispatcher, &sub("x", "webhook", format!("{base}/ok")))
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    let signed = SubscriptionInput { secret: Some("s3cret".into()), ..sub("signed", "webhook", format!("{base}/ok")) };
    app.ops().create_subscription(&admin, &signed).await.unwrap();
    app.ops().create_subscription(&admin, &sub("flaky", "webhook", format!("{base}/flaky"))).await.unwrap();
    app.ops().create_subscription(&admin, &sub("slow", "webhook", format!("{base}/slow"))).await.unwrap();
    let md = SubscriptionInput { format: Some("markdown".into()), ..sub("wecom", "wecom", format!("{base}/robot")) };
    app.ops().create_subscription(&admin, &md).await.unwrap();
    app.ops().create_subscription(&admin, &sub("garbage", "dingtalk", format!("{base}/garbage"))).await.unwrap();
    let elsewhere =
        SubscriptionInput { org_code: Some("110199002".into()), ..sub("donghu", "webhook", format!("{base}/ok")) };
    app.ops().create_subscription(&admin, &elsewhere).await.unwrap();
    assert_eq!(app.ops().list_subscriptions(&admin).await.unwrap().len(), 6);

    // A case in Heping is dispatched: five subscriptions want that (not the Donghu one).
    let case = dispatched_case(&app).await;
    assert_eq!(app.ops().list_deliveries(&admin, Some("pending"), None).await.unwrap().len(), 5);

    let r = app.ops().deliver_due(app.now_ms()).await.unwrap();
    assert_eq!((r.delivered, r.failed), (2, 3), "ok and robot delivered; flaky 500, slow timeout, garbage failed");
    {
        let requests = got.requests.lock().unwrap();
        let (_, headers, body) =
            requests.iter().find(|(p, h, _)| p == "ok" && h.contains_key("x-chuishao-signature")).unwrap();
        let want = format!("sha256={}", sign_hex("s3cret", body.as_bytes()));
        assert_eq!(headers["x-chuishao-signature"].to_str().unwrap(), want);
        assert_eq!(headers["x-chuishao-event"].to_str().unwrap(), "dispatched");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!((json["kind"].as_str(), json["case_id"].as_i64()), (Some("dispatched"), Some(case.id)));
        let (_, _, robot) = requests.iter().find(|(p, _, _)| p == "robot").unwrap();
        let robot: serde_json::Value = serde_json::from_str(robot).unwrap();
        assert_eq!(robot["msgtype"], "markdown");
    }
    let failed = app.ops().list_deliveries(&admin, Some("pending"), None).await.unwrap();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().any(|d| d.last_status == Some(500)));
    assert!(failed.iter().any(|d| d.last_error.as_deref() == Some("timed out")));
    assert!(failed.iter().any(|d| d.last_error.as_deref().is_some_and(|e| e.contains("not JSON"))));

    // Nothing is due again before the backoff has passed.
    assert_eq!(app.ops().deliver_due(app.now_ms() + 5_000).await.unwrap(), Default::default());
    // Backoff 10 s, 20 s, 40 s…: the flaky endpoint answers 200 on its third call.
    let mut now = app.now_ms();
    let mut delivered = 2;
    for attempt in 1..chuishao_domain::notifications::MAX_ATTEMPTS {
        now += chuishao_domain::notifications::backoff_ms(attempt);
        delivered += app.ops().deliver_due(now).await.unwrap().delivered;
    }
    assert_eq!(delivered, 3, "flaky delivered after two 500s");
    let dead = app.ops().list_deliveries(&admin, Some("dead"), None).await.unwrap();
    assert_eq!(
        dead.len(),
        2,
        "slow and garbage dead-lettered after {} attempts",
        chuishao_domain::notifications::MAX_ATTEMPTS
    );
    assert!(dead.iter().all(|d| d.attempts == i64::from(chuishao_domain::notifications::MAX_ATTEMPTS)));
    assert_eq!(
        app.ops().deliver_due(now + 10_000_000).await.unwrap(),
        Default::default(),
        "dead letters are not retried"
    );

    // An admin retries a dead letter: it is pending again, due now, with fresh attempts.
    assert_eq!(app.ops().retry_delivery(&dispatcher, dead[0].id).await.unwrap_err().code(), "forbidden");
    app.ops().retry_delivery(&admin, dead[0].id).await.unwrap();
    let delivered_id = app.ops().list_deliveries(&admin, Some("delivered"), None).await.unwrap()[0].id;
    assert_eq!(app.ops().retry_delivery(&admin, delivered_id).await.unwrap_err().code(), "not_found");
    let pending = app.ops().list_deliveries(&admin, Some("pending"), None).await.unwrap();
    assert_eq!((pending.len(), pending[0].attempts), (1, 0));
    assert_eq!(app.ops().list_deliveries(&admin, Some("lost"), None).await.unwrap_err().code(), "validation_failed");
    db.cleanup().await;
}

#[tokio::test]
async fn new_cases_are_announced_from_the_same_transaction() {
    let db = TestDb::new(default_engine()).await.unwrap();
    let clock = Arc::new(ManualClock::at(1_793_584_800_000)); // 2026-11-02 10:00 +08:00
    let app = App::new(db.store.clone(), clock.clone());
    district(&app).await;
    let admin = app.admin().actor_for("admin").await.unwrap();
    let (base, got) = receiver().await;
    let mut s = sub("新诉求", "webhook", format!("{base}/hook"));
    s.event_kinds = vec!["received".into()];
    app.ops().create_subscription(&admin, &s).await.unwrap();
    // Two cases: one in the subscription's scope of interest (all), then a dispatch that the
    // subscription does not want.
    let case = dispatched_case(&app).await;
    let pending = app.ops().list_deliveries(&admin, Some("pending"), None).await.unwrap();
    assert_eq!(pending.len(), 1, "one outbox row for the received event, none for registered/dispatched");
    assert_eq!(app.ops().deliver_due(app.now_ms()).await.unwrap().delivered, 1);
    let requests = got.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&requests[0].2).unwrap();
    assert_eq!(body["kind"], "received", "{body}");
    assert_eq!(body["case_id"], case.id, "{body}");
    db.cleanup().await;
}
