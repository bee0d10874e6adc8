//! Whistles (吹哨报到) through real HTTP. The clock is frozen and moved by the test; the timer
//! worker's tick is called directly.

use super::*;
use std::ops::Deref;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// The place of every whistle here (inside 和平街道).
const LAT: f64 = 39.974;
const LON: f64 = 116.396;

/// The server with whistle helpers (by whistle id), on a clock that stands still.
struct T(TestApp);

impl Deref for T {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.0
    }
}

async fn spawn() -> T {
    T(spawn_app_with(Options { frozen_clock: true, ..Options::default() }).await)
}

impl T {
    fn set(&self, at: i64) {
        self.clock.set(at);
    }
    async fn raise(&self, token: &str, body: Value) -> Value {
        let (s, w) = self.post(token, "/api/v1/whistles", body).await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        w
    }
    /// A transition on whistle `id` at the version the admin currently sees.
    async fn act(&self, token: &str, id: i64, action: &str, fields: Value) -> (StatusCode, Value) {
        let (_, w) = self.get(&self.token("admin").await, &format!("/api/v1/whistles/{id}")).await;
        let mut body = json!({"action": action, "version": w["version"]});
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post(token, &format!("/api/v1/whistles/{id}/transitions"), body).await
    }
    async fn ok(&self, token: &str, id: i64, action: &str, fields: Value) -> Value {
        let (s, w) = self.act(token, id, action, fields).await;
        assert_eq!(s, StatusCode::OK, "{action}: {w}");
        w
    }
    /// The whistle as the admin sees it and its number of events.
    async fn snapshot(&self, id: i64) -> (Value, usize) {
        let admin = self.token("admin").await;
        let (_, w) = self.get(&admin, &format!("/api/v1/whistles/{id}")).await;
        let (_, e) = self.get(&admin, &format!("/api/v1/whistles/{id}/events")).await;
        (w, e.as_array().unwrap().len())
    }
    /// Asserts a refusal with `code`, and that the whistle did not change.
    async fn refused(
        &self,
        res: (StatusCode, Value),
        status: StatusCode,
        code: &str,
        id: i64,
        before: &(Value, usize),
    ) {
        assert_eq!(res.0, status, "{}", res.1);
        assert_eq!(res.1["error"]["code"], code, "{}", res.1);
        assert_eq!(&self.snapshot(id).await, before, "a refused request changed the whistle");
    }
    async fn dept_id(&self, code: &str) -> i64 {
        self.app.admin().org_by_code(code).await.unwrap().unwrap().id.0
    }
    async fn stop(self) {
        self.0.stop().await;
    }
}

fn unit<'a>(w: &'a Value, code: &str) -> &'a Value {
    w["units"].as_array().unwrap().iter().find(|u| u["unit_code"] == code).unwrap()
}

fn here() -> Value {
    json!({"lat": LAT, "lon": LON})
}

fn with(mut a: Value, b: Value) -> Value {
    for (k, v) in b.as_object().unwrap() {
        a[k] = v.clone();
    }
    a
}

