//! Deadlines through the application on a real database (SQLite, or PostgreSQL when
//! `CHUISHAO_TEST_PG_URL` is set): the shared calendar, clocks on cases, the timer worker.

use chuishao_app::cases::{CaseListQuery, CaseView, TransitionInput};

use super::common::{ManualClock, at, dispatched_case, district};
use chuishao_app::App;
use chuishao_domain::ids::CaseId;
use chuishao_store::testing::{TestDb, default_engine};
use std::sync::Arc;
use std::sync::atomic::Ordering;

fn deadline<'a>(view: &'a CaseView, kind: &str) -> &'a chuishao_app::calendar::DeadlineView {
    view.deadlines.iter().find(|d| d.kind == kind).unwrap_or_else(|| panic!("no {kind} deadline in {view:?}"))
}

async fn test_app() -> (App, Arc<ManualClock>, TestDb) {
    let db = TestDb::new(default_engine()).await.unwrap();
    let clock = Arc::new(ManualClock::default());
    clock.0.store(at("2026-02-13T10:00:00+08:00"), Ordering::SeqCst);
    let app = App::new(db.store.clone(), clock.clone());
    app.calendar().load_calendar().await.unwrap();
    (app, clock, db)
}

/// A made-up official 2027 (tests/fixtures/2027-example.toml).
const OFFICIAL_2027: &str = include_str!("../fixtures/2027-example.toml");

#[tokio::test]
async fn imported_years_are_shared_through_the_database() {
    let (app, _clock, db) = test_app().await;
    let past_2026 = chuishao_calendar::Allowance::WorkingDays(5);
    let from = at("2026-12-30T10:00:00+08:00");
    // 2027 is provisional: New Year's Day (Friday) off, no adjusted working days.
    assert_eq!(
        app.calendar().current().due(from, past_2026).map(chuishao_app::time::rfc3339),
        Ok("2027-01-07T10:00:00+08:00".into())
    );
    assert!(app.calendar().current().is_provisional_year(2027));

    // Bad files change nothing: contradictions, years outside 2000–2100, a file for another
    // year (one that works a statutory holiday day, or not the year asked for).
    let contradiction = "year = 2027\n[[holiday]]\nname = \"a\"\nfrom = \"2027-02-05\"\nto = \"2027-02-13\"\n\
                         [[working_day]]\nname = \"b\"\ndate = \"2027-02-06\"\n";
    let last_years = OFFICIAL_2027.replace("2027", "2026");
    let cases = [
        ("year = 2028\n".to_string(), "calendar_statutory_day_worked"),
        ("year = 2101\n".to_string(), "calendar_year_out_of_range"),
        ("year = 1999\n".to_string(), "calendar_year_out_of_range"),
        (contradiction.to_string(), "calendar_contradiction"),
        (last_years.replacen("year = 2026", "year = 2027", 1), "calendar_outside_year"),
    ];
    for (text, code) in cases {
        assert_eq!(app.calendar().import_calendar_year(&text).await.unwrap_err().code(), code, "{text}");
    }
    let err = app.calendar().import_official_year(OFFICIAL_2027, Some(2028)).await.unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    assert!(db.store.calendar_years().await.unwrap().is_empty(), "nothing written on a refused import");
    assert!(app.calendar().current().is_provisional_year(2027));

    assert_eq!(app.calendar().import_official_year(OFFICIAL_2027, Some(2027)).await.unwrap().year, 2027);
    assert!(!app.calendar().current().is_provisional_year(2027));
    assert_eq!(
        app.calendar().current().due(from, past_2026).map(chuishao_app::time::rfc3339),
        Ok("2027-01-07T10:00:00+08:00".into())
    );
    // The official Spring Festival break is longer than the statutory one.
    let feb4 = at("2027-02-04T10:00:00+08:00");
    let two = chuishao_calendar::Allowance::WorkingDays(2);
    assert_eq!(
        app.calendar().current().due(feb4, two).map(chuishao_app::time::rfc3339),
        Ok("2027-02-16T10:00:00+08:00".into())
    );

    // Another node on the same database loads the same calendar.
    let other = App::new(db.store.clone(), Arc::new(ManualClock::default()));
    other.calendar().load_calendar().await.unwrap();
    assert_eq!(other.calendar().current().official_years().count(), 3);
    assert_eq!(other.calendar().current().due(from, past_2026), app.calendar().current().due(from, past_2026));
    assert_eq!(other.calendar().current().due(feb4, two), app.calendar().current().due(feb4, two));

    // Replacing a built-in year: a 2026 file moving Qingming's break.
    let y2026 = chuishao_calendar::builtin_years()[1].export().replace("2026-04-04", "2026-04-03");
    app.calendar().import_calendar_year(&y2026).await.unwrap();
    let friday = at("2026-04-03T10:00:00+08:00");
    assert_eq!(app.calendar().current().is_working_day(friday), Ok(false));
    assert_eq!(other.calendar().load_calendar().await.unwrap(), vec![2026], "the other node sees which year changed");
    assert_eq!(other.calendar().current().is_working_day(friday), Ok(false));
    assert_eq!(other.calendar().load_calendar().await.unwrap(), Vec::<i32>::new());
    db.cleanup().await;
}

