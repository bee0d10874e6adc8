//! Community mobilisation through real HTTP: dual check-in (双报到), posts by skill, yearly
//! counts against commitments, scope, and a whole activity — publish, volunteers sign up, QR
//! check-in (valid, expired, far away, forged, replayed, twice, before it opens, after it
//! closes), check-out, the organiser's confirmation into hours. Every refusal is followed by a
//! look proving nothing changed. The clock is frozen and moved by the test.

use super::*;

const MIN: i64 = 60_000;
/// 樱花园社区 (Heping) and 青年湖社区.
const COMMUNITY: &str = "110199001001";
const OTHER_COMMUNITY: &str = "110199001002";
/// The place of every activity here, and a point about 1.1 km north of it.
const LAT: f64 = 39.974;
const LON: f64 = 116.396;
const FAR_LAT: f64 = 39.984;

fn at(ms: i64) -> String {
    chuishao_app::time::rfc3339(ms)
}

struct C {
    t: TestApp,
    worker: String,
}

async fn spawn() -> C {
    let t = spawn_app_with(Options { frozen_clock: true, ..Options::default() }).await;
    let worker = t.token("community_worker").await;
    C { t, worker }
}

impl C {
    async fn publish(&self, starts_at: i64, minutes: i64, capacity: u32) -> Value {
        let body = json!({"community_code": COMMUNITY, "kind": "cleanup", "title": "周末大扫除",
            "address": "小区东门", "lat": LAT, "lon": LON, "starts_at": at(starts_at),
            "ends_at": at(starts_at + minutes * MIN), "capacity": capacity, "skills": ["other"]});
        let (s, a) = self.t.post(&self.worker, "/api/v1/community/activities", body).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assert_eq!((a["status"].as_str(), a["taken"].as_i64()), (Some("published"), Some(0)));
        a
    }

    /// A registered, confirmed, signed-in volunteer: (id, session token).
    async fn volunteer(&self, name: &str, phone: &str) -> (i64, String) {
        let body = json!({"community_code": COMMUNITY, "name": name, "phone": phone, "password": "serve-2026!"});
        let (s, v) = self.t.post("", "/api/v1/community/volunteers", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "pending");
        let id = v["id"].as_i64().unwrap();
        let (s, v) = self
            .t
            .post(
                &self.worker,
                &format!("/api/v1/community/volunteers/{id}/decision"),
                json!({"action": "confirm", "version": 1}),
            )
            .await;
        assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("confirmed")), "{v}");
        (id, self.login(phone, "serve-2026!").await)
    }

    async fn login(&self, phone: &str, password: &str) -> String {
        let (s, t) =
            self.t.post("", "/api/v1/community/volunteers/login", json!({"phone": phone, "password": password})).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        t["token"].as_str().unwrap().to_string()
    }

    async fn qr(&self, id: i64) -> String {
        let (s, q) = self.t.get(&self.worker, &format!("/api/v1/community/activities/{id}/qr")).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        q["token"].as_str().unwrap().to_string()
    }

    async fn scan(&self, who: &str, id: i64, what: &str, token: &str, lat: f64) -> (StatusCode, Value) {
        let body = json!({"token": token, "lat": lat, "lon": LON});
        self.t.post(who, &format!("/api/v1/community/activities/{id}/{what}"), body).await
    }

    /// The activity as its organiser sees it (attendance included).
    async fn view(&self, id: i64) -> Value {
        let (s, a) = self.t.get(&self.worker, &format!("/api/v1/community/activities/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{a}");
        a
    }

    /// Asserts a refusal with `code` (and its words in both languages) that left activity
    /// `id` exactly as it was.
    async fn refused(&self, res: (StatusCode, Value), status: StatusCode, code: &str, id: i64, before: &Value) {
        assert_err(&res, status, code);
        let d = &res.1["error"]["details"];
        assert!(d["message_zh"].as_str().is_some_and(|m| m.chars().any(chuishao_i18n::is_han)), "{}", res.1);
        assert!(d["message_en"].as_str().is_some_and(|m| !m.chars().any(chuishao_i18n::is_han)), "{}", res.1);
        assert_eq!(&self.view(id).await, before, "refused {code} changed the activity");
    }

    async fn act(&self, id: i64, body: Value) -> (StatusCode, Value) {
        let version = self.view(id).await["version"].clone();
        let mut body = body;
        body["version"] = version;
        self.t.post(&self.worker, &format!("/api/v1/community/activities/{id}/transitions"), body).await
    }

    fn attendance(a: &Value, volunteer: i64) -> &Value {
        a["attendances"].as_array().unwrap().iter().find(|x| x["volunteer_id"] == volunteer).unwrap()
    }
}

