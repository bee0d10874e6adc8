//! The harness every HTTP test shares: [`spawn_app_with`] starts the real router on port 0
//! over a fresh database (PostgreSQL when `CHUISHAO_TEST_PG_URL` is set, SQLite otherwise),
//! seeded with the demo organisations, catalogue and users — but no demo cases, so every case
//! is the test's own — and [`TestApp`] talks to it through typed helpers.

pub(crate) use chuishao_app::{App, Clock};
pub(crate) use chuishao_store::testing::{TestDb, default_engine};
pub(crate) use reqwest::header::{CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
pub(crate) use reqwest::{Method, StatusCode};
pub(crate) use serde_json::{Value, json};
pub(crate) use std::collections::BTreeSet;
pub(crate) use std::sync::Arc;
pub(crate) use std::sync::atomic::{AtomicI64, Ordering};

/// The grid every `new_case` lands in: 樱花园第1网格 (Heping / 樱花园社区).
pub(crate) const GRID: &str = "110199001001001";
/// A second grid in the same community.
pub(crate) const GRID_2: &str = "110199001001002";
/// A grid in another Heping community (青年湖社区).
pub(crate) const GRID_OTHER_COMMUNITY: &str = "110199001002001";
/// A grid in Donghu subdistrict.
pub(crate) const GRID_DONGHU: &str = "110199002001001";
/// A grid in Qingshan township (上庄村).
pub(crate) const GRID_QINGSHAN: &str = "110199003001001";

/// The test's clock. It starts on Monday 2 November 2026, 09:00 +08:00 (inside the shipped
/// calendar years, so deadlines can always be computed); a running clock adds real elapsed
/// time (so events written in one test have distinct instants), a frozen one moves only when
/// the test moves it.
pub(crate) struct TestClock {
    pub(crate) offset_ms: AtomicI64,
    started: std::time::Instant,
    running: bool,
}

/// Monday 2 November 2026, 09:00 +08:00.
pub(crate) const MONDAY_9: i64 = 1_793_581_200_000;

impl TestClock {
    fn new(running: bool) -> TestClock {
        TestClock { offset_ms: AtomicI64::new(MONDAY_9), started: std::time::Instant::now(), running }
    }

    /// Moves the clock `hours` forward.
    pub(crate) fn advance_hours(&self, hours: i64) {
        self.offset_ms.fetch_add(hours * 3_600_000, Ordering::SeqCst);
    }

    /// Sets a frozen clock to `at` (milliseconds since the epoch).
    pub(crate) fn set(&self, at: i64) {
        self.offset_ms.store(at, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        let elapsed = if self.running { i64::try_from(self.started.elapsed().as_millis()).unwrap_or(0) } else { 0 };
        elapsed + self.offset_ms.load(Ordering::SeqCst)
    }
}

/// How to start the server.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// The clock stands still until the test moves it (else it runs from Monday 09:00).
    pub(crate) frozen_clock: bool,
    /// Photos go to a temporary folder of the test's own ([`TestApp::photo_dir`]); without it
    /// the server has the default folder, which no test may write to.
    pub(crate) photos: bool,
    /// Cookies without `Secure` (`server.secure_cookies = false`).
    pub(crate) plain_http: bool,
    /// 127.0.0.1 is a trusted proxy: tests pick client addresses with `X-Forwarded-For`.
    pub(crate) behind_proxy: bool,
}

/// A server on port 0 over a fresh database with the demo organisations, catalogue and users.
pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) app: App,
    pub(crate) db: Option<TestDb>,
    /// The test's own handle on the database, to read (or tamper with) what the server wrote;
    /// the server's `App` keeps its store to itself.
    pub(crate) store: chuishao_store::Store,
    server: tokio::task::JoinHandle<()>,
    pub(crate) clock: Arc<TestClock>,
    /// An admin token: the harness's own view of the database, through the API.
    pub(crate) admin: String,
    photos: Option<tempfile::TempDir>,
}

/// A typical intake body for `category` in `grid`, with a reporter.
pub(crate) fn case_body(category: &str, grid: &str) -> Value {
    json!({"description": "小区东门暴露垃圾", "category_code": category, "grid_code": grid,
           "lat": 39.974, "lon": 116.396, "reporter": {"name": "张三", "phone": "13812341234"}})
}

/// `base` with the keys of `patch` set (a JSON merge without deletion).
pub(crate) fn patched(base: &Value, patch: Value) -> Value {
    let mut out = base.clone();
    if let Value::Object(m) = patch {
        for (k, v) in m {
            out[k] = v;
        }
    }
    out
}

