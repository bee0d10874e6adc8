#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::DomainError;
use crate::access::{Actor, Role, RoleBinding};
use crate::ids::{OrgId, UserId};
use proptest::prelude::*;

const PLACE: (f64, f64) = (39.9, 116.4);

fn org(id: i64, code: &str, kind: OrgKind, path: &str) -> OrgRef {
    OrgRef { id: OrgId(id), code: code.into(), kind, path: path.into() }
}

fn actor(role: Role, path: &str) -> Actor {
    Actor {
        user_id: UserId(1),
        username: format!("{}@{path}", role.as_str()),
        bindings: vec![RoleBinding { role, org_id: OrgId(0), org_path: path.into() }],
    }
}

fn subdistrict() -> Actor {
    actor(Role::SubdistrictLeader, "/1/2/")
}
fn staff(i: usize) -> Actor {
    actor(Role::DepartmentStaff, &format!("/1/{}/", 50 + i))
}

fn whistle(kind: WhistleKind, n: usize) -> Whistle {
    from_raised(crate::ids::WhistleId(7), &raised_event(kind, n), 0)
}

fn raised_event(kind: WhistleKind, n: usize) -> WhistleEvent {
    let new = NewWhistle {
        kind,
        raised_by: org(2, "110199001", OrgKind::Subdistrict, "/1/2/"),
        title: "老旧小区加装电梯".into(),
        description: String::new(),
        case_ids: vec![],
        lat: PLACE.0,
        lon: PLACE.1,
        address: "和平街道3号楼".into(),
        units: (0..n)
            .map(|i| {
                (
                    org(50 + i as i64, &format!("D{i}"), OrgKind::Department, &format!("/1/{}/", 50 + i)),
                    "到场".into(),
                    1_000,
                )
            })
            .collect(),
        check_in_within: Some(CheckInWithin::WallMs(1_000)),
    };
    raise(&new).unwrap()
}

fn run(w: &Whistle, a: &Actor, cmd: WhistleCommand, now: i64) -> Result<Whistle, DomainError> {
    execute(w, a, &cmd, w.version, now).map(|(w, _)| w)
}

fn ack(u: usize) -> WhistleCommand {
    WhistleCommand::Acknowledge { unit: format!("D{u}") }
}
fn check_in(u: usize) -> WhistleCommand {
    WhistleCommand::CheckIn { unit: format!("D{u}"), lat: PLACE.0, lon: PLACE.1, note: None }
}
fn done(u: usize) -> WhistleCommand {
    WhistleCommand::ReportDone { unit: format!("D{u}"), report: "已处理".into(), photos: vec!["photo:1".into()] }
}
fn rate(u: usize, score: i64, reason: Option<&str>) -> WhistleCommand {
    WhistleCommand::Rate { unit: format!("D{u}"), score, reason: reason.map(String::from) }
}

#[test]
fn a_whole_whistle_closes_after_every_unit_is_done_and_the_raiser_confirms() {
    let mut w = whistle(WhistleKind::Routine, 2);
    for u in 0..2 {
        w = run(&w, &staff(u), ack(u), 10).unwrap();
    }
    w = run(&w, &staff(0), check_in(0), 500).unwrap();
    w = run(&w, &staff(1), WhistleCommand::Reply { unit: "D1".into(), text: "书面答复".into() }, 2_000).unwrap();
    assert!(!w.units[0].late);
    assert!(w.units[1].late, "replied after the due instant");
    w = run(&w, &staff(0), done(0), 3_000).unwrap();
    // Confirming while D1 is still out is refused.
    let err = run(&w, &subdistrict(), WhistleCommand::Confirm, 3_000).unwrap_err();
    assert_eq!(err.code(), "illegal_transition");
    w = run(&w, &staff(1), done(1), 3_000).unwrap();
    w = run(&w, &subdistrict(), WhistleCommand::Confirm, 4_000).unwrap();
    assert_eq!(w.status, WhistleStatus::Closed);
    w = run(&w, &subdistrict(), rate(0, 5, None), 5_000).unwrap();
    assert_eq!(w.units[0].rating, Some(5));
}