#[tokio::test]
async fn dispatch_starts_clocks_and_a_dispatcher_changes_the_tier() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    let view = dispatched_case(&app).await;
    let acc = deadline(&view, "acceptance");
    assert_eq!((acc.due_at.as_str(), acc.basis, acc.tier), ("2026-02-13T12:00:00+08:00", "working", "normal"));
    let res = deadline(&view, "resolution");
    assert_eq!(res.due_at, "2026-03-02T10:00:00+08:00");
    assert_eq!(res.remaining_seconds, 49 * 3600);
    assert_eq!(res.state, chuishao_domain::deadlines::DeadlineStatus::Running);

    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let id = CaseId(view.id);
    let mut set = TransitionInput { action: "set_tier".into(), version: view.version, ..TransitionInput::default() };
    set.tier = Some("complex".into());
    assert_eq!(
        app.cases().transition(&dispatcher, id, &set).await.unwrap_err().code(),
        "validation_failed",
        "reason required"
    );
    set.reason = Some("涉及多个产权单位".into());
    set.tier = Some("extreme".into());
    assert_eq!(app.cases().transition(&dispatcher, id, &set).await.unwrap_err().code(), "validation_failed");
    set.tier = Some("complex".into());
    let staff = app.admin().actor_for("staff_swj").await.unwrap();
    assert_eq!(app.cases().transition(&staff, id, &set).await.unwrap_err().code(), "forbidden");
    let view = app.cases().transition(&dispatcher, id, &set).await.unwrap();
    let res = deadline(&view, "resolution");
    assert_eq!((res.due_at.as_str(), res.tier), ("2026-03-12T10:00:00+08:00", "complex"));

    // Accept meets the acceptance clock; parking pauses the resolution clock.
    let accept = TransitionInput { action: "accept".into(), version: view.version, ..TransitionInput::default() };
    clock.set("2026-02-13T11:00:00+08:00");
    let view = app.cases().transition(&staff, id, &accept).await.unwrap();
    assert_eq!(deadline(&view, "acceptance").state, chuishao_domain::deadlines::DeadlineStatus::Met);
    let mut park = TransitionInput { action: "park".into(), version: view.version, ..TransitionInput::default() };
    park.reason = Some("需结合春季施工解决".into());
    clock.set("2026-02-24T10:00:00+08:00");
    let view = app.cases().transition(&dispatcher, id, &park).await.unwrap();
    clock.set("2026-06-01T10:00:00+08:00");
    let parked = app.cases().case_view_by_id(&dispatcher, id).await.unwrap();
    let res = deadline(&parked, "resolution");
    assert_eq!(res.state, chuishao_domain::deadlines::DeadlineStatus::Paused);
    let left = res.remaining_seconds;
    let unpark = TransitionInput { action: "unpark".into(), version: view.version, ..TransitionInput::default() };
    let view = app.cases().transition(&dispatcher, id, &unpark).await.unwrap();
    assert_eq!(deadline(&view, "resolution").remaining_seconds, left, "resumes with the time left");
    db.cleanup().await;
}

