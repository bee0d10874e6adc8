#![allow(clippy::unwrap_used)]

use super::*;
use crate::access::{Actor, Role, RoleBinding};
use crate::ids::{MemberId, OrgId, UserId, VolunteerId};
use crate::record::Record;

const MIN: i64 = 60_000;
const START: i64 = 1_800_000_000_000;
const LAT: f64 = 39.974;
const LON: f64 = 116.396;

fn community() -> CommunityRef {
    CommunityRef { id: OrgId(3), code: "c3".into(), path: "/1/2/3/".into() }
}

fn worker(path: &str) -> Actor {
    Actor {
        user_id: UserId(9),
        username: "w".into(),
        bindings: vec![RoleBinding { role: Role::CommunityWorker, org_id: OrgId(3), org_path: path.into() }],
    }
}

fn volunteer_actor() -> Actor {
    Actor { user_id: UserId(0), username: "volunteer".into(), bindings: vec![] }
}

fn activity(capacity: u32) -> Activity {
    let n = NewActivity {
        community: community(),
        kind: "cleanup".into(),
        title: "周末大扫除".into(),
        description: String::new(),
        address: "小区东门".into(),
        lat: LAT,
        lon: LON,
        starts_at: START,
        ends_at: START + 120 * MIN,
        capacity,
        skills: vec![],
    };
    let e = publish(&worker("/1/2/3/"), &n, START - 86_400_000).unwrap();
    Activity::fold([crate::record::Recorded { stream_id: 7, version: 1, at: START - 86_400_000, event: &e }]).unwrap()
}

fn person(v: i64) -> Participant {
    Participant { volunteer_id: VolunteerId(v), name: format!("v{v}"), member_id: None, party_org_id: None }
}

fn scan(issued_at: i64, nonce: &str, lat: f64) -> Scan {
    Scan { issued_at, nonce: nonce.into(), lat, lon: LON }
}

fn run(a: &Activity, c: ActivityCommand, now: i64) -> Result<Activity, String> {
    let actor = if matches!(
        c,
        ActivityCommand::SignUp { .. } | ActivityCommand::CheckIn { .. } | ActivityCommand::CheckOut { .. }
    ) {
        volunteer_actor()
    } else {
        worker("/1/2/3/")
    };
    a.execute(&c, &actor, now).map(|(s, _)| s).map_err(|e| e.code().to_string())
}

#[test]
fn an_activity_runs_from_sign_up_to_hours() {
    let a = activity(2);
    let a = run(&a, ActivityCommand::SignUp { participant: person(1) }, START - 60 * MIN).unwrap();
    let v = VolunteerId(1);
    let a =
        run(&a, ActivityCommand::CheckIn { volunteer_id: v, scan: scan(START - 5 * MIN, "n1", LAT) }, START - 4 * MIN)
            .unwrap();
    let a = run(
        &a,
        ActivityCommand::CheckOut { volunteer_id: v, scan: scan(START + 95 * MIN, "n2", LAT) },
        START + 95 * MIN,
    )
    .unwrap();
    let a = run(&a, ActivityCommand::Confirm { volunteer_id: v, half_hours: None }, START + 130 * MIN).unwrap();
    let x = a.attendance(v).unwrap();
    assert_eq!((x.status, x.half_hours), (AttendanceStatus::Confirmed, 3), "95 minutes from the start: 3 half-hours");
    let a = run(&a, ActivityCommand::Close, START + 130 * MIN).unwrap();
    assert_eq!(a.status, ActivityStatus::Closed);
}