#[test]
fn rating_rules() {
    let mut w = whistle(WhistleKind::JointEnforcement, 1);
    assert_eq!(run(&w, &subdistrict(), rate(0, 5, None), 1).unwrap_err().code(), "illegal_transition");
    w = run(&w, &staff(0), ack(0), 1).unwrap();
    w = run(&w, &staff(0), check_in(0), 1).unwrap();
    w = run(&w, &staff(0), done(0), 1).unwrap();
    assert_eq!(run(&w, &subdistrict(), rate(0, 7, None), 1).unwrap_err().code(), "validation_failed");
    assert_eq!(run(&w, &subdistrict(), rate(0, 0, None), 1).unwrap_err().code(), "validation_failed");
    assert_eq!(run(&w, &subdistrict(), rate(0, 3, None), 1).unwrap_err().code(), "validation_failed");
    assert_eq!(run(&w, &subdistrict(), rate(0, 3, Some("  ")), 1).unwrap_err().code(), "validation_failed");
    // A department may not rate.
    assert_eq!(run(&w, &staff(0), rate(0, 5, None), 1).unwrap_err().code(), "forbidden");
    w = run(&w, &subdistrict(), rate(0, 3, Some("到场迟缓")), 1).unwrap();
    assert_eq!(run(&w, &subdistrict(), rate(0, 4, None), 1).unwrap_err().code(), "illegal_transition");
}

#[test]
fn check_in_rules() {
    let mut w = whistle(WhistleKind::Emergency, 2);
    // Not acknowledged yet; another unit's staff may not act.
    assert_eq!(run(&w, &staff(0), check_in(0), 1).unwrap_err().code(), "illegal_transition");
    assert_eq!(run(&w, &staff(1), ack(0), 1).unwrap_err().code(), "forbidden");
    w = run(&w, &staff(0), ack(0), 1).unwrap();
    // Far away: a note is needed, and then it is flagged.
    let far = WhistleCommand::CheckIn { unit: "D0".into(), lat: PLACE.0 + 0.01, lon: PLACE.1, note: None };
    assert_eq!(run(&w, &staff(0), far, 1).unwrap_err().code(), "validation_failed");
    let far =
        WhistleCommand::CheckIn {
            unit: "D0".into(), lat: PLACE.0 + 0.01, lon: PLACE.1, note: Some("封路绕行".into())
        };
    w = run(&w, &staff(0), far, 1).unwrap();
    assert!(w.units[0].far);
    assert!(w.units[0].distance_m.unwrap() > 1_000.0);
    // Twice is refused; replying is for routine whistles only.
    assert_eq!(run(&w, &staff(0), check_in(0), 1).unwrap_err().code(), "illegal_transition");
    w = run(&w, &staff(1), ack(1), 1).unwrap();
    let reply = WhistleCommand::Reply { unit: "D1".into(), text: "答复".into() };
    assert_eq!(run(&w, &staff(1), reply, 1).unwrap_err().code(), "illegal_transition");
    let unknown = WhistleCommand::Acknowledge { unit: "NOPE".into() };
    assert_eq!(run(&w, &staff(1), unknown, 1).unwrap_err().code(), "validation_failed");
}

/// Fires whatever is due for every unit; supervision level L falls due `(L - 1) * step` ms
/// after the deadline (the application counts working days instead).
fn tick(w: &mut Whistle, now: i64, step: i64) -> Vec<WhistleEvent> {
    let mut all = Vec::new();
    for code in w.units.iter().map(|u| u.org.code.clone()).collect::<Vec<_>>() {
        let Some(u) = w.units.iter().find(|u| u.org.code == code).cloned() else { continue };
        let at = |level: u8| u.due_at + i64::from(level - 1) * step;
        let levels: Vec<(u8, Option<OrgId>)> =
            (1..=3u8).filter(|l| at(*l) <= now).map(|l| (l, Some(OrgId(i64::from(l))))).collect();
        let reached = levels.last().map_or(0, |(l, _)| *l);
        let next = (reached < 3).then(|| at(reached + 1));
        for e in fire_overdue(w, &code, now, &levels, next) {
            apply(w, &e, now);
            all.push(e);
        }
    }
    all
}