#[tokio::test]
async fn list_filters_overdue_and_due_before() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    let first = dispatched_case(&app).await;
    clock.set("2026-02-27T10:00:00+08:00");
    let second = dispatched_case(&app).await;
    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let ids = |q: CaseListQuery| {
        let app = app.clone();
        let dispatcher = dispatcher.clone();
        async move { app.cases().list_cases(&dispatcher, &q).await.unwrap().items.iter().map(|c| c.id).collect::<Vec<_>>() }
    };
    // At 27 Feb 10:00 the first case's acceptance clock (13 Feb 12:00) has passed.
    assert_eq!(ids(CaseListQuery { overdue: Some(true), ..Default::default() }).await, vec![first.id]);
    assert_eq!(ids(CaseListQuery { overdue: Some(false), ..Default::default() }).await, vec![second.id]);
    let before = |t: &str| CaseListQuery { due_before: Some(t.into()), ..Default::default() };
    assert_eq!(ids(before("2026-02-13T12:00:01+08:00")).await, vec![first.id]);
    assert_eq!(ids(before("2026-02-27T12:00:01+08:00")).await, vec![second.id, first.id]);
    let err = app.cases().list_cases(&dispatcher, &before("tomorrow")).await.unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    db.cleanup().await;
}

#[tokio::test]
async fn the_worker_catches_up_after_downtime_and_escalates() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    let view = dispatched_case(&app).await;
    assert_eq!(app.calendar().timer_tick(at("2026-02-13T10:00:00+08:00")).await.unwrap(), Default::default());
    // 80% of the two working hours of the acceptance clock: 11:36.
    assert_eq!(db.store.next_deadline_fire_at().await.unwrap(), Some(at("2026-02-13T11:36:00+08:00")));

    // Nobody ran a worker for five weeks: both clocks are overdue, so no warning fires; the
    // case is supervised once per level (1, 2 and 3 have all come due), not once per clock.
    clock.set("2026-03-20T10:00:00+08:00");
    let r = app.calendar().timer_tick(app.now_ms()).await.unwrap();
    assert_eq!((r.warnings, r.overdue, r.supervisions, r.skipped_cases), (0, 2, 3, 0));
    assert_eq!(app.calendar().timer_tick(app.now_ms()).await.unwrap(), Default::default(), "each timer fires once");

    let events = db.store.stream_events("case", view.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds[kinds.len() - 5..],
        ["deadline_overdue", "supervised", "supervised", "supervised", "deadline_overdue"]
    );
    assert!(!kinds.contains(&"deadline_warning"));
    let payload = |i: usize| serde_json::from_str::<serde_json::Value>(&events[i].payload).unwrap();
    let n = events.len();
    assert_eq!((payload(n - 1)["deadline"].as_str(), payload(n - 1)["period"].as_i64()), (Some("resolution"), Some(1)));
    let levels: Vec<i64> = (n - 4..n - 1).map(|i| payload(i)["level"].as_i64().unwrap()).collect();
    assert_eq!(levels, [1, 2, 3]);
    let district = app.admin().org_by_code("110199").await.unwrap().unwrap();
    assert_eq!(payload(n - 2)["to_org_id"].as_i64(), Some(district.id.0), "level 3 goes to the district");
    assert!(payload(n - 2)["note"].as_str().unwrap().contains("挂牌督办"));
    assert!(events.iter().rev().take(5).all(|e| e.actor_id.is_none()));

    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let after = app.cases().case_view_by_id(&dispatcher, CaseId(view.id)).await.unwrap();
    assert_eq!(after.version, view.version, "system events do not bump the version");
    assert_eq!(after.supervision_count, 3);
    let res = deadline(&after, "resolution");
    assert_eq!(res.state, chuishao_domain::deadlines::DeadlineStatus::Overdue);
    assert_eq!((res.supervisions, res.supervision_level, res.name, res.provisional), (3, 3, "resolution", false));
    assert!(db.store.verify_chain().await.unwrap().first_break.is_none());
    // Every level has fired: nothing more is due, however long the case stays overdue.
    assert_eq!(db.store.next_deadline_fire_at().await.unwrap(), None);
    clock.set("2026-06-20T10:00:00+08:00");
    assert_eq!(app.calendar().timer_tick(app.now_ms()).await.unwrap(), Default::default());

    // A manual supervision records its level.
    let mut sup = TransitionInput { action: "supervise".into(), version: after.version, ..TransitionInput::default() };
    sup.note = Some("请尽快处理".into());
    sup.level = Some(4);
    assert_eq!(
        app.cases().transition(&dispatcher, CaseId(view.id), &sup).await.unwrap_err().code(),
        "validation_failed"
    );
    sup.level = Some(2);
    app.cases().transition(&dispatcher, CaseId(view.id), &sup).await.unwrap();
    let events = db.store.stream_events("case", view.id).await.unwrap();
    let last: serde_json::Value = serde_json::from_str(&events[events.len() - 1].payload).unwrap();
    assert_eq!((last["type"].as_str(), last["level"].as_i64()), (Some("supervised"), Some(2)));
    db.cleanup().await;
}