#[tokio::test]
async fn a_whole_activity_from_publishing_to_hours() {
    let c = spawn().await;
    let start = MONDAY_9 + 120 * MIN;
    let a = c.publish(start, 120, 2).await;
    let id = a["id"].as_i64().unwrap();
    let (va, ta) = c.volunteer("王芳", "13900000001").await;
    let (vb, tb) = c.volunteer("刘强", "13900000002").await;
    let (_vc, tc) = c.volunteer("陈静", "13900000003").await;

    // Sign up on the public page's API; the third is past capacity.
    let (s, _) = c.t.get("", &format!("/api/v1/community/public/activities/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    for t in [&ta, &tb] {
        let (s, v) = c.t.post(t, &format!("/api/v1/community/activities/{id}/sign-up"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let before = c.view(id).await;
    assert_eq!(before["taken"], 2);
    let res = c.t.post(&tc, &format!("/api/v1/community/activities/{id}/sign-up"), json!({})).await;
    c.refused(res, StatusCode::CONFLICT, "activity_full", id, &before).await;
    let res = c.t.post(&ta, &format!("/api/v1/community/activities/{id}/sign-up"), json!({})).await;
    c.refused(res, StatusCode::CONFLICT, "already_signed_up", id, &before).await;

    // Before check-in opens (30 minutes before the start).
    c.t.clock.set(start - 40 * MIN);
    let early = c.qr(id).await;
    let res = c.scan(&ta, id, "check-in", &early, LAT).await;
    c.refused(res, StatusCode::CONFLICT, "activity_not_open", id, &before).await;

    // On site: far away, forged, then valid, then twice.
    c.t.clock.set(start - 10 * MIN);
    let t1 = c.qr(id).await;
    let res = c.scan(&ta, id, "check-in", &t1, FAR_LAT).await;
    c.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "too_far", id, &before).await;
    let mut forged = t1.clone();
    let last = if forged.ends_with('0') { '1' } else { '0' };
    forged.pop();
    forged.push(last);
    let res = c.scan(&ta, id, "check-in", &forged, LAT).await;
    c.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "qr_forged", id, &before).await;
    let other = c.publish(start, 60, 5).await;
    let other_token = c.qr(other["id"].as_i64().unwrap()).await;
    let res = c.scan(&ta, id, "check-in", &other_token, LAT).await;
    c.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "qr_forged", id, &before).await;
    let (s, v) = c.scan(&ta, id, "check-in", &t1, LAT).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let checked_in = c.view(id).await;
    let x = C::attendance(&checked_in, va);
    assert_eq!(x["status"], "checked_in");
    assert!(x["check_in_distance_m"].as_f64().unwrap() < 1.0, "{x}");
    assert_eq!(x["checked_in_at"], at(start - 10 * MIN));
    let res = c.scan(&ta, id, "check-in", &t1, LAT).await;
    c.refused(res, StatusCode::CONFLICT, "already_checked_in", id, &checked_in).await;

    // Two minutes later the first code has expired; a fresh one works.
    c.t.clock.set(start - 8 * MIN);
    let res = c.scan(&tb, id, "check-in", &t1, LAT).await;
    c.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "qr_expired", id, &checked_in).await;
    let t2 = c.qr(id).await;
    let (s, v) = c.scan(&tb, id, "check-in", &t2, LAT).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Check-out with the check-in's code is a replay; hours on an unconfirmed attendance are refused.
    c.t.clock.set(start + 95 * MIN);
    let before = c.view(id).await;
    let res = c.scan(&ta, id, "check-out", &t1, LAT).await;
    c.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "qr_replayed", id, &before).await;
    let res = c.act(id, json!({"action": "adjust", "volunteer_id": va, "half_hours": 2, "reason": "补记"})).await;
    c.refused(res, StatusCode::CONFLICT, "attendance_not_confirmed", id, &before).await;
    let t3 = c.qr(id).await;
    let (s, v) = c.scan(&ta, id, "check-out", &t3, LAT).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // After the end: the organiser confirms; hours in half-hour steps.
    c.t.clock.set(start + 125 * MIN);
    let (s, v) = c.act(id, json!({"action": "confirm", "volunteer_id": va})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(C::attendance(&v, va)["half_hours"], 3, "95 minutes from the start: three half-hours");
    assert_eq!(C::attendance(&v, va)["hours"], 1.5);
    let (s, v) = c.act(id, json!({"action": "confirm", "volunteer_id": vb, "half_hours": 4})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = c.act(id, json!({"action": "close"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("closed")), "{v}");

    // The volunteer's own page, and confirmed hours as the kindness exchange will read them.
    let (s, me) = c.t.get(&ta, "/api/v1/community/volunteers/me").await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!((me["total_half_hours"].as_i64(), me["total_hours"].as_f64()), (Some(3), Some(1.5)), "{me}");
    assert_eq!(me["sign_ups"][0]["status"], "confirmed");
    let service = c.t.app.community().confirmed_service(0).await.unwrap();
    let mut hours: Vec<(i64, i64)> = service.iter().map(|s| (s.volunteer_id, s.half_hours)).collect();
    hours.sort_unstable();
    assert_eq!(hours, vec![(va, 3), (vb, 4)]);

    // After the activity has closed: no check-in on the other one either once it ended.
    let other_id = other["id"].as_i64().unwrap();
    c.t.clock.set(start - 20 * MIN);
    let (s, v) = c.t.post(&tc, &format!("/api/v1/community/activities/{other_id}/sign-up"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    c.t.clock.set(start + 61 * MIN);
    let token = c.qr(other_id).await;
    let before = c.view(other_id).await;
    let res = c.scan(&tc, other_id, "check-in", &token, LAT).await;
    c.refused(res, StatusCode::CONFLICT, "activity_closed", other_id, &before).await;

    let report = c.t.app.ops().verify_projections().await.unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    c.t.stop().await;
}

#[tokio::test]
async fn the_public_activity_pages_show_what_is_coming_up_in_either_language() {
    let c = spawn().await;
    let a = c.publish(MONDAY_9 + 120 * MIN, 90, 12).await;
    let page = |path: String| {
        let client = c.t.client.clone();
        let url = c.t.url(&path);
        async move {
            let res = client.get(url).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let (s, zh) = page(format!("/activities/{}?lang=zh", a["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        zh.contains("周末大扫除") && zh.contains("环境清洁") && zh.contains("0 / 12") && zh.contains("11:00 – 12:30"),
        "{zh}"
    );
    assert!(!zh.contains("<script"), "the public pages need no JavaScript");
    let (s, en) = page(format!("/activities/{}?lang=en", a["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(en.contains("Clean-up") && en.contains("Places") && !en.contains("环境清洁"), "{en}");
    let (s, list) = page("/activities?lang=en".into()).await;
    assert!(s == StatusCode::OK && list.contains(&format!("/activities/{}?lang=en", a["id"])), "{list}");
    assert_eq!(page("/activities/999999".into()).await.0, StatusCode::NOT_FOUND);
    // Once it has ended it is gone from the public list.
    c.t.clock.set(MONDAY_9 + 300 * MIN);
    let (_, list) = page("/activities?lang=en".into()).await;
    assert!(!list.contains(&format!("/activities/{}?", a["id"])), "{list}");
    c.t.stop().await;
}

#[tokio::test]
async fn dual_check_in_posts_yearly_counts_and_scope() {
    let c = spawn().await;
    let w = &c.worker;
    let (s, org) = c
        .t
        .post(w, "/api/v1/community/party-orgs", json!({"community_code": COMMUNITY, "unit_name": "区人民医院",
            "org_name": "区人民医院党委", "contact_name": "赵敏", "contact_phone": "13700000000", "commitment_per_year": 2}))
        .await;
    assert_eq!((s, org["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{org}");
    let org_id = org["id"].as_i64().unwrap();
    let (s, org) = c
        .t
        .post(w, &format!("/api/v1/community/party-orgs/{org_id}/decision"), json!({"action": "confirm", "version": 1}))
        .await;
    assert_eq!((s, org["status"].as_str()), (StatusCode::OK, Some("confirmed")), "{org}");

    let member = json!({"community_code": COMMUNITY, "name": "李医生", "phone": "13800000001", "unit_name": "区人民医院",
        "party_org_id": org_id, "skills": ["medical", "mediation"], "availability": "周末", "commitment_per_year": 2});
    let (s, m) = c.t.post(w, "/api/v1/community/members", member.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let mid = m["id"].as_i64().unwrap();
    let (_, list) = c.t.get(w, "/api/v1/community/members").await;
    // Registering twice, an unknown skill: refused, nothing added.
    let res = c.t.post(w, "/api/v1/community/members", member.clone()).await;
    assert_err(&res, StatusCode::CONFLICT, "already_registered");
    let res = c
        .t
        .post(w, "/api/v1/community/members", patched(&member, json!({"phone": "13800000002", "skills": ["juggling"]})))
        .await;
    assert_invalid(&res, "skills");
    assert_eq!(c.t.get(w, "/api/v1/community/members").await.1, list);

    // Scope: another community's worker sees nothing of this one and cannot act on it.
    c.t.app
        .admin()
        .create_user(
            "worker_qnh",
            "青年湖社区工作人员",
            &[(chuishao_domain::access::Role::CommunityWorker, OTHER_COMMUNITY)],
        )
        .await
        .unwrap();
    let other = c.t.token("worker_qnh").await;
    assert_eq!(c.t.get(&other, &format!("/api/v1/community/members/{mid}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(c.t.get(&other, "/api/v1/community/members").await.1, json!([]));
    assert_eq!(c.t.get(&other, "/api/v1/community/party-orgs").await.1, json!([]));
    let res = c
        .t
        .post(&other, &format!("/api/v1/community/members/{mid}/decision"), json!({"action": "confirm", "version": 1}))
        .await;
    assert_err(&res, StatusCode::NOT_FOUND, "not_found");
    let res = c.t.post(&other, "/api/v1/community/members", patched(&member, json!({"phone": "13800000003"}))).await;
    assert_err(&res, StatusCode::FORBIDDEN, "forbidden");
    let res = c.t.get(&other, &format!("/api/v1/community/members?community_code={COMMUNITY}")).await;
    assert_invalid(&res, "community_code");

    // Posts by skill: a pending member may not hold one; the member with the skill may.
    let (s, post) =
        c.t.post(
            w,
            "/api/v1/community/posts",
            json!({"community_code": COMMUNITY, "name": "调解员", "skill": "mediation", "seats": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{post}");
    let pid = post["id"].as_i64().unwrap();
    let res =
        c.t.post(
            w,
            &format!("/api/v1/community/posts/{pid}/holders"),
            json!({"action": "assign", "member_id": mid, "version": 1}),
        )
        .await;
    assert_err(&res, StatusCode::CONFLICT, "member_not_confirmed");
    let (s, m) =
        c.t.post(w, &format!("/api/v1/community/members/{mid}/decision"), json!({"action": "confirm", "version": 1}))
            .await;
    assert_eq!((s, m["status"].as_str()), (StatusCode::OK, Some("confirmed")), "{m}");
    let (s, post) =
        c.t.post(
            w,
            &format!("/api/v1/community/posts/{pid}/holders"),
            json!({"action": "assign", "member_id": mid, "version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{post}");
    assert_eq!(post["holders"][0]["member_id"], mid);
    let res =
        c.t.post(
            w,
            &format!("/api/v1/community/posts/{pid}/holders"),
            json!({"action": "assign", "member_id": mid, "version": 2}),
        )
        .await;
    assert_err(&res, StatusCode::CONFLICT, "already_assigned");

    // The member serves through their volunteer account; the year counts against commitments.
    let (vid, _) = c.volunteer("李医生", "13800000001").await;
    for (n, start) in [(1, MONDAY_9 + 120 * MIN), (2, MONDAY_9 + 24 * 60 * MIN)] {
        c.t.clock.set(start - 60 * MIN);
        // A session lasts eight hours: sign in again the next day.
        let token = c.login("13800000001", "serve-2026!").await;
        let a = c.publish(start, 60, 10).await;
        let id = a["id"].as_i64().unwrap();
        let (s, v) = c.t.post(&token, &format!("/api/v1/community/activities/{id}/sign-up"), json!({})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        c.t.clock.set(start);
        let qr = c.qr(id).await;
        assert_eq!(c.scan(&token, id, "check-in", &qr, LAT).await.0, StatusCode::OK);
        c.t.clock.set(start + 61 * MIN);
        let (s, v) = c.act(id, json!({"action": "confirm", "volunteer_id": vid})).await;
        assert_eq!((s, C::attendance(&v, vid)["half_hours"].as_i64()), (StatusCode::OK, Some(2)), "{v}");
        let (s, y) = c.t.get(w, &format!("/api/v1/community/members/{mid}/year?year=2026")).await;
        assert_eq!(s, StatusCode::OK, "{y}");
        assert_eq!(
            (y["services"].as_i64(), y["remaining"].as_i64(), y["met"].as_bool()),
            (Some(n), Some(2 - n), Some(n == 2)),
            "{y}"
        );
        let (_, y) = c.t.get(w, &format!("/api/v1/community/party-orgs/{org_id}/year?year=2026")).await;
        assert_eq!(
            (y["services"].as_i64(), y["hours"].as_f64(), y["by_kind"]["cleanup"].as_i64()),
            (Some(n), Some(n as f64), Some(n)),
            "{y}"
        );
    }
    let (_, y) = c.t.get(w, &format!("/api/v1/community/members/{mid}/year?year=2025")).await;
    assert_eq!(y["services"], 0, "{y}");

    let report = c.t.app.ops().verify_projections().await.unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    c.t.stop().await;
}

#[tokio::test]
async fn volunteer_sign_in_never_reveals_a_phone_and_locks_out() {
    let c = spawn().await;
    let (_, _) = c.volunteer("周敏", "13900000009").await;
    let wrong =
        c.t.post("", "/api/v1/community/volunteers/login", json!({"phone": "13900000009", "password": "nope-nope-1"}))
            .await;
    let unknown =
        c.t.post("", "/api/v1/community/volunteers/login", json!({"phone": "13900000008", "password": "nope-nope-1"}))
            .await;
    assert_err(&wrong, StatusCode::UNAUTHORIZED, "login_failed");
    assert_eq!(wrong, unknown, "an unknown phone answers as a wrong password");
    // Two more failures, then even the right password waits (the staff login's backoff).
    for _ in 0..2 {
        let res =
            c.t.post("", "/api/v1/community/volunteers/login", json!({"phone": "13900000009", "password": "x"})).await;
        assert_err(&res, StatusCode::UNAUTHORIZED, "login_failed");
    }
    let res =
        c.t.post("", "/api/v1/community/volunteers/login", json!({"phone": "13900000009", "password": "serve-2026!"}))
            .await;
    assert_err(&res, StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    // A staff token is no volunteer, and an unconfirmed account cannot sign up.
    let (s, _) = c.t.get(&c.worker, "/api/v1/community/volunteers/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let body = json!({"community_code": COMMUNITY, "name": "新人", "phone": "13900000010", "password": "serve-2026!"});
    assert_eq!(c.t.post("", "/api/v1/community/volunteers", body.clone()).await.0, StatusCode::CREATED);
    let res = c.t.post("", "/api/v1/community/volunteers", body).await;
    assert_err(&res, StatusCode::CONFLICT, "already_registered");
    let pending = c.login("13900000010", "serve-2026!").await;
    let a = c.publish(MONDAY_9 + 120 * MIN, 60, 5).await;
    let res = c.t.post(&pending, &format!("/api/v1/community/activities/{}/sign-up", a["id"]), json!({})).await;
    assert_err(&res, StatusCode::CONFLICT, "volunteer_not_confirmed");
    c.t.stop().await;
}