#[test]
fn a_unit_still_out_is_escalated_level_by_level_until_it_checks_in() {
    let mut w = whistle(WhistleKind::Emergency, 2);
    assert_eq!(w.check_in_within, Some(CheckInWithin::WallMs(1_000)));
    w = run(&w, &staff(0), ack(0), 1).unwrap();
    w = run(&w, &staff(0), check_in(0), 1).unwrap();
    assert_eq!(next_fire_at(&w, &w.units[0]), None, "checked in: nothing to fire");
    assert_eq!(next_fire_at(&w, &w.units[1]), Some(1_000));
    assert!(tick(&mut w, 999, 1_000).is_empty());
    let events = tick(&mut w, 1_000, 1_000);
    assert_eq!(
        events.iter().map(WhistleEvent::kind).collect::<Vec<_>>(),
        ["whistle_check_in_overdue", "whistle_supervised"]
    );
    assert_eq!(w.units[1].overdue_at, Some(1_000));
    assert_eq!(w.units[1].supervisions, 1);
    assert_eq!(w.units[1].next_supervision_at, Some(2_000));
    // Not again before the next level; level 2 once it has come due, and only a supervision.
    assert!(tick(&mut w, 1_999, 1_000).is_empty());
    let events = tick(&mut w, 2_000, 1_000);
    assert_eq!(events.iter().map(WhistleEvent::kind).collect::<Vec<_>>(), ["whistle_supervised"]);
    assert!(
        matches!(&events[0], WhistleEvent::Supervised { count: 2, level: Some(2), next_at: Some(3_000), .. }),
        "{events:?}"
    );
    assert_eq!(w.units[1].supervisions, 2);
    // A late check-in stops it, and is recorded late.
    w = run(&w, &staff(1), ack(1), 2_500).unwrap();
    w = run(&w, &staff(1), check_in(1), 2_500).unwrap();
    assert!(w.units[1].late);
    assert_eq!(next_fire_at(&w, &w.units[1]), None);
    assert!(tick(&mut w, 10_000, 1_000).is_empty());
}