#[test]
fn check_in_refusals_have_their_own_codes() {
    let a = run(&activity(1), ActivityCommand::SignUp { participant: person(1) }, START - 60 * MIN).unwrap();
    let v = VolunteerId(1);
    let check_in = |issued: i64, lat: f64, now: i64| {
        run(&a, ActivityCommand::CheckIn { volunteer_id: v, scan: scan(issued, "n", lat) }, now).unwrap_err()
    };
    assert_eq!(check_in(START - 40 * MIN, LAT, START - 40 * MIN), "activity_not_open");
    assert_eq!(check_in(START + 121 * MIN, LAT, START + 121 * MIN), "activity_closed");
    assert_eq!(check_in(START, LAT, START + QR_VALIDITY_MS + 1), "qr_expired");
    assert_eq!(check_in(START + 5 * MIN, LAT, START), "qr_forged");
    assert_eq!(check_in(START, LAT + 0.01, START), "too_far");
    assert_eq!(
        run(&a, ActivityCommand::SignUp { participant: person(2) }, START - 60 * MIN).unwrap_err(),
        "activity_full"
    );
    let inside = run(&a, ActivityCommand::CheckIn { volunteer_id: v, scan: scan(START, "n", LAT) }, START).unwrap();
    assert_eq!(
        run(&inside, ActivityCommand::CheckIn { volunteer_id: v, scan: scan(START, "m", LAT) }, START).unwrap_err(),
        "already_checked_in"
    );
    assert_eq!(
        run(&inside, ActivityCommand::CheckOut { volunteer_id: v, scan: scan(START, "n", LAT) }, START).unwrap_err(),
        "qr_replayed"
    );
    assert_eq!(
        run(&a, ActivityCommand::Confirm { volunteer_id: v, half_hours: None }, START).unwrap_err(),
        "not_checked_in"
    );
    assert_eq!(
        run(&a, ActivityCommand::Adjust { volunteer_id: v, half_hours: 2, reason: "x".into() }, START).unwrap_err(),
        "attendance_not_confirmed"
    );
}

#[test]
fn only_the_community_confirms_and_closes() {
    let a = run(&activity(3), ActivityCommand::SignUp { participant: person(1) }, START - 60 * MIN).unwrap();
    let other = worker("/1/2/4/");
    let err = a.execute(&ActivityCommand::Close, &other, START + 200 * MIN).unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let closed = run(&a, ActivityCommand::Close, START + 200 * MIN).unwrap();
    assert_eq!(closed.attendance(VolunteerId(1)).unwrap().status, AttendanceStatus::NoShow);
}

#[test]
fn posts_are_assigned_by_skill() {
    let actor = worker("/1/2/3/");
    let e = create_post(
        &actor,
        &NewPost {
            community: community(),
            name: "调解员".into(),
            skill: Some("mediation".into()),
            seats: 1,
            description: String::new(),
        },
    )
    .unwrap();
    let post = Post::fold([crate::record::Recorded { stream_id: 5, version: 1, at: 0, event: &e }]).unwrap();
    let mut member = PartyMember {
        id: MemberId(8),
        version: 2,
        community: community(),
        name: "李四".into(),
        phone: "13800000000".into(),
        unit_name: "区医院".into(),
        party_org_id: None,
        skills: vec!["medical".into()],
        availability: String::new(),
        commitment_per_year: 4,
        registration: Registration {
            status: RegistrationStatus::Confirmed,
            registered_at: 0,
            decided_at: Some(0),
            decline_reason: None,
        },
    };
    let assign = |m: &PartyMember| post.execute(&PostCommand::Assign { member: Box::new(m.clone()) }, &actor, 1);
    assert_eq!(assign(&member).unwrap_err().code(), "skill_missing");
    member.skills.push("mediation".into());
    let (held, _) = assign(&member).unwrap();
    assert_eq!(held.holders.len(), 1);
    member.registration.status = RegistrationStatus::Pending;
    assert_eq!(assign(&member).unwrap_err().code(), "member_not_confirmed");
}

#[test]
fn years_begin_at_midnight_in_beijing() {
    assert_eq!(year_start(2026), 1_767_196_800_000);
    assert_eq!(year_of(year_start(2026)), 2026);
    assert_eq!(year_of(year_start(2026) - 1), 2025);
    assert_eq!(year_of(year_start(2027) - 1), 2026);
}

proptest::proptest! {
    #[test]
    fn half_hours_never_exceed_the_time_or_the_cap(from in 0i64..10_000_000, len in -1_000_000i64..200_000_000) {
        let h = half_hours_between(from, from + len);
        proptest::prop_assert!(i64::from(h) * 1_800_000 <= len.max(0));
        proptest::prop_assert!(h <= MAX_HALF_HOURS);
    }
}
