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
    };
    from_raised(7, &raise(&new).unwrap(), 0)
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

#[test]
fn overdue_fires_once_per_unit_still_out() {
    let mut w = whistle(WhistleKind::Emergency, 2);
    w = run(&w, &staff(0), ack(0), 1).unwrap();
    w = run(&w, &staff(0), check_in(0), 1).unwrap();
    assert!(fire_overdue(&w, 999, None).is_empty());
    let events = fire_overdue(&w, 1_000, Some(OrgId(1)));
    assert_eq!(events.len(), 2);
    for e in &events {
        apply(&mut w, e, 1_000);
    }
    assert_eq!(w.units[1].overdue_at, Some(1_000));
    assert_eq!(w.units[1].supervisions, 1);
    assert!(fire_overdue(&w, 5_000, None).is_empty());
    // A late check-in after the overdue is still allowed and recorded late.
    w = run(&w, &staff(1), ack(1), 6_000).unwrap();
    w = run(&w, &staff(1), check_in(1), 6_000).unwrap();
    assert!(w.units[1].late);
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
                Op::Tick => {
                    for e in fire_overdue(&w, now, None) {
                        prop_assert!(e.is_system());
                        apply(&mut w, &e, now);
                    }
                    prop_assert_eq!(w.version, before.version);
                    continue;
                }
            };
            match execute(&w, &who, &cmd, w.version, now) {
                Ok((next, events)) => {
                    prop_assert_eq!(next.version, before.version + 1);
                    prop_assert!(!events.is_empty());
                    w = next;
                }
                Err(_) => prop_assert_eq!(&w, &before),
            }
            // A stale version is always refused.
            prop_assert_eq!(execute(&w, &who, &cmd, w.version - 1, now).unwrap_err().code(), "version_conflict");
            for (a, b) in before.units.iter().zip(&w.units) {
                prop_assert!(rank(b.status) >= rank(a.status), "a unit went backwards");
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
    }
}