#[test]
fn after_downtime_every_level_due_fires_once_and_then_nothing_more() {
    let mut w = whistle(WhistleKind::Emergency, 1);
    let events = tick(&mut w, 50_000, 1_000);
    let kinds: Vec<&str> = events.iter().map(WhistleEvent::kind).collect();
    assert_eq!(kinds, ["whistle_check_in_overdue", "whistle_supervised", "whistle_supervised", "whistle_supervised"]);
    let levels: Vec<Option<u8>> = events
        .iter()
        .filter_map(|e| match e {
            WhistleEvent::Supervised { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(levels, [Some(1), Some(2), Some(3)]);
    assert_eq!((w.units[0].supervisions, next_fire_at(&w, &w.units[0])), (3, None));
    assert!(tick(&mut w, 5_000_000, 1_000).is_empty(), "no per-period repetition");
}

#[test]
fn supervision_stops_when_the_whistle_is_no_longer_open() {
    let mut w = whistle(WhistleKind::Emergency, 1);
    assert_eq!(tick(&mut w, 1_000, 1_000).len(), 2);
    w = run(&w, &subdistrict(), WhistleCommand::Cancel { reason: "误报".into() }, 1_500).unwrap();
    assert_eq!(next_fire_at(&w, &w.units[0]), None);
    assert!(tick(&mut w, 5_000, 1_000).is_empty());
    // Without a next instant (past the calendar) nothing more fires either.
    let mut w = whistle(WhistleKind::Emergency, 1);
    for e in fire_overdue(&w.clone(), "D0", 1_000, &[(1, None)], None) {
        apply(&mut w, &e, 1_000);
    }
    assert_eq!(w.units[0].supervisions, 1);
    assert_eq!(next_fire_at(&w, &w.units[0]), None);
}

#[test]
fn a_policy_file_overrides_kinds_and_refuses_bad_values() {
    let p = WhistlePolicy::parse("emergency = \"20m\"\nroutine = \"2wd\"").unwrap();
    assert_eq!(p.check_in_allowance(WhistleKind::Emergency), chuishao_calendar::Allowance::WallMs(20 * 60_000));
    assert_eq!(p.check_in_allowance(WhistleKind::Routine), chuishao_calendar::Allowance::WorkingDays(2));
    assert_eq!(p.joint_enforcement, WhistlePolicy::default().joint_enforcement);
    assert_eq!(WhistlePolicy::parse("").unwrap(), WhistlePolicy::default());
    for (bad, says) in [
        ("emergency = \"30x\"", "emergency"),
        ("emergency = \"0m\"", "positive"),
        ("emergency = 30", "emergency"),
        ("urgent = \"30m\"", "unknown key \"urgent\""),
        ("emergency = ", ""),
    ] {
        let e = WhistlePolicy::parse(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

#[test]
fn raising_refuses_bad_units() {
    let mut new = NewWhistle {
        kind: WhistleKind::Routine,
        raised_by: org(2, "S", OrgKind::Subdistrict, "/1/2/"),
        title: "t".into(),
        description: String::new(),
        case_ids: vec![],
        lat: 39.9,
        lon: 116.4,
        address: "a".into(),
        units: vec![],
        check_in_within: None,
    };
    assert_eq!(raise(&new).unwrap_err().code(), "validation_failed");
    new.units = vec![(org(3, "C", OrgKind::Community, "/1/2/3/"), "t".into(), 0)];
    assert!(raise(&new).is_err());
    let d = org(50, "D", OrgKind::Department, "/1/50/");
    new.units = vec![(d.clone(), "t".into(), 0), (d, "t".into(), 0)];
    assert!(raise(&new).is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Ack(usize),
    CheckIn(usize, bool),
    Reply(usize),
    Done(usize),
    Confirm,
    Rate(usize, i64, bool),
    Cancel,
    Tick,
    ByStranger(usize),
    /// A calendar change moves unit `u`'s check-in deadline by this many ms.
    Retime(usize, i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize).prop_map(Op::Ack),
        (0..3usize, any::<bool>()).prop_map(|(u, far)| Op::CheckIn(u, far)),
        (0..3usize).prop_map(Op::Reply),
        (0..3usize).prop_map(Op::Done),
        Just(Op::Confirm),
        (0..3usize, -1..8i64, any::<bool>()).prop_map(|(u, s, r)| Op::Rate(u, s, r)),
        Just(Op::Cancel),
        Just(Op::Tick),
        (0..3usize).prop_map(Op::ByStranger),
        (0..3usize, -700..700i64).prop_map(|(u, by)| Op::Retime(u, by)),
    ]
}

fn rank(s: UnitStatus) -> u8 {
    match s {
        UnitStatus::Summoned => 0,
        UnitStatus::Acknowledged => 1,
        UnitStatus::CheckedIn | UnitStatus::Replied => 2,
        UnitStatus::Done => 3,
    }
}

proptest! {
    #[test]
    fn the_state_machine_keeps_its_invariants(
        kind in prop::sample::select(WhistleKind::ALL.to_vec()),
        ops in prop::collection::vec((op(), 0..400i64), 1..60),
    ) {
        let mut w = whistle(kind, 3);
        let mut now = 0;
        // The state is always the fold of its events from nothing (apply needs only them).
        let mut log: Vec<(i64, i64, WhistleEvent)> = vec![(1, 0, raised_event(kind, 3))];
        for (op, step) in ops {
            now += step;
            let before = w.clone();
            let (who, cmd) = match op {
                Op::Ack(u) => (staff(u), ack(u)),
                Op::CheckIn(u, far) => (staff(u), WhistleCommand::CheckIn {
                    unit: format!("D{u}"), lat: PLACE.0 + if far { 0.02 } else { 0.0 }, lon: PLACE.1, note: None }),
                Op::Reply(u) => (staff(u), WhistleCommand::Reply { unit: format!("D{u}"), text: "答复".into() }),
                Op::Done(u) => (staff(u), done(u)),
                Op::Confirm => (subdistrict(), WhistleCommand::Confirm),
                Op::Rate(u, s, r) => (subdistrict(), rate(u, s, r.then_some("理由"))),
                Op::Cancel => (subdistrict(), WhistleCommand::Cancel { reason: "撤销".into() }),
                Op::ByStranger(u) => (staff(u + 1), ack(u)),
                Op::Retime(u, by) => {
                    let code = format!("D{u}");
                    let old = w.units[u].clone();
                    let (due, next) = (old.due_at + by, old.due_at + by + 500);
                    let event = retime_check_in(&w, &code, due, Some(next));
                    let moves = w.status == WhistleStatus::Open
                        && old.status.awaiting_check_in()
                        && (by != 0 || (old.overdue_at.is_some() && old.next_supervision_at != Some(next)));
                    prop_assert_eq!(event.is_some(), moves, "{:?}", event);
                    if let Some(e) = event {
                        prop_assert!(e.is_system());
                        prop_assert!(
                            matches!(&e, WhistleEvent::CheckInRetimed { from_due_at, due_at, .. }
                                if *from_due_at == old.due_at && *due_at == due),
                            "{:?}", e
                        );
                        apply(&mut w, &e, now);
                        log.push((w.version, now, e));
                        // Only the deadline (and, once overdue, the next supervision) moves;
                        // nothing fired is undone.
                        let mut expected = old.clone();
                        expected.due_at = due;
                        expected.next_supervision_at = old.overdue_at.map(|_| next);
                        prop_assert_eq!(&w.units[u], &expected);
                        prop_assert_eq!(next_fire_at(&w, &w.units[u]), Some(if old.overdue_at.is_some() { next } else { due }));
                        // Idempotent: the same instants again change nothing.
                        prop_assert_eq!(retime_check_in(&w, &code, due, Some(next)), None);
                    }
                    let others = |x: &Whistle| x.units.iter().enumerate().filter(|(i, _)| *i != u).map(|(_, v)| v.clone()).collect::<Vec<_>>();
                    prop_assert_eq!(others(&w), others(&before));
                    prop_assert_eq!((w.version, w.status), (before.version, before.status));
                    continue;
                }
                Op::Tick => {
                    for e in tick(&mut w, now, 500) {
                        prop_assert!(e.is_system());
                        log.push((w.version, now, e));
                    }
                    prop_assert_eq!(w.version, before.version);
                    continue;
                }
            };
            match execute(&w, &who, &cmd, w.version, now) {
                Ok((next, events)) => {
                    prop_assert_eq!(next.version, before.version + 1);
                    prop_assert!(!events.is_empty());
                    log.extend(events.into_iter().map(|e| (next.version, now, e)));
                    w = next;
                }
                Err(_) => prop_assert_eq!(&w, &before),
            }
            // A stale version is always refused.
            prop_assert_eq!(execute(&w, &who, &cmd, w.version - 1, now).unwrap_err().code(), "version_conflict");
            for (a, b) in before.units.iter().zip(&w.units) {
                prop_assert!(rank(b.status) >= rank(a.status), "a unit went backwards");
                prop_assert!(b.supervisions >= a.supervisions);
                if b.supervisions > 0 {
                    prop_assert!(b.overdue_at.is_some(), "supervised before it was overdue");
                }
                if !b.status.awaiting_check_in() || w.status != WhistleStatus::Open {
                    prop_assert_eq!(next_fire_at(&w, b), None);
                }
                if let Some(r) = b.rating {
                    prop_assert!((1..=5).contains(&r));
                    prop_assert_eq!(b.status, UnitStatus::Done);
                }
                if let Some(t) = b.checked_in_at {
                    prop_assert_eq!(b.late, t > b.due_at);
                }
                if b.status == UnitStatus::Replied {
                    prop_assert_eq!(kind, WhistleKind::Routine);
                }
            }
            if w.status == WhistleStatus::Closed {
                prop_assert!(w.units.iter().all(|u| u.status == UnitStatus::Done));
            }
            if before.status != WhistleStatus::Open {
                prop_assert_eq!(w.status, before.status);
            }
        }
        let folded = <Whistle as crate::record::Record>::fold(log.iter().map(|(version, at, event)| {
            crate::record::Recorded { stream_id: 7, version: *version, at: *at, event }
        }));
        prop_assert_eq!(folded.as_ref(), Some(&w), "the whistle is not the fold of its events");
    }
}

#[test]
fn a_retimed_check_in_deadline_is_the_one_the_timer_and_the_check_in_read() {
    let mut w = whistle(WhistleKind::Routine, 2);
    let e = retime_check_in(&w, "D0", 3_000, Some(9_999)).unwrap();
    // Not overdue yet: there is no next supervision to carry.
    assert_eq!(
        e,
        WhistleEvent::CheckInRetimed {
            unit: "D0".into(),
            from_due_at: 1_000,
            due_at: 3_000,
            next_supervision_at: None
        }
    );
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"type": "check_in_retimed", "unit": "D0", "from_due_at": 1_000, "due_at": 3_000})
    );
    assert_eq!((e.kind(), e.unit(), e.is_system()), ("whistle_check_in_retimed", Some("D0"), true));
    apply(&mut w, &e, 500);
    assert_eq!((w.units[0].due_at, w.units[1].due_at, w.version), (3_000, 1_000, 1));
    // At 2 000 only D1, still on the old deadline, is overdue; D0 falls due at 3 000, once.
    let kinds =
        |events: &[WhistleEvent]| events.iter().map(|e| (e.kind(), e.unit().map(String::from))).collect::<Vec<_>>();
    let fired = tick(&mut w, 2_000, 10_000);
    assert_eq!(
        kinds(&fired),
        [("whistle_check_in_overdue", Some("D1".into())), ("whistle_supervised", Some("D1".into()))]
    );
    assert!(tick(&mut w, 2_999, 10_000).is_empty());
    let fired = tick(&mut w, 3_000, 10_000);
    assert_eq!(fired[0], WhistleEvent::CheckInOverdue { unit: "D0".into(), due_at: 3_000 });
    // D1, overdue: its deadline moves but nothing fired is undone; its next level moves.
    let e = retime_check_in(&w, "D1", 1_500, Some(11_500)).unwrap();
    apply(&mut w, &e, 3_000);
    assert_eq!(
        (w.units[1].due_at, w.units[1].overdue_at, w.units[1].supervisions, w.units[1].next_supervision_at),
        (1_500, Some(2_000), 1, Some(11_500))
    );
    // A unit that checked in keeps its deadline, and so does a cancelled whistle's.
    w = run(&w, &staff(1), ack(1), 3_100).unwrap();
    w = run(&w, &staff(1), check_in(1), 3_200).unwrap();
    assert!(w.units[1].late);
    assert_eq!(retime_check_in(&w, "D1", 5_000, None), None);
    w = run(&w, &subdistrict(), WhistleCommand::Cancel { reason: "撤销".into() }, 3_300).unwrap();
    assert_eq!(retime_check_in(&w, "D0", 5_000, None), None);
    assert_eq!(retime_check_in(&w, "NOPE", 5_000, None), None);
}