/// An urgent case whose resolution clock (2 hours, wall clock) ran out while no worker ran
/// for 56 days: one overdue mark, the three supervision levels once each, no warning.
#[tokio::test]
async fn an_emergency_case_56_days_overdue_after_downtime() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    let integrator = app.admin().actor_for("integrator").await.unwrap();
    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let staff = app.admin().actor_for("staff_swj").await.unwrap();
    let input = chuishao_app::cases::NewCaseInput {
        category_code: Some("C0104".into()),
        urgency: Some("urgent".into()),
        description: "燃气管道破裂".into(),
        grid_code: Some("110199001001001".into()),
        ..Default::default()
    };
    let case = app.cases().submit_case(&integrator, &input, None).await.unwrap().case;
    let id = CaseId(case.id);
    let step = |a: &str, v: i64| TransitionInput { action: a.into(), version: v, ..TransitionInput::default() };
    let v = app.cases().transition(&dispatcher, id, &step("register", case.version)).await.unwrap();
    let mut dispatch = step("dispatch", v.version);
    dispatch.handler_code = Some("SWJ".into());
    let v = app.cases().transition(&dispatcher, id, &dispatch).await.unwrap();
    assert_eq!(deadline(&v, "resolution").due_at, "2026-02-13T12:00:00+08:00");
    let v = app.cases().transition(&staff, id, &step("accept", v.version)).await.unwrap();
    let before = db.store.stream_events("case", id.0).await.unwrap().len();

    clock.set("2026-04-10T12:00:00+08:00");
    let r = app.calendar().timer_tick(app.now_ms()).await.unwrap();
    assert_eq!((r.warnings, r.overdue, r.supervisions), (0, 1, 3));
    clock.set("2026-04-11T12:00:00+08:00");
    assert_eq!(app.calendar().timer_tick(app.now_ms()).await.unwrap(), Default::default());
    let events = db.store.stream_events("case", id.0).await.unwrap();
    let kinds: Vec<&str> = events[before..].iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["deadline_overdue", "supervised", "supervised", "supervised"]);
    let after = app.cases().case_view_by_id(&dispatcher, id).await.unwrap();
    let res = deadline(&after, "resolution");
    assert_eq!((res.days_late, res.supervision_level), (57, 3));
    assert_eq!(after.version, v.version);
    db.cleanup().await;
}

