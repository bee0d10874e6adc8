//! The residents' pages through real HTTP: the tracking page (language, plain words, no
//! reporter data), live updates over server-sent events — within one node and across two
//! nodes on one database — and the reporter's callback with its CSRF, phone check, rate
//! limit and reopen policy.

use super::*;
use std::time::Duration;

/// Generous guard so a broken stream fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(30);

impl TestApp {
    async fn page(&self, path: &str) -> (StatusCode, HeaderMap, String) {
        let res = self.client.get(self.url(path)).send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        (status, headers, res.text().await.unwrap())
    }

    /// A case filed by the integrator with a known reporter, taken to `resolved`.
    async fn resolved_case(&self) -> Value {
        let integrator = self.token("integrator").await;
        let dispatcher = self.token("dispatcher").await;
        let dept = self.token("staff_cgw").await;
        let case = self.new_case(&integrator, "E0101").await;
        let case = self.ok(&dispatcher, &case, "register", json!({})).await;
        let case = self.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW"})).await;
        let case = self.ok(&dept, &case, "accept", json!({})).await;
        self.ok(&dept, &case, "resolve", json!({"result": "已清运", "evidence": ["photo-1.jpg"]})).await
    }
}

/// Reads a server-sent-event stream until an `update` whose data contains `needle`.
async fn wait_for_update(res: reqwest::Response, needle: &str) -> String {
    let mut res = res;
    let mut buf = String::new();
    tokio::time::timeout(GUARD, async {
        loop {
            let chunk = res.chunk().await.unwrap().expect("stream ended");
            buf.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(ev) = buf.split("\n\n").find(|e| e.contains("event: update") && e.contains(needle)) {
                return ev.to_string();
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no update containing {needle}; got {buf}"))
}

pub(crate) fn cookie_from(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn tracking_page_speaks_plainly_in_both_languages_and_hides_people() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let case = t.new_case(&integrator, "E0101").await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    let case = t.ok(&dispatcher, &case, "register", json!({})).await;
    t.ok(&dispatcher, &case, "dispatch", json!({"handler_code": "CGW", "note": "调度员李四请今日处置"})).await;

    let (s, h, html) = t.page(&format!("/t/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    assert!(html.contains("已派遣") && html.contains("区城市管理委员会") && html.contains("诉求已受理"), "{html}");
    assert!(html.contains("/assets/site.css") && html.contains("/assets/track.js"));
    for secret in ["张三", "13812341234", "1234", "李四", "dispatcher", "integrator"] {
        assert!(!html.contains(secret), "the page shows {secret}");
    }
    let (_, h, en) = t.page(&format!("/t/{}?lang=en", code.to_lowercase())).await;
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("Dispatched to District City Management Commission"),
        "{en}"
    );
    assert_eq!(cookie_from(&h, "lang").as_deref(), Some("en"));
    let (s, _, missing) = t.page("/t/AAAAAAAAAA").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(missing.contains("没有找到"), "{missing}");
    let (s, _, _) = t.page("/t/%3Cscript%3E").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The lookup form finds a code typed loosely, and refuses a forged one.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(t.url(&format!("/t?code={}", code.to_lowercase())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"].to_str().unwrap(), format!("/t/{code}?lang=zh"));
    let (s, _, _) = t.page("/t?code=ZZZZZZZZZZ").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, h, css) = t.page("/assets/site.css").await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[CONTENT_TYPE].to_str().unwrap().starts_with("text/css") && css.contains(":root"));
    t.stop().await;
}

#[tokio::test]
async fn a_staff_action_reaches_the_tracking_stream() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let case = t.new_case(&integrator, "E0101").await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    let html = t.page(&format!("/t/{code}")).await.2;
    let seq: i64 = html.split("data-seq=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(seq > 0);

    // Subscribed from the page's position: the backlog is empty, then the action arrives.
    let res = t.client.get(t.url(&format!("/t/{code}/events?after={seq}"))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/event-stream"));
    // The first message may race the subscription; the stream continues from `after`.
    let staff = t.clone_for_action(dispatcher.clone(), case.clone());
    let action = tokio::spawn(staff);
    let ev = wait_for_update(res, "已立案").await;
    action.await.unwrap();
    assert!(ev.contains("\"status\":\"registered\"") && ev.contains("\"status_zh\":\"已立案\""), "{ev}");
    assert!(!ev.contains("dispatcher"), "{ev}");

    // Catch-up: a client that reconnects from the start gets the whole public timeline.
    let res = t.client.get(t.url(&format!("/t/{code}/events"))).send().await.unwrap();
    let ev = wait_for_update(res, "诉求已受理").await;
    assert!(ev.contains("id: "), "{ev}");
    let res = t.client.get(t.url("/t/AAAAAAAAAA/events")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    t.stop().await;
}

impl TestApp {
    /// A future that registers `case` as `token` through the API of this node.
    fn clone_for_action(&self, token: String, case: Value) -> impl std::future::Future<Output = ()> + Send + 'static {
        let client = self.client.clone();
        let url = self.url(&format!("/api/v1/cases/{}/transitions", case["id"]));
        async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"action": "register", "version": case["version"]}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn an_event_committed_on_one_node_reaches_subscribers_of_another() {
    // Node A is the test app; node B is a second app with its own store (its own pool and,
    // on PostgreSQL, its own LISTEN connection) on the same database.
    let a = spawn_app().await;
    let url = a.db.as_ref().unwrap().url.clone();
    let store_b = chuishao_store::Store::open(&url).await.unwrap();
    let app_b = App::new(store_b, a.clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_b = format!("http://{}", listener.local_addr().unwrap());
    let router_b = chuishao_http::router(app_b);
    let server_b = tokio::spawn(async move { axum::serve(listener, router_b).await.unwrap() });

    let integrator = a.token("integrator").await;
    let dispatcher = a.token("dispatcher").await;
    let case = a.new_case(&integrator, "E0101").await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    let page_b = a.client.get(format!("{base_b}/t/{code}")).send().await.unwrap().text().await.unwrap();
    let seq: i64 = page_b.split("data-seq=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    // Node B now holds the view in its cache, page and JSON alike (read twice: the second is a hit).
    let json_b = format!("{base_b}/api/v1/public/cases/{code}");
    for _ in 0..2 {
        let v: Value = a.client.get(&json_b).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["status"], "received");
    }
    let res = a.client.get(format!("{base_b}/t/{code}/events?after={seq}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let action = tokio::spawn(a.clone_for_action(dispatcher, case));
    let ev = wait_for_update(res, "已立案").await;
    action.await.unwrap();
    assert!(ev.contains(&code), "{ev}");
    // Once B's subscribers have the event, B's page and JSON show it: the cache was dropped.
    let v: Value = a.client.get(&json_b).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["status"], "registered", "{v}");
    let page_b = a.client.get(format!("{base_b}/t/{code}")).send().await.unwrap().text().await.unwrap();
    assert!(page_b.contains("已立案"), "{page_b}");
    server_b.abort();
    a.stop().await;
}

#[tokio::test]
async fn the_tracking_page_shows_a_change_made_here_at_once() {
    // Read, act, read again with no wait: a commit through this node drops its cached view
    // before the action's answer is sent, whatever the live tail is doing.
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let dispatcher = t.token("dispatcher").await;
    let mut case = t.new_case(&integrator, "E0101").await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    for (action, fields, status) in
        [("register", json!({}), "registered"), ("dispatch", json!({"handler_code": "CGW"}), "dispatched")]
    {
        for _ in 0..2 {
            let (s, v) = t.get(&t.admin, &format!("/api/v1/public/cases/{code}")).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(v["status"], case["status"]);
            let page = t.page(&format!("/t/{code}?lang=en")).await.2;
            assert!(page.contains(&format!("status-{}\"", case["status"].as_str().unwrap())), "{page}");
        }
        case = t.ok(&dispatcher, &case, action, fields).await;
        assert_eq!(case["status"], status);
    }
    let (_, v) = t.get(&t.admin, &format!("/api/v1/public/cases/{code}")).await;
    assert_eq!(v["status"], "dispatched");
    assert!(t.page(&format!("/t/{code}")).await.2.contains("status-dispatched\""));
    t.stop().await;
}

#[tokio::test]
async fn the_reporter_calls_back_with_the_code_and_phone_digits() {
    let t = spawn_app().await;
    let case = t.resolved_case().await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    let (s, h, html) = t.page(&format!("/t/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("回访") && html.contains("phone_last4") && html.contains("已清运"), "{html}");
    let cookie = cookie_from(&h, "csrf").unwrap();
    let token = hidden_csrf(&html);
    assert_eq!(cookie, token);
    let post = |form: Vec<(&'static str, String)>, with_cookie: bool| {
        let mut req = t.client.post(t.url(&format!("/t/{code}/callback"))).form(&form);
        if with_cookie {
            req = req.header(reqwest::header::COOKIE, format!("csrf={cookie}"));
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            (status, headers, res.text().await.unwrap())
        }
    };
    let answer = |last4: &str| {
        vec![
            ("csrf", token.clone()),
            ("phone_last4", last4.to_string()),
            ("solved", "yes".to_string()),
            ("satisfaction", "satisfied".to_string()),
            ("comment", "处理很快".to_string()),
        ]
    };
    // Refusals change nothing.
    let (_, before) = t.snapshot(&case).await;
    assert_eq!(post(answer("1234"), false).await.0, StatusCode::FORBIDDEN, "no CSRF cookie");
    let mut forged = answer("1234");
    forged[0].1 = "0".repeat(32);
    assert_eq!(post(forged, true).await.0, StatusCode::FORBIDDEN, "token does not match the cookie");
    let (s, _, body) = post(answer("9999"), true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("后四位不正确"), "{body}");
    let mut bad = answer("1234");
    bad[3].1 = "meh".into();
    assert_eq!(post(bad, true).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(t.snapshot(&case).await.1, before);

    let (s, _, body) = post(answer("1234"), true).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("感谢"), "{body}");
    let (after, _) = t.admin_view(&case).await;
    assert_eq!(after["last_callback"], json!({"solved": true, "satisfaction": "satisfied"}));
    assert_eq!(after["status"], "resolved");
    // Once per resolution.
    assert_eq!(post(answer("1234"), true).await.0, StatusCode::CONFLICT);
    let html = t.page(&format!("/t/{code}")).await.2;
    assert!(!html.contains("phone_last4"), "the form is gone once answered");
    // Too many attempts from one address (five so far, the burst): 429 with Retry-After.
    assert_eq!(post(answer("0000"), true).await.0, StatusCode::FORBIDDEN);
    let (s, h, _) = post(answer("0000"), true).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    t.stop().await;
}

#[tokio::test]
async fn a_dissatisfied_callback_reopens_the_case() {
    let t = spawn_app().await;
    let case = t.resolved_case().await;
    let code = case["tracking_code"].as_str().unwrap().to_string();
    let (_, h, html) = t.page(&format!("/t/{code}?lang=en")).await;
    assert!(html.contains("Callback"), "{html}");
    let cookie = cookie_from(&h, "csrf").unwrap();
    let res = t
        .client
        .post(t.url(&format!("/t/{code}/callback?lang=en")))
        .header(reqwest::header::COOKIE, format!("csrf={cookie}"))
        .form(&[("csrf", cookie.as_str()), ("phone_last4", "1234"), ("solved", "no"), ("satisfaction", "dissatisfied")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("sent back for more work"));
    let (after, _) = t.admin_view(&case).await;
    assert_eq!(after["reopen_count"], 1);
    assert_eq!(after["last_callback"], json!({"solved": false, "satisfaction": "dissatisfied"}));
    let kinds = t.event_kinds(&case).await;
    assert_eq!(&kinds[kinds.len() - 2..], ["callback_recorded", "reopened"]);
    let html = t.page(&format!("/t/{code}")).await.2;
    assert!(html.contains("重新交由"), "{html}");
    t.stop().await;
}