#[tokio::test]
async fn a_routine_whistle_on_a_case_with_three_departments_one_late_rated_and_scored() {
    let t = spawn().await;
    let leader = t.token("subdistrict_leader").await;
    let grid = t.token("grid_worker").await;
    let (cgzf, zjw, scjg) = (t.token("staff_cgzf").await, t.token("staff_zjw").await, t.token("staff_scjg").await);
    let (s, case) = t
        .post(
            &grid,
            "/api/v1/cases",
            json!({"description": "老旧小区违停严重", "category_code": "E0101", "grid_code": "110199001001001",
                   "lat": LAT, "lon": LON}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let body = json!({"kind": "routine", "title": "樱花园小区停车治理", "case_ids": [case["id"]],
        "lat": LAT, "lon": LON, "address": "樱花园小区东门",
        "units": [{"unit_code": "CGZF", "task": "清理违停"}, {"unit_code": "ZJW", "task": "规划停车位"},
                  {"unit_code": "SCJG", "task": "检查周边商户"}]});
    // Whistling a department that does not exist: refused, nothing written.
    let mut bad = body.clone();
    bad["units"][1]["unit_code"] = json!("NOPE");
    let (s, e) = t.post(&leader, "/api/v1/whistles", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "validation_failed");
    let (_, list) = t.get(&t.token("admin").await, "/api/v1/whistles").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    // A department staff may not whistle for the subdistrict.
    let (s, _) = t.post(&cgzf, "/api/v1/whistles", with(body.clone(), json!({"raised_by_code": "110199001"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let w = t.raise(&leader, body).await;
    let id = w["id"].as_i64().unwrap();
    assert_eq!(w["status"], "open");
    assert_eq!(w["raised_by_code"], "110199001");
    assert_eq!(w["units"].as_array().unwrap().len(), 3);
    // Routine: one working day, Tuesday 09:00.
    assert_eq!(unit(&w, "SCJG")["due_at"], "2026-11-03T09:00:00+08:00");

    // A department sees only its own task and may not see a whistle that does not summon it.
    let (s, mine) = t.get(&cgzf, &format!("/api/v1/whistles/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["units"].as_array().unwrap().len(), 1);
    assert_eq!(mine["units"][0]["unit_code"], "CGZF");
    let (s, _) = t.get(&t.token("staff_gaj").await, &format!("/api/v1/whistles/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, theirs) = t.get(&t.token("staff_gaj").await, "/api/v1/whistles").await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    t.set(MONDAY_9 + HOUR);
    for (tok, code) in [(&cgzf, "CGZF"), (&zjw, "ZJW"), (&scjg, "SCJG")] {
        t.ok(tok, id, "acknowledge", json!({"unit_code": code})).await;
    }
    t.ok(&cgzf, id, "check_in", with(here(), json!({"unit_code": "CGZF"}))).await;
    // Checking in twice: refused, nothing changed.
    let before = t.snapshot(id).await;
    let res = t.act(&cgzf, id, "check_in", with(here(), json!({"unit_code": "CGZF"}))).await;
    t.refused(res, StatusCode::CONFLICT, "illegal_transition", id, &before).await;
    // Acting for another department: refused.
    let res = t.act(&cgzf, id, "acknowledge", json!({"unit_code": "ZJW"})).await;
    t.refused(res, StatusCode::FORBIDDEN, "forbidden", id, &before).await;
    // A stale version: refused.
    let res = t
        .post(
            &zjw,
            &format!("/api/v1/whistles/{id}/transitions"),
            json!({"action": "reply", "version": 1, "unit_code": "ZJW", "text": "x"}),
        )
        .await;
    t.refused(res, StatusCode::CONFLICT, "version_conflict", id, &before).await;

    t.set(MONDAY_9 + 2 * HOUR);
    let w = t.ok(&zjw, id, "reply", json!({"unit_code": "ZJW", "text": "已列入停车位改造计划（书面答复）"})).await;
    assert_eq!(unit(&w, "ZJW")["status"], "replied");
    assert_eq!(unit(&w, "ZJW")["late"], false);

    // SCJG checks in on Tuesday 11:00: late by two hours.
    t.set(MONDAY_9 + 26 * HOUR);
    let w = t.ok(&scjg, id, "check_in", with(here(), json!({"unit_code": "SCJG"}))).await;
    assert_eq!(unit(&w, "SCJG")["late"], true);
    assert_eq!(unit(&w, "SCJG")["minutes_late"], 120);

    t.ok(&cgzf, id, "report_done", json!({"unit_code": "CGZF", "report": "清理违停12辆", "photos": ["photo:a1"]}))
        .await;
    t.ok(&zjw, id, "report_done", json!({"unit_code": "ZJW", "report": "方案已报批"})).await;
    // Rating before the unit is done, and confirming while a unit is still out: refused.
    let before = t.snapshot(id).await;
    let res = t.act(&leader, id, "rate", json!({"unit_code": "SCJG", "score": 5})).await;
    t.refused(res, StatusCode::CONFLICT, "illegal_transition", id, &before).await;
    let res = t.act(&leader, id, "confirm", json!({})).await;
    t.refused(res, StatusCode::CONFLICT, "illegal_transition", id, &before).await;
    t.ok(
        &scjg,
        id,
        "report_done",
        json!({"unit_code": "SCJG", "report": "检查商户8家", "photos": ["photo:b1", "photo:b2"]}),
    )
    .await;
    let w = t.ok(&leader, id, "confirm", json!({})).await;
    assert_eq!(w["status"], "closed");

    // Rating rules: 7 is refused, below 4 needs a reason, a department may not rate.
    let before = t.snapshot(id).await;
    let res = t.act(&leader, id, "rate", json!({"unit_code": "CGZF", "score": 7})).await;
    t.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", id, &before).await;
    let res = t.act(&leader, id, "rate", json!({"unit_code": "SCJG", "score": 3})).await;
    t.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", id, &before).await;
    let res = t.act(&cgzf, id, "rate", json!({"unit_code": "CGZF", "score": 5})).await;
    t.refused(res, StatusCode::FORBIDDEN, "forbidden", id, &before).await;
    t.ok(&leader, id, "rate", json!({"unit_code": "CGZF", "score": 5})).await;
    t.ok(&leader, id, "rate", json!({"unit_code": "ZJW", "score": 4})).await;
    let w = t.ok(&leader, id, "rate", json!({"unit_code": "SCJG", "score": 3, "reason": "到场迟了两小时"})).await;
    assert_eq!(unit(&w, "SCJG")["rating"], 3);

    // The linked case kept its own lifecycle.
    let (_, c) = t.get(&t.token("admin").await, &format!("/api/v1/cases/{}", case["id"])).await;
    assert_eq!(c["status"], "received");
    assert_eq!(c["version"], case["version"]);
    // The events are in the chain, stream by stream.
    let (_, events) = t.get(&leader, &format!("/api/v1/whistles/{id}/events")).await;
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[0], "whistle_raised");
    assert_eq!(kinds.iter().filter(|k| **k == "whistle_rated").count(), 3);
    assert!(t.store.verify_chain().await.unwrap().first_break.is_none());

    // Scorecards against hand-computed values.
    let scjg_id = t.dept_id("SCJG").await;
    let (s, card) = t.get(&scjg, &format!("/api/v1/departments/{scjg_id}/scorecard?month=2026-11")).await;
    assert_eq!(s, StatusCode::OK, "{card}");
    assert_eq!(card["whistles_received"], 1);
    assert_eq!(card["on_time_check_in_rate"], 0.0);
    assert_eq!(card["median_minutes_to_check_in"], 1560.0); // Monday 09:00 → Tuesday 11:00
    assert_eq!(card["completion_rate"], 1.0);
    assert_eq!(card["mean_rating"], 3.0);
    let (s, _) = t.get(&cgzf, &format!("/api/v1/departments/{scjg_id}/scorecard?month=2026-11")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.get(&cgzf, "/api/v1/whistles/scorecards?month=2026-11").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = t.get(&scjg, &format!("/api/v1/departments/{scjg_id}/scorecard?month=2026-13")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, page) = t.get(&t.token("dispatcher").await, "/api/v1/whistles/scorecards?month=2026-11").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let ranked: Vec<&str> = page["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["department_code"].as_str().unwrap())
        .take(3)
        .collect();
    assert_eq!(ranked, ["CGZF", "ZJW", "SCJG"]);
    let cg = &page["departments"][0];
    assert_eq!(cg["median_minutes_to_check_in"], 60.0);
    assert_eq!(cg["on_time_check_in_rate"], 1.0);
    let heping =
        page["subdistricts"].as_array().unwrap().iter().find(|s| s["subdistrict_code"] == "110199001").unwrap();
    assert_eq!(heping["whistles"], 1);
    assert_eq!(heping["cases"], 1);
    assert_eq!(heping["whistles_per_1000_cases"], 1000.0);
    assert_eq!(heping["district_median"], 1000.0);
    assert_eq!(heping["against_median"], "at");
    let (_, october) = t.get(&t.token("dispatcher").await, "/api/v1/whistles/scorecards?month=2026-10").await;
    assert_eq!(october["departments"][0]["whistles_received"], 0);
    t.stop().await;
}

#[tokio::test]
async fn an_emergency_whistle_gives_thirty_minutes_and_flags_a_far_check_in() {
    let t = spawn().await;
    let leader = t.token("subdistrict_leader").await;
    let gaj = t.token("staff_gaj").await;
    let cgzf = t.token("staff_cgzf").await;
    let w = t
        .raise(
            &leader,
            json!({"kind": "emergency", "title": "燃气泄漏", "lat": LAT, "lon": LON, "address": "青年湖社区5号楼",
                   "units": [{"unit_code": "GAJ-HP", "task": "疏散群众"}, {"unit_code": "CGZF", "task": "现场管控"}]}),
        )
        .await;
    let id = w["id"].as_i64().unwrap();
    assert_eq!(unit(&w, "GAJ-HP")["due_at"], "2026-11-02T09:30:00+08:00");
    t.set(MONDAY_9 + 5 * MIN);
    t.ok(&gaj, id, "acknowledge", json!({"unit_code": "GAJ-HP"})).await;
    t.ok(&cgzf, id, "acknowledge", json!({"unit_code": "CGZF"})).await;
    // Replying is for routine whistles; checking in far away needs a note.
    let before = t.snapshot(id).await;
    let res = t.act(&gaj, id, "reply", json!({"unit_code": "GAJ-HP", "text": "书面答复"})).await;
    t.refused(res, StatusCode::CONFLICT, "illegal_transition", id, &before).await;
    let far = json!({"unit_code": "GAJ-HP", "lat": LAT + 0.01, "lon": LON});
    let res = t.act(&gaj, id, "check_in", far.clone()).await;
    t.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", id, &before).await;
    t.set(MONDAY_9 + 20 * MIN);
    let w = t.ok(&gaj, id, "check_in", with(far, json!({"note": "外围封控点报到"}))).await;
    let u = unit(&w, "GAJ-HP");
    assert_eq!(u["far"], true);
    assert_eq!(u["late"], false);
    assert!(u["distance_m"].as_f64().unwrap() > 1000.0);
    t.set(MONDAY_9 + 31 * MIN);
    let w = t.ok(&cgzf, id, "check_in", with(here(), json!({"unit_code": "CGZF"}))).await;
    assert_eq!(unit(&w, "CGZF")["late"], true);
    assert_eq!(unit(&w, "CGZF")["minutes_late"], 1);
    // Cancel needs a reason; then nothing more happens.
    let before = t.snapshot(id).await;
    let res = t.act(&leader, id, "cancel", json!({})).await;
    t.refused(res, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", id, &before).await;
    let w = t.ok(&leader, id, "cancel", json!({"reason": "误报"})).await;
    assert_eq!(w["status"], "cancelled");
    let before = t.snapshot(id).await;
    let res = t.act(&gaj, id, "report_done", json!({"unit_code": "GAJ-HP", "report": "x"})).await;
    t.refused(res, StatusCode::CONFLICT, "illegal_transition", id, &before).await;
    t.stop().await;
}

#[tokio::test]
async fn a_department_that_never_checks_in_is_escalated_level_by_level_until_it_does() {
    let t = spawn().await;
    let admin = t.token("admin").await;
    let leader = t.token("subdistrict_leader").await;
    let (s, sub) = t
        .post(&admin, "/api/v1/notifications/subscriptions",
            json!({"name": "生态环境局值班群", "channel": "webhook", "url": "http://127.0.0.1:9/hook", "org_code": "SHJ"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let w = t
        .raise(
            &leader,
            json!({"kind": "joint_enforcement", "title": "餐饮油烟联合执法", "lat": LAT, "lon": LON, "address": "幸福路12号",
                   "units": [{"unit_code": "SHJ", "task": "油烟检测"}, {"unit_code": "SCJG", "task": "证照检查"}]}),
        )
        .await;
    let id = w["id"].as_i64().unwrap();
    // Summoned: notified at once.
    let (_, d) = t.get(&admin, "/api/v1/notifications/deliveries").await;
    let kinds: Vec<&str> = d.as_array().unwrap().iter().map(|x| x["event_kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["whistle_raised"]);
    // The delivery names the whistle as a whistle, not as a case.
    let first = &d[0];
    let named = (first["stream"].as_str(), first["stream_id"].as_i64(), first["case_id"].as_i64());
    assert_eq!(named, (Some("whistle"), Some(id), Some(0)), "{first}");
    // Two working hours: due 11:00 (on time check-in for SCJG).
    assert_eq!(unit(&w, "SHJ")["due_at"], "2026-11-02T11:00:00+08:00");
    let scjg = t.token("staff_scjg").await;
    t.ok(&scjg, id, "acknowledge", json!({"unit_code": "SCJG"})).await;
    t.ok(&scjg, id, "check_in", with(here(), json!({"unit_code": "SCJG"}))).await;
    let version = t.snapshot(id).await.0["version"].clone();
    t.set(MONDAY_9 + 2 * HOUR - 1);
    t.app.calendar().timer_tick(MONDAY_9 + 2 * HOUR - 1).await.unwrap();
    assert_eq!(unit(&t.snapshot(id).await.0, "SHJ")["overdue"], false);
    t.set(MONDAY_9 + 3 * HOUR);
    let r = t.app.calendar().timer_tick(MONDAY_9 + 3 * HOUR).await.unwrap();
    assert_eq!(r.overdue, 1);
    assert_eq!(r.supervisions, 1);
    let (w, n) = t.snapshot(id).await;
    assert_eq!(w["version"], version, "system events do not bump the version");
    let shj = unit(&w, "SHJ");
    assert_eq!(shj["overdue"], true);
    assert_eq!(shj["supervisions"], 1);
    assert_eq!(shj["minutes_late"], 60);
    assert_eq!(unit(&w, "SCJG")["overdue"], false);
    let (_, events) = t.get(&admin, &format!("/api/v1/whistles/{id}/events")).await;
    let sup = events.as_array().unwrap().iter().find(|e| e["kind"] == "whistle_supervised").unwrap();
    assert_eq!(sup["data"]["unit"], "SHJ");
    assert!(sup["data"]["to_org_id"].is_i64(), "{sup}");
    assert_eq!(sup["data"]["level"], 1, "{sup}");
    // Level 2 (the district) three working days overdue: Thursday 5 November, 11:00.
    let level2 = MONDAY_9 + 3 * 24 * HOUR + 2 * HOUR;
    assert_eq!(sup["data"]["next_at"], level2, "{sup}");
    assert_eq!(delivery_kinds(&t, &admin).await, ["whistle_check_in_overdue", "whistle_raised", "whistle_supervised"]);
    // Not again before level 2 (no repetition per check-in period)…
    t.set(level2 - 1);
    let r = t.app.calendar().timer_tick(level2 - 1).await.unwrap();
    assert_eq!((r.overdue, r.supervisions), (0, 0));
    assert_eq!(t.snapshot(id).await.1, n);
    // …escalated (and the unit notified again) once it has come due, without a second overdue.
    t.set(level2);
    let r = t.app.calendar().timer_tick(level2).await.unwrap();
    assert_eq!((r.overdue, r.supervisions), (0, 1));
    let (w, n2) = t.snapshot(id).await;
    assert_eq!(n2, n + 1);
    assert_eq!(w["version"], version);
    assert_eq!(unit(&w, "SHJ")["supervisions"], 2);
    assert_eq!(
        delivery_kinds(&t, &admin).await,
        ["whistle_check_in_overdue", "whistle_raised", "whistle_supervised", "whistle_supervised"]
    );
    let (_, events) = t.get(&admin, &format!("/api/v1/whistles/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["data"]["level"].as_i64()), (Some("whistle_supervised"), Some(2)));
    // Once it checks in (late), supervision stops.
    let shj = t.token("staff_shj").await;
    t.set(level2 + HOUR);
    t.ok(&shj, id, "acknowledge", json!({"unit_code": "SHJ"})).await;
    let w = t.ok(&shj, id, "check_in", with(here(), json!({"unit_code": "SHJ"}))).await;
    assert_eq!(unit(&w, "SHJ")["late"], true);
    let (_, n3) = t.snapshot(id).await;
    let r = t.app.calendar().timer_tick(level2 + 48 * HOUR).await.unwrap();
    assert_eq!((r.overdue, r.supervisions), (0, 0));
    assert_eq!(t.snapshot(id).await.1, n3);
    assert_eq!(
        delivery_kinds(&t, &admin).await.len(),
        6,
        "raised, overdue, two supervisions, acknowledged, checked in"
    );

    // A whistle that is cancelled stops being supervised too.
    let w = t
        .raise(
            &leader,
            json!({"kind": "emergency", "title": "井盖缺失", "lat": LAT, "lon": LON, "address": "幸福路3号",
                   "units": [{"unit_code": "SHJ", "task": "到场"}]}),
        )
        .await;
    let id2 = w["id"].as_i64().unwrap();
    let at = level2 + HOUR + 40 * MIN;
    t.set(at);
    let r = t.app.calendar().timer_tick(at).await.unwrap();
    assert_eq!((r.overdue, r.supervisions), (1, 1));
    t.ok(&leader, id2, "cancel", json!({"reason": "已由物业处理"})).await;
    let (_, n4) = t.snapshot(id2).await;
    t.app.calendar().timer_tick(at + 10 * HOUR).await.unwrap();
    assert_eq!(t.snapshot(id2).await.1, n4, "nothing fires on a cancelled whistle");
    // The open board: SHJ still out, an hour late.
    let (_, open) = t.get(&leader, "/api/v1/whistles?status=open").await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let (s, _) = t.get(&leader, "/api/v1/whistles?status=nope").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    t.stop().await;
}

/// The event kinds of every notification delivery, sorted.
async fn delivery_kinds(t: &T, admin: &str) -> Vec<String> {
    let (_, d) = t.get(admin, "/api/v1/notifications/deliveries").await;
    let mut kinds: Vec<String> =
        d.as_array().unwrap().iter().map(|x| x["event_kind"].as_str().unwrap().to_string()).collect();
    kinds.sort_unstable();
    kinds
}

/// The board of 和平街道 as `token` sees it.
async fn board(t: &T, token: &str) -> Value {
    let (s, b) = t.get(token, "/api/v1/whistles/board?subdistrict=110199001").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

fn board_whistle(b: &Value, id: i64) -> Option<&Value> {
    b["whistles"].as_array().unwrap().iter().find(|w| w["id"] == id)
}

#[tokio::test]
async fn the_board_shows_open_whistles_who_is_out_and_how_late_in_scope() {
    let t = spawn().await;
    let leader = t.token("subdistrict_leader").await;
    let (cgzf, zjw) = (t.token("staff_cgzf").await, t.token("staff_zjw").await);
    let place = json!({"lat": LAT, "lon": LON, "address": "樱花园小区"});
    let emergency = t
        .raise(
            &leader,
            with(
                place.clone(),
                json!({"kind": "emergency", "title": "燃气泄漏",
                "units": [{"unit_code": "CGZF", "task": "封控"}, {"unit_code": "ZJW", "task": "排查"},
                          {"unit_code": "SCJG", "task": "检查商户"}]}),
            ),
        )
        .await;
    let routine = t
        .raise(
            &leader,
            with(
                place.clone(),
                json!({"kind": "routine", "title": "停车治理", "units": [{"unit_code": "GAJ", "task": "疏导"}]}),
            ),
        )
        .await;
    let cancelled = t
        .raise(
            &leader,
            with(place, json!({"kind": "routine", "title": "误报", "units": [{"unit_code": "GAJ", "task": "-"}]})),
        )
        .await;
    let (e, r, c) =
        (emergency["id"].as_i64().unwrap(), routine["id"].as_i64().unwrap(), cancelled["id"].as_i64().unwrap());
    t.ok(&leader, c, "cancel", json!({"reason": "重复上报"})).await;
    // Due 09:30. CGZF on site at 09:20 (on time), ZJW at 09:45 (15 minutes late), SCJG still
    // out at 10:10 (40 minutes late).
    t.ok(&cgzf, e, "acknowledge", json!({"unit_code": "CGZF"})).await;
    t.ok(&zjw, e, "acknowledge", json!({"unit_code": "ZJW"})).await;
    t.set(MONDAY_9 + 20 * MIN);
    t.ok(&cgzf, e, "check_in", with(here(), json!({"unit_code": "CGZF"}))).await;
    t.set(MONDAY_9 + 45 * MIN);
    t.ok(&zjw, e, "check_in", with(here(), json!({"unit_code": "ZJW"}))).await;
    t.set(MONDAY_9 + 70 * MIN);

    let b = board(&t, &leader).await;
    assert_eq!(b["subdistrict_code"], "110199001");
    assert_eq!(b["as_of"], "2026-11-02T10:10:00+08:00");
    assert_eq!(b["open_whistles"], 2, "{b}");
    assert!(board_whistle(&b, c).is_none(), "a cancelled whistle is off the board");
    assert_eq!(b["units_out"], 2, "SCJG and GAJ");
    assert_eq!(b["units_overdue"], 1, "SCJG only: GAJ is due tomorrow");
    let w = board_whistle(&b, e).unwrap();
    assert_eq!(w["units_out"], 1);
    let expect = [("CGZF", true, 0, false), ("ZJW", true, 15, true), ("SCJG", false, 40, false)];
    for (code, checked_in, minutes, late) in expect {
        let u = unit(w, code);
        assert_eq!(u["checked_in"], checked_in, "{code}: {u}");
        assert_eq!(u["minutes_late"], minutes, "{code}: {u}");
        assert_eq!(u["late"], late, "{code}: {u}");
        assert_eq!(u["due_at"], "2026-11-02T09:30:00+08:00");
    }
    let g = unit(board_whistle(&b, r).unwrap(), "GAJ");
    assert_eq!((g["checked_in"].as_bool(), g["minutes_late"].as_i64()), (Some(false), Some(0)));
    // An hour later SCJG is 100 minutes late.
    t.set(MONDAY_9 + 130 * MIN);
    let b = board(&t, &leader).await;
    assert_eq!(unit(board_whistle(&b, e).unwrap(), "SCJG")["minutes_late"], 100);

    // The district sees all; a department only the whistles summoning it, only its unit.
    assert_eq!(board(&t, &t.token("admin").await).await["open_whistles"], 2);
    let mine = board(&t, &cgzf).await;
    assert_eq!(mine["open_whistles"], 1, "{mine}");
    let units = board_whistle(&mine, e).unwrap()["units"].as_array().unwrap().clone();
    assert_eq!(units.len(), 1);
    assert_eq!(units[0]["unit_code"], "CGZF");
    let gaj = board(&t, &t.token("staff_gaj").await).await;
    assert_eq!(gaj["open_whistles"], 1);
    assert!(board_whistle(&gaj, r).is_some());
    assert_eq!(board(&t, &t.token("staff_swj").await).await["open_whistles"], 0);
    // Another subdistrict's leader sees none of Heping's whistles.
    let other = t.app.admin().org_by_code("110199002").await.unwrap().expect("a second subdistrict");
    t.app
        .admin()
        .create_user(
            "leader_2",
            "另一街道负责人",
            &[(chuishao_domain::access::Role::SubdistrictLeader, other.code.as_str())],
        )
        .await
        .unwrap();
    assert_eq!(board(&t, &t.token("leader_2").await).await["open_whistles"], 0);

    // Bad input: a department's code, an unknown code, no code.
    for q in ["subdistrict=CGZF", "subdistrict=999", ""] {
        let (s, v) = t.get(&leader, &format!("/api/v1/whistles/board?{q}")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {v}");
    }
    t.stop().await;
}

/// An emergency whistle at the place summoning CGZF and ZJW, raised by `token`; its id.
async fn gas_leak(t: &T, token: &str) -> i64 {
    let w = t
        .raise(
            token,
            json!({"kind": "emergency", "title": "燃气泄漏", "lat": LAT, "lon": LON, "address": "樱花园小区",
               "units": [{"unit_code": "CGZF", "task": "封控"}, {"unit_code": "ZJW", "task": "排查"}]}),
        )
        .await;
    w["id"].as_i64().unwrap()
}

/// Reads server-sent events until a `board` event whose data satisfies `ok`.
async fn next_board(res: &mut reqwest::Response, buf: &mut String, ok: impl Fn(&Value) -> bool) -> Value {
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            while let Some(end) = buf.find("\n\n") {
                let ev: String = buf.drain(..end + 2).collect();
                if !ev.contains("event: board") {
                    continue;
                }
                let data: String = ev.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
                let b: Value = serde_json::from_str(&data).unwrap();
                if ok(&b) {
                    return b;
                }
            }
            let chunk = res.chunk().await.unwrap().expect("stream ended");
            buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no matching board; buffered {buf}"))
}

#[tokio::test]
async fn the_board_stream_pushes_a_fresh_board_after_a_check_in() {
    let t = spawn().await;
    let leader = t.token("subdistrict_leader").await;
    let id = gas_leak(&t, &leader).await;
    let mut res = t
        .client
        .get(format!("{}/api/v1/whistles/board/stream?subdistrict=110199001", t.base))
        .bearer_auth(&leader)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut buf = String::new();
    let first = next_board(&mut res, &mut buf, |_| true).await;
    assert_eq!(unit(board_whistle(&first, id).unwrap(), "CGZF")["checked_in"], false);
    // The check-in through the API reaches the stream.
    t.set(MONDAY_9 + 40 * MIN);
    let cgzf = t.token("staff_cgzf").await;
    t.ok(&cgzf, id, "acknowledge", json!({"unit_code": "CGZF"})).await;
    let acked = next_board(&mut res, &mut buf, |b| {
        board_whistle(b, id).is_some_and(|w| unit(w, "CGZF")["status"] == "acknowledged")
    })
    .await;
    assert_eq!(unit(board_whistle(&acked, id).unwrap(), "CGZF")["checked_in"], false);
    t.ok(&cgzf, id, "check_in", with(here(), json!({"unit_code": "CGZF"}))).await;
    let b =
        next_board(&mut res, &mut buf, |b| board_whistle(b, id).is_some_and(|w| unit(w, "CGZF")["checked_in"] == true))
            .await;
    let u = unit(board_whistle(&b, id).unwrap(), "CGZF");
    assert_eq!((u["minutes_late"].as_i64(), u["late"].as_bool()), (Some(10), Some(true)));
    assert_eq!(unit(board_whistle(&b, id).unwrap(), "ZJW")["minutes_late"], 10);
    // Unauthenticated: refused.
    let res =
        t.client.get(format!("{}/api/v1/whistles/board/stream?subdistrict=110199001", t.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[tokio::test]
async fn a_configured_default_check_in_time_is_used_for_its_kind() {
    let t = spawn().await;
    let policy = chuishao_domain::whistle::WhistlePolicy::parse("emergency = \"20m\"\nroutine = \"2wd\"").unwrap();
    t.app.calendar().set_whistle_policy(policy);
    let leader = t.token("subdistrict_leader").await;
    let raise = |kind: &str, within: Option<&str>| {
        let mut body = json!({"kind": kind, "title": "占道经营", "lat": LAT, "lon": LON, "address": "幸福路",
                              "units": [{"unit_code": "CGZF", "task": "到场"}]});
        if let Some(w) = within {
            body["check_in_within"] = json!(w);
        }
        body
    };
    let e = t.raise(&leader, raise("emergency", None)).await;
    assert_eq!(unit(&e, "CGZF")["due_at"], "2026-11-02T09:20:00+08:00", "the configured 20 minutes");
    let r = t.raise(&leader, raise("routine", None)).await;
    assert_eq!(unit(&r, "CGZF")["due_at"], "2026-11-04T09:00:00+08:00", "the configured 2 working days");
    let j = t.raise(&leader, raise("joint_enforcement", None)).await;
    assert_eq!(unit(&j, "CGZF")["due_at"], "2026-11-02T11:00:00+08:00", "a kind left out keeps its default");
    let o = t.raise(&leader, raise("emergency", Some("45m"))).await;
    assert_eq!(unit(&o, "CGZF")["due_at"], "2026-11-02T09:45:00+08:00", "a whistle's own time still wins");
    // Supervision escalates by levels, not by the configured time: level 2 three working days
    // after the deadline (Thursday 09:20).
    t.set(MONDAY_9 + 20 * MIN);
    t.app.calendar().timer_tick(MONDAY_9 + 20 * MIN).await.unwrap();
    let admin = t.token("admin").await;
    let (_, events) = t.get(&admin, &format!("/api/v1/whistles/{}/events", e["id"])).await;
    let sup = events.as_array().unwrap().iter().find(|x| x["kind"] == "whistle_supervised").unwrap().clone();
    assert_eq!(sup["data"]["next_at"], MONDAY_9 + 3 * 24 * HOUR + 20 * MIN);
    t.stop().await;
}

#[tokio::test]
async fn the_board_follows_where_the_whistle_takes_place() {
    let t = spawn().await;
    let leader = t.token("subdistrict_leader").await;
    let admin = t.token("admin").await;
    // A point in 东湖街道's first grid, raised by 和平街道's leader.
    let (lat, lon) = (39.974, 116.4093);
    let located = t.app.grids().locate(lon, lat).await.unwrap();
    assert_eq!(located.subdistrict.as_ref().map(|s| s.code.as_str()), Some("110199002"), "{located:?}");
    let body = |lat: f64, lon: f64, title: &str| {
        json!({"kind": "emergency", "title": title, "lat": lat, "lon": lon, "address": "两街道交界处",
               "units": [{"unit_code": "CGZF", "task": "到场"}]})
    };
    let there = t.raise(&leader, body(lat, lon, "东湖的井盖")).await["id"].as_i64().unwrap();
    // Outside every grid: the raiser's own subdistrict.
    let nowhere = t.raise(&leader, body(30.0, 100.0, "辖区外")).await["id"].as_i64().unwrap();
    let donghu = |token: String| {
        let t = &t;
        async move {
            let (s, b) = t.get(&token, "/api/v1/whistles/board?subdistrict=110199002").await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b
        }
    };
    let b = donghu(admin.clone()).await;
    assert!(board_whistle(&b, there).is_some(), "{b}");
    assert!(board_whistle(&b, nowhere).is_none());
    assert!(board_whistle(&donghu(leader.clone()).await, there).is_some(), "the raiser follows it there");
    // The subdistrict it takes place in sees it, every unit, though it did not raise it.
    t.app
        .admin()
        .create_user("leader_dh", "东湖街道负责人", &[(chuishao_domain::access::Role::SubdistrictLeader, "110199002")])
        .await
        .unwrap();
    let dh = t.token("leader_dh").await;
    assert_eq!(board_whistle(&donghu(dh.clone()).await, there).unwrap()["units"].as_array().unwrap().len(), 1);
    let (s, _) = t.get(&dh, &format!("/api/v1/whistles/{there}")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t.get(&dh, &format!("/api/v1/whistles/{nowhere}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a whistle elsewhere stays out of its scope");
    let heping = board(&t, &admin).await;
    assert!(board_whistle(&heping, there).is_none(), "not on the raiser's board: it takes place elsewhere");
    assert!(board_whistle(&heping, nowhere).is_some(), "{heping}");
    // The other subdistrict's live board follows it.
    let mut res = t
        .client
        .get(format!("{}/api/v1/whistles/board/stream?subdistrict=110199002", t.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let mut buf = String::new();
    next_board(&mut res, &mut buf, |b| board_whistle(b, there).is_some()).await;
    let cgzf = t.token("staff_cgzf").await;
    t.ok(&cgzf, there, "acknowledge", json!({"unit_code": "CGZF"})).await;
    next_board(&mut res, &mut buf, |b| {
        board_whistle(b, there).is_some_and(|w| unit(w, "CGZF")["status"] == "acknowledged")
    })
    .await;
    t.stop().await;
}

// ---------------------------------------------------------------- the console's whistle pages

const CSRF: &str = "0123456789abcdef0123456789abcdef";

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs `user` in to the console; returns the session cookie's value.
async fn console_login(t: &T, user: &str) -> String {
    let res = browser()
        .post(format!("{}/login", t.base))
        .header("cookie", format!("csrf={CSRF}"))
        .form(&[
            ("csrf", CSRF),
            ("username", user),
            ("password", chuishao_app::admin::accounts::DEMO_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{user} signs in");
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("sid=").map(|v| v.split(';').next().unwrap_or("").to_string()))
        .unwrap()
}

async fn console_get(t: &T, sid: &str, path: &str) -> (StatusCode, String) {
    let res = browser()
        .get(format!("{}{path}", t.base))
        .header("cookie", format!("sid={sid}; csrf={CSRF}"))
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn console_act(t: &T, sid: &str, id: i64, fields: &[(&str, &str)], with_csrf: bool) -> (StatusCode, String) {
    let mut form = fields.to_vec();
    if with_csrf {
        form.push(("csrf", CSRF));
    }
    let res = browser()
        .post(format!("{}/console/whistles/{id}/act", t.base))
        .header("cookie", format!("sid={sid}; csrf={CSRF}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// The `data-action` forms of a whistle page, as (action, unit).
fn forms(page: &str) -> Vec<(String, String)> {
    page.split("data-action=\"")
        .skip(1)
        .map(|rest| {
            let action = rest.split('"').next().unwrap().to_string();
            let unit = rest.split("data-unit=\"").nth(1).and_then(|u| u.split('"').next()).unwrap_or("").to_string();
            (action, unit)
        })
        .collect()
}

#[tokio::test]
async fn the_console_whistle_pages_follow_scope_csrf_and_the_domain_rules() {
    let t = spawn().await;
    let leader = t.token("subdistrict_leader").await;
    let id = gas_leak(&t, &leader).await;
    let path = format!("/console/whistles/{id}");

    // Department A (not summoned) may not open it; B sees its own unit's actions only.
    let scjg = console_login(&t, "staff_scjg").await;
    let (s, body) = console_get(&t, &scjg, &path).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let cgzf = console_login(&t, "staff_cgzf").await;
    let (s, page) = console_get(&t, &cgzf, &path).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(forms(&page), [("acknowledge".to_string(), "CGZF".to_string())], "exactly what the rules allow");
    assert!(!page.contains("unit-ZJW"), "another department's unit is not shown");

    // A form post without its CSRF token is refused and changes nothing.
    let before = t.snapshot(id).await;
    let ack = [("action", "acknowledge"), ("version", "1"), ("unit_code", "CGZF")];
    let (s, _) = console_act(&t, &cgzf, id, &ack, false).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(t.snapshot(id).await, before);
    let (s, _) = console_act(&t, &cgzf, id, &ack, true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // A stale version: the someone-else-changed-this page with the fresh state, nothing changed.
    let before = t.snapshot(id).await;
    let lat = LAT.to_string();
    let lon = LON.to_string();
    let check_in = |v: &'static str| {
        vec![
            ("action", "check_in"),
            ("version", v),
            ("unit_code", "CGZF"),
            ("lat", lat.as_str()),
            ("lon", lon.as_str()),
        ]
    };
    let (s, page) = console_act(&t, &cgzf, id, &check_in("1"), true).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("其他人刚刚修改了此吹哨"), "{page}");
    assert_eq!(forms(&page), [("check_in".to_string(), "CGZF".to_string())], "the fresh state's actions");
    assert_eq!(t.snapshot(id).await, before);
    t.set(MONDAY_9 + 40 * MIN);
    let (s, _) = console_act(&t, &cgzf, id, &check_in("2"), true).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = console_get(&t, &cgzf, &path).await;
    assert!(page.contains("data-flag=\"late\""), "a late check-in is flagged");
    assert_eq!(forms(&page), [("report_done".to_string(), "CGZF".to_string())]);
    // A department cannot rate (nor confirm or cancel).
    let (s, _) = console_act(
        &t,
        &cgzf,
        id,
        &[("action", "rate"), ("version", "3"), ("unit_code", "CGZF"), ("score", "5")],
        true,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = console_act(&t, &cgzf, id, &[("action", "cancel"), ("version", "3"), ("reason", "x")], true).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The leader may cancel; no unit actions.
    let lead = console_login(&t, "subdistrict_leader").await;
    let (_, page) = console_get(&t, &lead, &path).await;
    assert_eq!(forms(&page), [("cancel".to_string(), String::new())]);

    // The board: the leader's subdistrict, who is out and how late; the department's inbox.
    let (s, page) = console_get(&t, &lead, "/console/whistles").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("id=\"whistle-{id}\"")), "{page}");
    assert!(page.contains("/console/whistles/events?subdistrict=110199001"));
    assert!(page.contains("已超时 10 分钟"), "ZJW still out, 10 minutes past 09:30: {page}");
    let (_, page) = console_get(&t, &cgzf, "/console/whistles").await;
    assert!(page.contains(&format!("id=\"inbox-{id}\"")), "{page}");
    let (_, page) = console_get(&t, &scjg, "/console/whistles").await;
    assert!(!page.contains(&format!("id=\"inbox-{id}\"")) && !page.contains(&format!("id=\"whistle-{id}\"")));
    let (_, frag) = console_get(&t, &lead, "/console/whistles?subdistrict=110199001&fragment=1").await;
    assert!(frag.contains(&format!("id=\"whistle-{id}\"")) && !frag.contains("<html"));
    let res = browser().get(format!("{}/console/whistles/events?subdistrict=110199001", t.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = browser()
        .get(format!("{}/console/whistles/events?subdistrict=110199001", t.base))
        .header("cookie", format!("sid={lead}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    drop(res);

    // Scorecards: a department sees its own; the district all, ranked, with the rates.
    let (s, page) = console_get(&t, &cgzf, "/console/scorecards?month=2026-11").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("本部门") && !page.contains("id=\"rates\""), "{page}");
    assert!(page.contains("区城市管理综合行政执法局") && !page.contains("区住房和城乡建设委员会"));
    let admin = console_login(&t, "admin").await;
    let (_, page) = console_get(&t, &admin, "/console/scorecards?month=2026-11").await;
    assert!(page.contains("部门排名") && page.contains("id=\"rates\"") && page.contains("区住房和城乡建设委员会"));
    let (s, _) = console_get(&t, &admin, "/console/scorecards?month=2026-13").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The grid map for leaders in their scope; a department has no area.
    let (s, page) = console_get(&t, &lead, "/console/map").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<svg") && page.contains("id=\"over-target\""), "{page}");
    let (s, _) = console_get(&t, &cgzf, "/console/map").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // English.
    let (_, page) = console_get(&t, &lead, &format!("{path}?lang=en")).await;
    assert!(page.contains("lang=\"en\"") && page.contains("Cancel the whistle"));
    t.stop().await;
}

fn ms(rfc3339: &str) -> i64 {
    chuishao_app::time::parse_rfc3339(rfc3339).unwrap()
}

/// Issue 12: a check-in deadline computed on a provisional year says so (API and page), and
/// importing the official year re-times it, by an event naming both deadlines, once; a unit
/// that already checked in keeps its deadline; the timer reads only the new one.
#[tokio::test]
async fn an_official_import_retimes_check_in_deadlines_computed_on_a_provisional_year() {
    let t = spawn().await;
    let admin = t.token("admin").await;
    let leader = t.token("subdistrict_leader").await;
    // Thursday 4 February 2027, 10:00: 2027 has only its provisional calendar.
    t.set(ms("2027-02-04T10:00:00+08:00"));
    let w = t
        .raise(
            &leader,
            json!({"kind": "routine", "title": "春节前燃气安全检查", "lat": LAT, "lon": LON, "address": "樱花园小区",
                   "check_in_within": "2wd",
                   "units": [{"unit_code": "CGZF", "task": "排查占道"}, {"unit_code": "ZJW", "task": "检查管线"}]}),
        )
        .await;
    let id = w["id"].as_i64().unwrap();
    // Provisional 2027: 5–8 Feb off, the weekend 6–7 Feb made up on 9–10 Feb; two working days
    // are 11 and 12 Feb.
    for code in ["CGZF", "ZJW"] {
        let u = unit(&w, code);
        assert_eq!((&u["due_at"], &u["provisional"]), (&json!("2027-02-12T10:00:00+08:00"), &json!(true)), "{u}");
    }
    // ZJW checks in before the import.
    let zjw = t.token("staff_zjw").await;
    t.set(ms("2027-02-04T11:00:00+08:00"));
    t.ok(&zjw, id, "acknowledge", json!({"unit_code": "ZJW"})).await;
    t.ok(&zjw, id, "check_in", with(here(), json!({"unit_code": "ZJW"}))).await;
    // The page marks the deadline still running on a provisional year, not the one met.
    let sid = console_login(&t, "subdistrict_leader").await;
    let (s, page) = console_get(&t, &sid, &format!("/console/whistles/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let row = |page: &str, code: &str| {
        let start = page.find(&format!("id=\"unit-{code}\"")).unwrap();
        page[start..].split("</tr>").next().unwrap().to_string()
    };
    assert!(row(&page, "CGZF").contains("class=\"tag provisional\""), "{}", row(&page, "CGZF"));
    assert!(row(&page, "CGZF").contains("暂定"));
    assert!(!row(&page, "ZJW").contains("provisional"), "{}", row(&page, "ZJW"));
    let (before, n_before) = t.snapshot(id).await;

    // The official 2027 (made up: 5–13 Feb off, Saturday 20 Feb worked): 15 and 16 Feb.
    let y2027 = include_str!("../../../chuishao-app/tests/fixtures/2027-example.toml");
    let put = t.client.put(t.url("/api/v1/calendar/2027")).bearer_auth(&admin).json(&json!({"source": y2027}));
    let (s, _, res) = t.send(put).await;
    assert_eq!((s, &res["retimed_clocks"]), (StatusCode::OK, &json!(1)), "{res}");
    let (after, n_after) = t.snapshot(id).await;
    let cgzf = unit(&after, "CGZF");
    assert_eq!((&cgzf["due_at"], &cgzf["provisional"]), (&json!("2027-02-16T10:00:00+08:00"), &json!(false)));
    let met = unit(&after, "ZJW");
    assert_eq!((&met["due_at"], &met["late"]), (&json!("2027-02-12T10:00:00+08:00"), &json!(false)));
    assert_eq!(after["version"], before["version"], "re-timing does not bump the version");
    assert_eq!(n_after, n_before + 1, "one event: only CGZF moved");
    let (_, events) = t.get(&admin, &format!("/api/v1/whistles/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "whistle_check_in_retimed");
    assert_eq!(
        (&last["data"]["unit"], last["data"]["from_due_at"].as_i64(), last["data"]["due_at"].as_i64()),
        (&json!("CGZF"), Some(1_802_397_600_000), Some(1_802_743_200_000))
    );
    let (_, page) = console_get(&t, &sid, &format!("/console/whistles/{id}")).await;
    assert!(!row(&page, "CGZF").contains("provisional"));
    assert!(page.contains("2027-02-12 10:00 → 2027-02-16 10:00"), "the history names both deadlines");

    // Again (another node's reload): nothing moves, nothing is written.
    assert_eq!(t.app.calendar().retime_clocks(&[2027]).await.unwrap(), 0);
    assert_eq!(t.snapshot(id).await.1, n_after);
    // The old deadline passes without a mark; the new one fires once.
    t.set(ms("2027-02-12T11:00:00+08:00"));
    let r = t.app.calendar().timer_tick(t.app.now_ms()).await.unwrap();
    assert_eq!((r.overdue, r.supervisions), (0, 0));
    assert_eq!(unit(&t.snapshot(id).await.0, "CGZF")["overdue"], false);
    t.set(ms("2027-02-16T10:00:00+08:00"));
    let r = t.app.calendar().timer_tick(t.app.now_ms()).await.unwrap();
    assert_eq!((r.overdue, r.supervisions), (1, 1));
    assert_eq!(t.app.calendar().timer_tick(t.app.now_ms()).await.unwrap().overdue, 0);
    let (_, events) = t.get(&admin, &format!("/api/v1/whistles/{id}/events")).await;
    let overdue: Vec<&Value> =
        events.as_array().unwrap().iter().filter(|e| e["kind"] == "whistle_check_in_overdue").collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(
        (&overdue[0]["data"]["unit"], overdue[0]["data"]["due_at"].as_i64()),
        (&json!("CGZF"), Some(1_802_743_200_000))
    );
    // The stored whistle is still the fold of its events.
    let report = t.app.ops().verify_projections().await.unwrap();
    assert!(report.mismatches.is_empty(), "{:?}", report.mismatches);
    t.stop().await;
}