/// A made-up official 2027 replaces the provisional one: the running clocks computed across
/// it move, each by an event naming both deadlines, once; paused clocks stay paused; a node
/// with a stale calendar fixes what it computed when its reload sees the change.
#[tokio::test]
async fn an_official_import_retimes_running_clocks() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    clock.set("2027-02-04T10:00:00+08:00");
    let running = dispatched_case(&app).await;
    // Provisional: 5–8 Feb off, 9–10 Feb made up; 7 working days end on Fri 19 Feb.
    let res = deadline(&running, "resolution");
    assert_eq!((res.due_at.as_str(), res.provisional), ("2027-02-19T10:00:00+08:00", true));
    let parked = dispatched_case(&app).await;
    let dispatcher = app.admin().actor_for("dispatcher").await.unwrap();
    let mut park = TransitionInput { action: "park".into(), version: parked.version, ..TransitionInput::default() };
    park.reason = Some("待施工".into());
    app.cases().transition(&dispatcher, CaseId(parked.id), &park).await.unwrap();
    // Another node, its calendar loaded before the import.
    let other = App::new(db.store.clone(), clock.clone());
    other.calendar().load_calendar().await.unwrap();

    let done = app.calendar().import_official_year(OFFICIAL_2027, Some(2027)).await.unwrap();
    // Each case's acceptance (due 4 Feb 12:00) is unaffected; both resolution clocks move.
    assert_eq!(done.retimed, 2);
    let view = app.cases().case_view_by_id(&dispatcher, CaseId(running.id)).await.unwrap();
    let res = deadline(&view, "resolution");
    // Official: 5–13 Feb off, Saturday 20 Feb worked: 15–19, 20 and 22 Feb.
    assert_eq!((res.due_at.as_str(), res.provisional), ("2027-02-22T10:00:00+08:00", false));
    let events = db.store.stream_events("case", running.id).await.unwrap();
    let last: serde_json::Value = serde_json::from_str(&events[events.len() - 1].payload).unwrap();
    assert_eq!(last["type"], "deadline_retimed");
    assert_eq!(
        (last["from_due_at"].as_i64(), last["due_at"].as_i64()),
        (Some(at("2027-02-19T10:00:00+08:00")), Some(at("2027-02-22T10:00:00+08:00")))
    );
    let paused = app.cases().case_view_by_id(&dispatcher, CaseId(parked.id)).await.unwrap();
    assert_eq!(deadline(&paused, "resolution").state, chuishao_domain::deadlines::DeadlineStatus::Paused);

    // Idempotent: again, nothing moves and nothing is written.
    assert_eq!(app.calendar().retime_clocks(&[2027]).await.unwrap(), 0);
    assert_eq!(db.store.stream_events("case", running.id).await.unwrap().len(), events.len());

    // The stale node dispatches on the provisional 2027 before its reload...
    let stale = dispatched_case(&other).await;
    assert_eq!(deadline(&stale, "resolution").due_at, "2027-02-19T10:00:00+08:00");
    // ...and its reload sees 2027 change and re-times what it computed, and only that.
    assert_eq!(other.calendar().load_calendar().await.unwrap(), vec![2027]);
    assert_eq!(other.calendar().retime_clocks(&[2027]).await.unwrap(), 1);
    let fixed = app.cases().case_view_by_id(&dispatcher, CaseId(stale.id)).await.unwrap();
    assert_eq!(deadline(&fixed, "resolution").due_at, "2027-02-22T10:00:00+08:00");

    // The warning fires once, on the new deadline's schedule.
    clock.set("2027-02-22T11:00:00+08:00");
    let r = app.calendar().timer_tick(app.now_ms()).await.unwrap();
    assert_eq!((r.warnings, r.overdue), (0, 4), "acceptance and resolution of two running cases");
    assert!(db.store.verify_chain().await.unwrap().first_break.is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn two_workers_fire_each_timer_exactly_once() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(dispatched_case(&app).await.id);
    }
    // A second node: its own connection pool on the same database.
    let other_store = chuishao_store::Store::open(&db.url).await.unwrap();
    let other = App::new(other_store.clone(), clock.clone());
    other.calendar().load_calendar().await.unwrap();
    clock.set("2026-03-03T09:00:00+08:00");
    let now = app.now_ms();
    let (here, there) = (app.calendar(), other.calendar());
    let (a, b) = tokio::join!(here.timer_tick(now), there.timer_tick(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    let (again_a, again_b) = tokio::join!(here.timer_tick(now), there.timer_tick(now));
    let (again_a, again_b) = (again_a.unwrap(), again_b.unwrap());
    let total = a.overdue + b.overdue + again_a.overdue + again_b.overdue;
    assert_eq!(total, 80, "two clocks on each of 40 cases: {a:?} {b:?} {again_a:?} {again_b:?}");
    for id in ids {
        let events = db.store.stream_events("case", id).await.unwrap();
        let overdue = events.iter().filter(|e| e.kind == "deadline_overdue").count();
        let warnings = events.iter().filter(|e| e.kind == "deadline_warning").count();
        // Caught up past both deadlines: overdue only, the overtaken warnings are not fired.
        assert_eq!((warnings, overdue), (0, 2), "case {id}");
    }
    assert!(db.store.verify_chain().await.unwrap().first_break.is_none());
    other_store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_worker_loop_ticks_and_stops_on_shutdown() {
    let (app, clock, db) = test_app().await;
    district(&app).await;
    let view = dispatched_case(&app).await;
    clock.set("2026-02-13T13:31:00+08:00");
    // Shutdown already requested: the loop runs its first tick (catch-up) and returns.
    app.calendar().run_timer_worker(std::future::ready(())).await;
    let kinds: Vec<String> =
        db.store.stream_events("case", view.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    // Past the acceptance deadline: overdue and level 1, not the overtaken warning.
    assert!(kinds.ends_with(&["dispatched".into(), "deadline_overdue".into(), "supervised".into()]), "{kinds:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn another_nodes_changes_reach_this_nodes_caches() {
    let (a, _clock, db) = test_app().await;
    district(&a).await;
    let b = App::new(db.store.clone(), Arc::new(ManualClock::default()));
    b.calendar().load_calendar().await.unwrap();
    // B has loaded everything and seen the versions.
    b.ops().refresh_changed_caches().await.unwrap();
    assert_eq!(b.admin().category("C0101").await.unwrap().unwrap().name_zh, "上水井盖");
    assert_eq!(b.ops().refresh_changed_caches().await.unwrap(), Vec::<String>::new(), "nothing changed");

    // Through node A: a category renamed, a community added, the official 2027 imported.
    let renamed = chuishao_app::admin::catalogue::DEMO_CATALOGUE.replacen(
        "name_zh = \"上水井盖\"",
        "name_zh = \"上水井盖（自来水）\"",
        1,
    );
    a.admin().import_catalogue(&renamed).await.unwrap();
    let node = chuishao_domain::org::NewOrgNode {
        code: "110199001099".into(),
        kind: chuishao_domain::org::OrgKind::Community,
        name_zh: "新社区".into(),
        name_en: "New community".into(),
        parent_code: Some("110199001".into()),
        households: None,
        population: None,
        stationed_in_code: None,
        geometry: None,
    };
    assert_eq!(a.admin().import_orgs(&[node]).await.unwrap(), 1);
    a.calendar().import_calendar_year(OFFICIAL_2027).await.unwrap();

    // B still serves what it loaded until it checks the versions (its watcher does, woken by
    // NOTIFY on PostgreSQL, twice a second on SQLite).
    assert_eq!(b.admin().category("C0101").await.unwrap().unwrap().name_zh, "上水井盖");
    assert!(b.calendar().current().is_provisional_year(2027));
    let mut changed = b.ops().refresh_changed_caches().await.unwrap();
    changed.sort();
    assert_eq!(changed, vec!["calendar", "categories", "orgs"]);
    assert_eq!(b.admin().category("C0101").await.unwrap().unwrap().name_zh, "上水井盖（自来水）");
    assert!(!b.calendar().current().is_provisional_year(2027));
    assert!(b.admin().org_by_code("110199001099").await.unwrap().is_some());
    db.cleanup().await;
}
