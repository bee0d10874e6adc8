//! The REST API through real HTTP: a server on port 0 over a fresh database (PostgreSQL when
//! `CHUISHAO_TEST_PG_URL` is set, SQLite otherwise), seeded with the demo organisations,
//! catalogue and users — but no demo cases, so every case here is the test's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chuishao_app::{App, SystemClock};
use chuishao_store::testing::{TestDb, default_engine};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

struct TestApp {
    base: String,
    client: reqwest::Client,
    app: App,
    db: Option<TestDb>,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// A token for one of the demo users (admin, dispatcher, department_staff, staff_swj …).
    async fn token(&self, username: &str) -> String {
        self.app.create_token(username, "test").await.unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Files a case in the first grid of 樱花园社区 (Heping) and returns its JSON.
    async fn new_case(&self, token: &str, category: &str) -> Value {
        let (s, body) = self
            .post(
                token,
                "/api/v1/cases",
                json!({"description": "小区东门暴露垃圾", "category_code": category, "grid_code": "110199001001001",
                       "lat": 39.974, "lon": 116.396, "reporter": {"name": "张三", "phone": "13812341234"}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        body
    }

    /// Applies a transition and returns (status, body).
    async fn act(&self, token: &str, case: &Value, action: &str, fields: Value) -> (StatusCode, Value) {
        let mut body = json!({"action": action, "version": case["version"]});
        if let Value::Object(m) = fields {
            for (k, v) in m {
                body[k] = v;
            }
        }
        self.post(token, &format!("/api/v1/cases/{}/transitions", case["id"]), body).await
    }

    /// Applies a transition that must succeed and returns the updated case.
    async fn ok(&self, token: &str, case: &Value, action: &str, fields: Value) -> Value {
        let (s, body) = self.act(token, case, action, fields).await;
        assert_eq!(s, StatusCode::OK, "{action}: {body}");
        body
    }

    async fn stop(self) {
        self.server.abort();
        if let Some(db) = self.db {
            db.cleanup().await;
        }
    }
}

async fn spawn_app() -> TestApp {
    let db = TestDb::new(default_engine()).await.unwrap();
    let app = App::new(db.store.clone(), Arc::new(SystemClock));
    app.import_orgs(&chuishao_app::demo::demo_orgs()).await.unwrap();
    app.import_catalogue(chuishao_app::catalogue::DEMO_CATALOGUE).await.unwrap();
    app.seed_demo_users().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = chuishao_http::router(app.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    TestApp { base: format!("http://{addr}"), client: reqwest::Client::new(), app, db: Some(db), server }
}

#[tokio::test]
async fn a_case_goes_from_receipt_to_closure() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let dept = t.token("staff_cgw").await;
    let case = t.new_case(&integrator, "E0101").await;
    assert_eq!(case["status"], "received");
    assert_eq!(case["version"], 1);
    assert_eq!(case["grid"]["code"], "110199001001001");
    assert_eq!(case["community"]["code"], "110199001001");
    assert_eq!(case["subdistrict"]["code"], "110199001");
    let code = case["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 10);

    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    let case = t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
    assert_eq!(case["handler"]["code"], "CGW");
    let case = t.ok(&dept, &case, "accept", json!({})).await;
    let case = t.ok(&dept, &case, "resolve", json!({"result": "已清运", "evidence": ["photo-1.jpg"]})).await;
    let case = t.ok(&dispatcher, &case, "verify", json!({"passed": true})).await;
    let case = t.ok(&dispatcher, &case, "callback", json!({"solved": true, "satisfaction": "satisfied"})).await;
    let case = t.ok(&dispatcher, &case, "close", json!({})).await;
    assert_eq!(case["status"], "closed");
    assert_eq!(case["version"], 8);
    assert!(case["closed_at"].is_string());

    let (s, events) = t.get(&dispatcher, &format!("/api/v1/cases/{}/events", case["id"])).await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "received",
            "registered",
            "dispatched",
            "accepted",
            "resolved",
            "verification_passed",
            "callback_recorded",
            "closed"
        ]
    );

    // The public view: plain words, the unit's name, nobody's personal data.
    let res = t.client.get(t.url(&format!("/api/v1/public/cases/{code}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(text.contains("区城市管理委员会"), "{text}");
    assert!(!text.contains("张三") && !text.contains("1234"), "reporter leaked: {text}");
    assert!(!text.contains("staff_cgw") && !text.contains("dispatcher"), "staff leaked: {text}");
    let public: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(public["status"], "closed");
    assert_eq!(public["timeline"][0]["text_zh"], "诉求已受理");
    t.stop().await;
}