/// Asserts an error response: its status and its stable `error.code`, with a message.
#[track_caller]
pub(crate) fn assert_err(res: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(res.0, status, "expected {status} {code}, got {}", res.1);
    assert_eq!(res.1["error"]["code"], code, "{}", res.1);
    assert!(res.1["error"]["message"].is_string(), "error without a message: {}", res.1);
}

/// Asserts a 422 `validation_failed` naming `field` among its details.
#[track_caller]
pub(crate) fn assert_invalid(res: &(StatusCode, Value), field: &str) {
    assert_err(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: Vec<&str> =
        res.1["error"]["details"]["fields"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&field), "expected an error on {field}, got {}", res.1);
}

pub(crate) fn ids(items: &Value) -> Vec<i64> {
    items.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

pub(crate) fn id_of(case: &Value) -> i64 {
    case["id"].as_i64().unwrap()
}

/// An RFC 3339 instant as a query value ('+' would otherwise read as a space).
pub(crate) fn query_time(s: &Value) -> String {
    s.as_str().unwrap().replace('+', "%2B")
}

impl TestApp {
    /// A token for one of the demo users (admin, dispatcher, department_staff, staff_swj …).
    pub(crate) async fn token(&self, username: &str) -> String {
        self.app.admin().create_token(username, "test").await.unwrap()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends a request and returns (status, headers, JSON body or null).
    pub(crate) async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, HeaderMap, Value) {
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A POST with a raw body, an optional token and an optional Content-Type.
    pub(crate) async fn post_raw(
        &self,
        token: Option<&str>,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut req = self.client.post(self.url(path)).body(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            req = req.header(CONTENT_TYPE, ct);
        }
        self.send(req).await
    }

    /// POST /api/v1/cases with an `Idempotency-Key`.
    pub(crate) async fn post_keyed(&self, token: &str, key: &str, body: &Value) -> (StatusCode, HeaderMap, Value) {
        self.send(
            self.client.post(self.url("/api/v1/cases")).bearer_auth(token).header("Idempotency-Key", key).json(body),
        )
        .await
    }

    /// Files a case with the given body and returns its JSON.
    pub(crate) async fn file(&self, token: &str, body: Value) -> Value {
        let (s, case) = self.post(token, "/api/v1/cases", body).await;
        assert_eq!(s, StatusCode::CREATED, "{case}");
        case
    }

    /// Files a case in the first grid of 樱花园社区 (Heping) and returns its JSON.
    pub(crate) async fn new_case(&self, token: &str, category: &str) -> Value {
        self.new_case_in(token, category, GRID).await
    }

    /// Files a case in `grid` and returns its JSON.
    pub(crate) async fn new_case_in(&self, token: &str, category: &str, grid: &str) -> Value {
        let case = self.file(token, case_body(category, grid)).await;
        assert_eq!(case["status"], "received");
        assert_eq!(case["grid"]["code"], grid);
        case
    }

    /// Applies a transition and returns (status, body).
    pub(crate) async fn act(&self, token: &str, case: &Value, action: &str, fields: Value) -> (StatusCode, Value) {
        let body = patched(&json!({"action": action, "version": case["version"]}), fields);
        self.post(token, &format!("/api/v1/cases/{}/transitions", case["id"]), body).await
    }

    /// Applies a transition that must succeed (bumping the version by one) and returns the
    /// updated case.
    pub(crate) async fn ok(&self, token: &str, case: &Value, action: &str, fields: Value) -> Value {
        let (s, body) = self.act(token, case, action, fields).await;
        assert_eq!(s, StatusCode::OK, "{action}: {body}");
        assert_eq!(body["id"], case["id"]);
        assert_eq!(body["version"].as_i64().unwrap(), case["version"].as_i64().unwrap() + 1, "{action}: {body}");
        body
    }

    /// The case as an admin sees it, and its events.
    pub(crate) async fn admin_view(&self, case: &Value) -> (Value, Vec<Value>) {
        let (s, view) = self.get(&self.admin, &format!("/api/v1/cases/{}", case["id"])).await;
        assert_eq!(s, StatusCode::OK, "{view}");
        let (s, events) = self.get(&self.admin, &format!("/api/v1/cases/{}/events", case["id"])).await;
        assert_eq!(s, StatusCode::OK, "{events}");
        (view, events.as_array().unwrap().clone())
    }

    /// What must not change when a request about `case` is refused: the whole case (version,
    /// status, counters, updated_at …) and the number of its events.
    pub(crate) async fn snapshot(&self, case: &Value) -> (Value, usize) {
        let (mut view, events) = self.admin_view(case).await;
        // A countdown moves with the clock between two reads; the deadline itself must not.
        if let Some(clocks) = view.get_mut("deadlines").and_then(Value::as_array_mut) {
            for clock in clocks {
                if let Some(clock) = clock.as_object_mut() {
                    clock.remove("remaining_seconds");
                }
            }
        }
        (view, events.len())
    }

    /// Asserts a refusal, then that the case is exactly as in `before`.
    pub(crate) async fn refused(
        &self,
        res: (StatusCode, Value),
        status: StatusCode,
        code: &str,
        case: &Value,
        before: &(Value, usize),
    ) -> Value {
        assert_err(&res, status, code);
        assert_eq!(&self.snapshot(case).await, before, "refused request changed case {}: {}", case["id"], res.1);
        res.1
    }

    pub(crate) async fn event_kinds(&self, case: &Value) -> Vec<String> {
        self.admin_view(case).await.1.iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
    }

    /// Ids of the cases `token` lists with `query` (one page that must be the last).
    pub(crate) async fn list_ids(&self, token: &str, query: &str) -> Vec<i64> {
        let (s, page) = self.get(token, &format!("/api/v1/cases?limit=200&{query}")).await;
        assert_eq!(s, StatusCode::OK, "{query}: {page}");
        assert!(page.get("next_cursor").is_none_or(Value::is_null), "{page}");
        ids(&page["items"])
    }

    /// Number of cases in the database.
    pub(crate) async fn case_count(&self) -> usize {
        self.list_ids(&self.admin, "").await.len()
    }

    /// Walks every page of `query` at `limit` cases per page and returns the ids in order.
    pub(crate) async fn walk(&self, token: &str, query: &str, limit: usize) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let (s, page) = self.get(token, &format!("/api/v1/cases?limit={limit}&{query}{c}")).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let items = ids(&page["items"]);
            assert!(items.len() <= limit, "{page}");
            out.extend(&items);
            match page.get("next_cursor").and_then(Value::as_str) {
                Some(next) => {
                    assert_eq!(items.len(), limit, "only a full page may have a next page: {page}");
                    cursor = Some(next.to_string());
                }
                None => return out,
            }
        }
        panic!("pagination did not end");
    }

    /// The test's photo folder (started with `Options { photos: true, .. }`).
    pub(crate) fn photo_dir(&self) -> &std::path::Path {
        self.photos.as_ref().map(|d| d.path()).expect("started without a photo folder")
    }

    /// The number of files in the photo folder.
    pub(crate) fn photos_stored(&self) -> usize {
        std::fs::read_dir(self.photo_dir()).map(|d| d.count()).unwrap_or(0)
    }

    pub(crate) async fn stop(self) {
        self.server.abort();
        if let Some(db) = self.db {
            db.cleanup().await;
        }
    }
}

