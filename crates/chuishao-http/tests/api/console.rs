//! The staff console over HTTP: sign-in with throttle, sessions, CSRF, the case desk's
//! actions, scope (403), stale versions and an expired session mid-form.

use super::*;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::time::Duration;

const CSRF: &str = "0123456789abcdef0123456789abcdef";

/// The CSRF cookie and form value a signed-in page of session `sid` carries.
pub(super) fn csrf_pair(_sid: &str) -> (String, String) {
    (CSRF.to_string(), CSRF.to_string())
}

/// A session of `user` (demo password).
pub(super) async fn signed_in(t: &TestApp, user: &str) -> String {
    login(t, user, chuishao_app::admin::accounts::DEMO_PASSWORD).await.1.unwrap()
}

pub(super) fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn login_response(t: &TestApp, user: &str, password: &str) -> reqwest::Response {
    browser()
        .post(t.url("/login"))
        .header(COOKIE, format!("csrf={CSRF}"))
        .form(&[("csrf", CSRF), ("username", user), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap()
}

async fn login(t: &TestApp, user: &str, password: &str) -> (StatusCode, Option<String>, String) {
    let res = login_response(t, user, password).await;
    let status = res.status();
    let sid = super::residents::cookie_from(res.headers(), "sid");
    (status, sid, res.text().await.unwrap())
}

async fn page(t: &TestApp, sid: &str, path: &str) -> (StatusCode, String) {
    let res = browser().get(t.url(path)).header(COOKIE, format!("sid={sid}; csrf={CSRF}")).send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

pub(super) async fn act(
    t: &TestApp,
    sid: &str,
    id: i64,
    fields: &[(&str, &str)],
    with_csrf: bool,
) -> (StatusCode, String) {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    if with_csrf {
        form.push(("csrf", CSRF));
    }
    let res = browser()
        .post(t.url(&format!("/console/cases/{id}/act")))
        .header(COOKIE, format!("sid={sid}; csrf={CSRF}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn dispatcher_dispatches_and_department_resolves_through_the_console() {
    let t = spawn_app().await;
    let integrator = t.token("integrator").await;
    let (st, created) = t.post(&integrator, "/api/v1/cases", case_body("E0101", GRID)).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    let id = id_of(&created);

    // Sign-in lands a dispatcher on the board, with an HttpOnly, Secure, SameSite cookie.
    let res = login_response(&t, "dispatcher", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/console/board");
    let raw = res.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let sid_cookie = raw.iter().find(|c| c.starts_with("sid=")).unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(sid_cookie.contains(attr), "{sid_cookie} lacks {attr}");
    }
    let disp = super::residents::cookie_from(res.headers(), "sid").unwrap();

    let (st, board) = page(&t, &disp, "/console/board").await;
    assert_eq!(st, StatusCode::OK);
    assert!(board.contains(&format!("id=\"case-{id}\"")), "new case on the board");
    let (_, desk) = page(&t, &disp, &format!("/console/cases/{id}")).await;
    assert!(desk.contains("data-action=\"register_dispatch\"") && desk.contains("data-action=\"reject\""));
    assert!(!desk.contains("data-action=\"accept\""), "a dispatcher cannot accept");

    // Without the CSRF token nothing happens.
    let v = created["version"].as_i64().unwrap().to_string();
    let fields = [
        ("action", "register_dispatch"),
        ("version", v.as_str()),
        ("category_code", "E0101"),
        ("handler_code", "CGZF"),
    ];
    let (st, _) = act(&t, &disp, id, &fields, false).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, c) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(c["status"], "received");

    let (st, _) = act(&t, &disp, id, &fields, true).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, c) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(c["status"], "dispatched");
    assert_eq!(c["handler"]["code"], "CGZF");

    // The same (now stale) form again: a clear conflict with the fresh state.
    let (st, html) = act(&t, &disp, id, &fields, true).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(html.contains("其他人刚刚修改了此案件") && html.contains("data-status=\"dispatched\""));

    // The department accepts and resolves; another department gets 403 on the URL.
    let (_, dept, _) = login(&t, "department_staff", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let dept = dept.unwrap();
    let (st, inbox) = page(&t, &dept, "/console/inbox").await;
    assert_eq!(st, StatusCode::OK);
    assert!(inbox.contains(&format!("id=\"case-{id}\"")));
    let (_, other, _) = login(&t, "staff_swj", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let (st, _) = page(&t, &other.unwrap(), &format!("/console/cases/{id}")).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, desk) = page(&t, &dept, &format!("/console/cases/{id}")).await;
    assert!(desk.contains("data-action=\"accept\"") && desk.contains("data-action=\"return\""));
    assert!(!desk.contains("data-action=\"dispatch\""));
    let v = (c["version"].as_i64().unwrap()).to_string();
    assert_eq!(act(&t, &dept, id, &[("action", "accept"), ("version", &v)], true).await.0, StatusCode::SEE_OTHER);
    let v = (c["version"].as_i64().unwrap() + 1).to_string();
    let resolve =
        [("action", "resolve"), ("version", v.as_str()), ("result", "已清运"), ("evidence", "photo-1\nphoto-2")];
    assert_eq!(act(&t, &dept, id, &resolve, true).await.0, StatusCode::SEE_OTHER);
    let (_, c) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(c["status"], "resolved");

    // Logout revokes the session server-side.
    let res = browser()
        .post(t.url("/logout"))
        .header(COOKIE, format!("sid={disp}; csrf={CSRF}"))
        .form(&[("csrf", CSRF)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (st, _) = page(&t, &disp, "/console/board").await;
    assert_eq!(st, StatusCode::SEE_OTHER, "a revoked session signs in again");

    // Logins and failures are in the audit chain.
    let events = t.store.stream_events("account", 0).await.unwrap();
    assert!(events.is_empty(), "no unknown-user failures in this test");
    t.stop().await;
}

#[tokio::test]
async fn wrong_passwords_back_off_then_lock_without_revealing_names() {
    let t = spawn_app().await;
    let good = chuishao_app::admin::accounts::DEMO_PASSWORD;
    for (i, user) in ["dispatcher", "nobody_here"].iter().enumerate() {
        let mut statuses = vec![];
        let mut bodies = vec![];
        for _ in 0..4 {
            let (st, sid, body) = login(&t, user, "wrong-password").await;
            assert!(sid.is_none());
            statuses.push(st);
            bodies.push(body.replace(user, "NAME"));
        }
        // Three free failures, then the fourth waits (backoff) before any check.
        assert_eq!(statuses[..3], [StatusCode::UNAUTHORIZED; 3], "user {i}");
        assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "backoff after three");
        let (st, sid, _) = login(&t, user, good).await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
        assert!(sid.is_none());
        if i == 0 {
            // The same answers for a real and an unknown name.
            assert!(bodies[0].contains("用户名或密码不正确"));
        }
    }
    // After the wait (and well past the lockout), the right password works and clears it.
    t.clock.advance_hours(1);
    let (st, sid, _) = login(&t, "dispatcher", good).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let sid = sid.unwrap();
    let events =
        t.store.stream_events("account", t.app.admin().actor_for("dispatcher").await.unwrap().user_id.0).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["login_failed", "login_failed", "login_failed", "login"], "refused attempts are not checked");

    // An expired session mid-form: the fields come back on the sign-in page, then resubmit.
    let (_, c) = t.post(&t.token("integrator").await, "/api/v1/cases", case_body("E0101", GRID)).await;
    let id = id_of(&c);
    t.clock.advance_hours(9);
    let (st, html) = act(&t, &sid, id, &[("action", "reject"), ("version", "1"), ("reason", "重复反映")], true).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(html.contains("name=\"carry.reason\" value=\"重复反映\""), "the work is kept");
    // Signing in from that page shows the same fields, ready to resubmit with a fresh token.
    t.clock.offset_ms.fetch_add(3_600_000, Ordering::SeqCst);
    let res = browser()
        .post(t.url("/login"))
        .header(COOKIE, format!("csrf={CSRF}"))
        .form(&[
            ("csrf", CSRF),
            ("username", "dispatcher"),
            ("password", good),
            ("next", &format!("/console/cases/{id}/act")),
            ("carry.action", "reject"),
            ("carry.version", "1"),
            ("carry.reason", "重复反映"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let fresh = super::residents::cookie_from(res.headers(), "sid").unwrap();
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("action=\"/console/cases/{id}/act\"")) && html.contains("value=\"重复反映\""));
    let fields = [("action", "reject"), ("version", "1"), ("reason", "重复反映")];
    assert_eq!(act(&t, &fresh, id, &fields, true).await.0, StatusCode::SEE_OTHER);
    let (_, c) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(c["status"], "rejected");
    t.stop().await;
}

#[tokio::test]
async fn ten_failures_lock_the_name_and_the_lockout_is_audited() {
    let t = spawn_app().await;
    for _ in 0..chuishao_app::admin::accounts::LOCKOUT_FAILURES {
        let (st, _, _) = login(&t, "department_staff", "wrong-password").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        // Past any backoff, so every attempt is checked.
        t.clock.offset_ms.fetch_add(70_000, Ordering::SeqCst);
    }
    let res = login_response(&t, "department_staff", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 60 && wait <= 15 * 60, "locked for up to 15 minutes, got {wait}");
    let uid = t.app.admin().actor_for("department_staff").await.unwrap().user_id.0;
    let kinds: Vec<String> = t.store.stream_events("account", uid).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.last().map(String::as_str), Some("login_locked"));
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none(), "the audit chain holds");
    t.stop().await;
}

#[tokio::test]
async fn the_open_board_hears_about_a_change() {
    let t = spawn_app().await;
    let (_, sid, _) = login(&t, "dispatcher", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let sid = sid.unwrap();
    let unauth = browser().get(t.url("/console/board/events")).send().await.unwrap();
    assert_eq!(unauth.status(), StatusCode::UNAUTHORIZED);
    let mut res =
        browser().get(t.url("/console/board/events")).header(COOKIE, format!("sid={sid}")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let integrator = t.token("integrator").await;
    let (_, c) = t.post(&integrator, "/api/v1/cases", case_body("E0101", GRID)).await;
    let id = id_of(&c);
    let mut got = String::new();
    while !got.contains("event: changed") {
        let chunk = tokio::time::timeout(Duration::from_secs(30), res.chunk()).await.unwrap().unwrap().unwrap();
        got.push_str(&String::from_utf8_lossy(&chunk));
    }
    // The board fragment the page then fetches has the new case.
    let (st, table) = page(&t, &sid, "/console/board?fragment=1").await;
    assert_eq!(st, StatusCode::OK);
    assert!(table.contains(&format!("id=\"case-{id}\"")) && !table.contains("<html"));
    t.stop().await;
}

/// A plain PNG, and a script dressed up as a JPEG (by name and declared type only).
fn png_and_disguised_script() -> (Vec<u8>, Vec<u8>) {
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(40, 30)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    (png, b"<script>alert(document.cookie)</script>".to_vec())
}

#[tokio::test]
async fn the_department_resolves_with_a_photo_and_a_disguised_script_is_refused() {
    let t = spawn_app_with(Options { photos: true, ..Options::default() }).await;
    let base = t.base.clone();
    let files_stored = || t.photos_stored();

    let (_, c) = t.post(&t.admin, "/api/v1/cases", case_body("E0101", GRID)).await;
    let id = id_of(&c);
    let c = t.ok(&t.admin, &c, "register", json!({})).await;
    let c = t.ok(&t.admin, &c, "dispatch", json!({"handler_code": "CGZF"})).await;
    let (_, dept, _) = login(&t, "department_staff", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let dept = dept.unwrap();
    let v = c["version"].as_i64().unwrap().to_string();
    assert_eq!(act(&t, &dept, id, &[("action", "accept"), ("version", &v)], true).await.0, StatusCode::SEE_OTHER);
    let version = c["version"].as_i64().unwrap() + 1;
    let (_, desk) = page(&t, &dept, &format!("/console/cases/{id}")).await;
    assert!(desk.contains("enctype=\"multipart/form-data\"") && desk.contains("name=\"photo\""), "{desk}");

    let (png, script) = png_and_disguised_script();
    let send = |photo: Vec<u8>, version: i64, with_csrf: bool| {
        let (base, dept) = (base.clone(), dept.clone());
        async move {
            let mut form = reqwest::multipart::Form::new()
                .text("action", "resolve")
                .text("version", version.to_string())
                .text("result", "已清运，附现场照片");
            if with_csrf {
                form = form.text("csrf", CSRF);
            }
            let part = reqwest::multipart::Part::bytes(photo).file_name("after.jpg").mime_str("image/jpeg").unwrap();
            let res = browser()
                .post(format!("{base}/console/cases/{id}/act"))
                .header(COOKIE, format!("sid={dept}; csrf={CSRF}"))
                .multipart(form.part("photo", part))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };

    // Without the CSRF token, and with a script named like a photo: refused, nothing stored.
    assert_eq!(send(png.clone(), version, false).await.0, StatusCode::FORBIDDEN);
    let (st, html) = send(script, version, true).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("照片只能是JPEG、PNG或WebP图片") && html.contains("data-status=\"accepted\""), "{html}");
    assert_eq!(files_stored(), 0, "a refused upload stores nothing");
    let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("accepted"), Some(version)));

    // A real photo: resolved, the photo cleaned and named in the evidence.
    let (st, _) = send(png.clone(), version, true).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(files_stored(), 2, "the photo and its thumbnail");
    let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(now["status"], "resolved");
    let (_, events) = t.get(&t.admin, &format!("/api/v1/cases/{id}/events")).await;
    let resolved = events.as_array().unwrap().iter().find(|e| e["kind"] == "resolved").unwrap().clone();
    let evidence = resolved["data"]["evidence"][0].as_str().unwrap().to_string();
    let key = evidence.strip_prefix("photo:").unwrap();
    assert_eq!(key.len(), 32, "{evidence}");
    let stored = std::fs::read(t.photo_dir().join(format!("{key}.jpg"))).unwrap();
    assert!(stored.starts_with(&[0xFF, 0xD8, 0xFF]), "re-encoded as JPEG");

    // Shown on the desk and, as the unit's result, on the public tracking page.
    let (_, desk) = page(&t, &dept, &format!("/console/cases/{id}")).await;
    assert!(desk.contains(&format!("/photos/{key}.thumb.jpg")) && desk.contains("id=\"result-photos\""));
    let code = now["tracking_code"].as_str().unwrap();
    let public = t.client.get(t.url(&format!("/t/{code}"))).send().await.unwrap().text().await.unwrap();
    assert!(public.contains(&format!("/photos/{key}.thumb.jpg")), "{public}");

    // The same (now stale) form again: a conflict, and its photo is not kept.
    let (st, html) = send(png, version, true).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert!(html.contains("其他人刚刚修改了此案件"));
    assert_eq!(files_stored(), 2, "a refused resolution keeps no photo");
    t.stop().await;
}

#[tokio::test]
async fn the_desk_reads_in_plain_words_with_clocks_map_whistle_and_supervision() {
    let t = spawn_app().await;
    let (_, c) = t.post(&t.admin, "/api/v1/cases", case_body("E0101", GRID)).await;
    let id = id_of(&c);
    let c = t.ok(&t.admin, &c, "register", json!({})).await;
    let c = t.ok(&t.admin, &c, "dispatch", json!({"handler_code": "CGZF", "note": "请尽快处理"})).await;
    t.ok(&t.admin, &c, "supervise", json!({"note": "群众反映强烈"})).await;
    let leader = t.token("subdistrict_leader").await;
    let whistle = json!({"kind": "routine", "title": "樱花园垃圾治理", "case_ids": [id], "lat": 39.974, "lon": 116.396,
        "address": "樱花园东门", "units": [{"unit_code": "CGZF", "task": "清运"}]});
    let (st, w) = t.post(&leader, "/api/v1/whistles", whistle).await;
    assert_eq!(st, StatusCode::CREATED, "{w}");

    let (_, disp, _) = login(&t, "dispatcher", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let disp = disp.unwrap();
    let (st, desk) = page(&t, &disp, &format!("/console/cases/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    // Every event in words, with the acting unit; no raw kinds as text.
    let timeline = desk.split("id=\"timeline\"").nth(1).unwrap().split("</ol>").next().unwrap();
    for words in ["经系统接口受理", "立案，类别E0101", "派遣至", "请尽快处理", "督办（第1次）：群众反映强烈"]
    {
        assert!(timeline.contains(words), "{words} missing from {timeline}");
    }
    assert!(!timeline.contains("> received") && !timeline.contains(">dispatched<"), "{timeline}");
    assert!(timeline.contains("class=\"unit\""));
    // The running clock with its static due time and a countdown the script keeps live.
    let clocks = desk.split("id=\"clocks\"").nth(1).unwrap().split("</ul>").next().unwrap();
    assert!(
        clocks.contains("签收时限") && clocks.contains("<time datetime=") && clocks.contains("class=\"countdown\"")
    );
    // Supervision records, the linked whistle and the map snippet with the grid outline.
    assert!(desk.contains("id=\"supervision\"") && desk.contains("群众反映强烈"));
    assert!(desk.contains(&format!("href=\"/console/whistles/{}\"", w["id"])) && desk.contains("樱花园垃圾治理"));
    let svg = desk.split("id=\"map-snippet\"").nth(1).unwrap().split("</figure>").next().unwrap();
    assert!(svg.contains("<svg") && svg.contains("class=\"outline\"") && svg.contains("class=\"pin\""), "{svg}");

    // The headline is the resolution deadline, every clock named, durations in words; no
    // banner for a dispatcher.
    let due = desk.split("id=\"due\"").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(due.contains("data-clock=\"resolution\"") && due.contains("办理时限") && due.contains("剩余 "), "{due}");
    assert!(clocks.contains("data-clock=\"acceptance\"") && clocks.contains("data-clock=\"resolution\""), "{clocks}");
    assert!(!desk.contains("id=\"calendar-notice\""));

    // In English, the same timeline in English.
    let (_, en) = page(&t, &disp, &format!("/console/cases/{id}?lang=en")).await;
    assert!(en.contains("Received through the API") && en.contains("Supervised (time 1)"), "{en}");
    let due = en.split("id=\"due\"").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(due.contains(" left</span>"), "{due}");
    assert!(en.contains("data-clock-words=\"{} left|{} overdue|"), "console.js gets the page's words");

    // Admins are told (from 1 November) that next year's schedule is still provisional.
    let (_, adm, _) = login(&t, "admin", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let (_, board) = page(&t, &adm.unwrap(), "/console/board").await;
    let notice = board.split("id=\"calendar-notice\"").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(notice.contains("2027年的国务院放假安排尚未导入"), "{notice}");
    t.stop().await;
}

async fn bulk(t: &TestApp, sid: &str, fields: &[(&str, String)], with_csrf: bool) -> (StatusCode, String) {
    let mut form: Vec<(&str, String)> = fields.to_vec();
    if with_csrf {
        form.push(("csrf", CSRF.to_string()));
    }
    let res = browser()
        .post(t.url("/console/board/bulk"))
        .header(COOKIE, format!("sid={sid}; csrf={CSRF}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn bulk_dispatch_reports_each_case_and_never_half_changes_one() {
    let t = spawn_app().await;
    let mut cases = Vec::new();
    for _ in 0..3 {
        let (_, c) = t.post(&t.admin, "/api/v1/cases", case_body("E0101", GRID)).await;
        cases.push(c);
    }
    // A case without a category: registering it would work, dispatching it cannot.
    let mut unclassified = case_body("E0101", GRID);
    unclassified.as_object_mut().unwrap().remove("category_code");
    let (_, bare) = t.post(&t.admin, "/api/v1/cases", unclassified).await;
    let (_, disp, _) = login(&t, "dispatcher", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let disp = disp.unwrap();
    let (_, board) = page(&t, &disp, "/console/board").await;
    for c in cases.iter().chain([&bare]) {
        let pick = format!("name=\"case\" value=\"{}:{}\"", c["id"], c["version"]);
        assert!(board.contains(&pick), "a checkbox for {}", c["id"]);
    }
    assert!(board.contains("action=\"/console/board/bulk\""));
    // Someone changes the third case after the board was drawn.
    let stale = &cases[2];
    t.ok(&t.admin, stale, "register", json!({})).await;

    let mut fields: Vec<(&str, String)> = vec![("bulk_action", "dispatch".into()), ("handler_code", String::new())];
    for c in cases.iter().chain([&bare]) {
        fields.push(("case", format!("{}:{}", c["id"], c["version"])));
    }
    // Without the CSRF token nothing happens.
    assert_eq!(bulk(&t, &disp, &fields, false).await.0, StatusCode::FORBIDDEN);
    let (_, first) = t.get(&t.admin, &format!("/api/v1/cases/{}", cases[0]["id"])).await;
    assert_eq!(first["status"], "received");

    let (st, html) = bulk(&t, &disp, &fields, true).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"bulk-ok\">2<") && html.contains("id=\"bulk-failed\">2<"), "{html}");
    let row = |id: &Value| {
        html.split(&format!("id=\"bulk-{id}\"")).nth(1).unwrap().split("</tr>").next().unwrap().to_string()
    };
    assert!(row(&cases[0]["id"]).contains("data-ok=\"true\""));
    assert!(row(&stale["id"]).contains("其他人刚刚修改了此案件"), "{}", row(&stale["id"]));
    assert!(row(&bare["id"]).contains("data-ok=\"false\"") && row(&bare["id"]).contains("category_code"));
    for c in &cases[..2] {
        let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{}", c["id"])).await;
        // Each went to the unit its category's ownership rule suggests, registered and dispatched.
        assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("dispatched"), Some(3)), "{now}");
        assert!(now["handler"]["code"].is_string());
    }
    let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{}", stale["id"])).await;
    assert_eq!((now["status"].as_str(), now["version"].as_i64()), (Some("registered"), Some(2)));
    // The unclassified one was not left registered: nothing of the failed change remains.
    let (now, events) = t.admin_view(&bare).await;
    assert_eq!((now["status"].as_str(), events.len()), (Some("received"), 1));

    // Rejecting needs a reason; with one, the stale case goes through at its fresh version.
    let fields = vec![("bulk_action", "reject".to_string()), ("case", format!("{}:2", stale["id"]))];
    let (_, html) = bulk(&t, &disp, &fields, true).await;
    assert!(html.contains("id=\"bulk-failed\">1<") && html.contains("reason"), "{html}");
    let mut fields = fields;
    fields.push(("reason", "重复反映".into()));
    let (_, html) = bulk(&t, &disp, &fields, true).await;
    assert!(html.contains("id=\"bulk-ok\">1<"), "{html}");
    // A department user cannot act for the dispatcher in bulk either.
    let (_, dept, _) = login(&t, "department_staff", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    let fields = vec![("bulk_action", "classify".to_string()), ("case", format!("{}:1", bare["id"]))];
    let (st, html) = bulk(&t, &dept.unwrap(), &fields, true).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("id=\"bulk-failed\">1<") && html.contains("不在您的管辖范围内"), "{html}");
    t.stop().await;
}

#[tokio::test]
async fn the_dispatcher_rules_on_returns_from_the_returns_queue() {
    let t = spawn_app().await;
    let (_, c) = t.post(&t.admin, "/api/v1/cases", case_body("E0101", GRID)).await;
    let id = id_of(&c);
    let c = t.ok(&t.admin, &c, "register", json!({})).await;
    let c = t.ok(&t.admin, &c, "dispatch", json!({"handler_code": "CGZF"})).await;
    let password = chuishao_app::admin::accounts::DEMO_PASSWORD;
    let (_, dept, _) = login(&t, "department_staff", password).await;
    let dept = dept.unwrap();
    let (_, disp, _) = login(&t, "dispatcher", password).await;
    let disp = disp.unwrap();
    let ret = |v: i64| {
        let (t, dept) = (&t, dept.clone());
        async move {
            let v = v.to_string();
            let fields = [("action", "return"), ("version", v.as_str()), ("reason", "属于住建部门职责")];
            assert_eq!(act(t, &dept, id, &fields, true).await.0, StatusCode::SEE_OTHER);
        }
    };
    ret(c["version"].as_i64().unwrap()).await;

    // The return reaches the returns queue with its unit and reason.
    let (_, queue) = page(&t, &disp, "/console/board?queue=returns").await;
    let row = queue.split(&format!("id=\"case-{id}\"")).nth(1).expect("on the returns queue");
    assert!(row.split("</tr>").next().unwrap().contains("属于住建部门职责"));
    let (_, desk) = page(&t, &disp, &format!("/console/cases/{id}")).await;
    assert!(desk.contains("id=\"returned\"") && desk.contains("data-action=\"arbitrate\""), "{desk}");
    assert!(!desk.contains("data-action=\"dispatch\""), "a returned case is dispatched by a ruling");

    // Upholding the dispatch to the unit that returned it needs a reason.
    let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    let v = now["version"].as_i64().unwrap().to_string();
    let uphold = [("action", "arbitrate"), ("version", v.as_str()), ("handler_code", "CGZF"), ("reason", " ")];
    let (st, html) = act(&t, &disp, id, &uphold, true).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("reason") && html.contains("data-status=\"registered\""));
    let reason = "占道堆物属城管执法职责";
    let uphold = [("action", "arbitrate"), ("version", v.as_str()), ("handler_code", "CGZF"), ("reason", reason)];
    assert_eq!(act(&t, &disp, id, &uphold, true).await.0, StatusCode::SEE_OTHER);
    let (now, events) = t.admin_view(&json!({"id": id})).await;
    assert_eq!((now["status"].as_str(), now["handler"]["code"].as_str()), (Some("dispatched"), Some("CGZF")));
    let note = events.last().unwrap()["data"]["note"].as_str().unwrap().to_string();
    assert!(note.contains("维持") && note.contains(reason), "{note}");
    // The department reads the ruling on its desk.
    let (_, desk) = page(&t, &dept, &format!("/console/cases/{id}")).await;
    assert!(desk.contains(reason));

    // Returned again: this time reassigned to another unit, no reason needed.
    ret(now["version"].as_i64().unwrap()).await;
    let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    let v = now["version"].as_i64().unwrap().to_string();
    let reassign = [("action", "arbitrate"), ("version", v.as_str()), ("handler_code", "ZJW"), ("reason", "")];
    assert_eq!(act(&t, &disp, id, &reassign, true).await.0, StatusCode::SEE_OTHER);
    let (_, now) = t.get(&t.admin, &format!("/api/v1/cases/{id}")).await;
    assert_eq!((now["status"].as_str(), now["handler"]["code"].as_str()), (Some("dispatched"), Some("ZJW")));
    let (_, queue) = page(&t, &disp, "/console/board?queue=returns").await;
    assert!(!queue.contains(&format!("id=\"case-{id}\"")), "ruled on: off the returns queue");
    t.stop().await;
}

/// A sign-in from `addr` (through the trusted proxy of `Options { behind_proxy: true }`).
async fn login_from(t: &TestApp, addr: &str, user: &str, password: &str) -> reqwest::Response {
    browser()
        .post(t.url("/login"))
        .header(COOKIE, format!("csrf={CSRF}"))
        .header("X-Forwarded-For", addr)
        .form(&[("csrf", CSRF), ("username", user), ("password", password), ("next", "")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn password_spraying_across_72_names_from_one_address_is_refused() {
    let t = spawn_app_with(Options { behind_proxy: true, ..Options::default() }).await;
    let mut statuses = Vec::new();
    for i in 0..72 {
        let res = login_from(&t, "203.0.113.7", &format!("staff{i:02}"), "Spring2026!").await;
        statuses.push(res.status());
    }
    let refused = statuses.iter().position(|s| *s == StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused, Some(20), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert!(statuses[..20].iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    let res = login_from(&t, "203.0.113.7", "dispatcher", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the address is refused, even with a right password");
    assert!(res.headers().contains_key("retry-after"));
    // Another address is unaffected.
    let res = login_from(&t, "198.51.100.2", "dispatcher", chuishao_app::admin::accounts::DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_named_user_out() {
    use chuishao_app::admin::accounts::{DEMO_PASSWORD, LOCKOUT_FAILURES, NAME_FREE_FAILURES, SLOWDOWN_MS};
    let t = spawn_app_with(Options { behind_proxy: true, frozen_clock: true, ..Options::default() }).await;
    // Ten failures from the stranger's address lock the name there only.
    for _ in 0..LOCKOUT_FAILURES {
        assert_eq!(login_from(&t, "203.0.113.9", "department_staff", "guess").await.status(), StatusCode::UNAUTHORIZED);
        t.clock.offset_ms.fetch_add(70_000, Ordering::SeqCst);
    }
    let res = login_from(&t, "203.0.113.9", "department_staff", DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = login_from(&t, "192.0.2.10", "department_staff", DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the user's own address signs in");
    let res = login_from(&t, "203.0.113.9", "department_staff", DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the stranger's address stays locked");

    // Failures spread over many addresses only slow the name down, briefly.
    for i in 0..NAME_FREE_FAILURES {
        let addr = format!("198.18.{}.{}", i / 200, i % 200 + 1);
        assert_eq!(login_from(&t, &addr, "department_staff", "guess").await.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login_from(&t, "192.0.2.10", "department_staff", DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait * 1000 <= SLOWDOWN_MS, "a slow-down of seconds, not a lockout: {wait}");
    t.clock.offset_ms.fetch_add(SLOWDOWN_MS, Ordering::SeqCst);
    let res = login_from(&t, "192.0.2.10", "department_staff", DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    t.stop().await;
}