/// A server with a running clock and the default photo folder.
pub(crate) async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// A server started as `options` say.
pub(crate) async fn spawn_app_with(options: Options) -> TestApp {
    let db = TestDb::new(default_engine()).await.unwrap();
    let clock = Arc::new(TestClock::new(!options.frozen_clock));
    let app = App::new(db.store.clone(), clock.clone());
    app.admin().import_orgs(&chuishao_app::demo::demo_orgs()).await.unwrap();
    app.admin().import_catalogue(chuishao_app::admin::catalogue::DEMO_CATALOGUE).await.unwrap();
    app.ops().seed_demo_users().await.unwrap();
    let admin = app.admin().create_token("admin", "test harness").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let photos = options.photos.then(|| tempfile::tempdir().unwrap());
    let mut settings = chuishao_http::HttpSettings::default();
    if let Some(dir) = &photos {
        settings.photo_dir = dir.path().to_path_buf();
    }
    settings.secure_cookies = !options.plain_http;
    if options.behind_proxy {
        settings.trusted_proxies = chuishao_http::TrustedProxies::parse(&["127.0.0.1"]).unwrap();
    }
    let router = chuishao_http::router_with(app.clone(), settings);
    let server = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service).await.unwrap();
    });
    let base = format!("http://{addr}");
    let store = db.store.clone();
    TestApp { base, client: reqwest::Client::new(), app, db: Some(db), store, server, clock, admin, photos }
}
