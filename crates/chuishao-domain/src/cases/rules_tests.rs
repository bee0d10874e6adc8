//! Rules beyond the transition table: separation of duties, the merge precondition, and the
//! history a loaded case recalls from its events.

#![allow(clippy::unwrap_used, clippy::panic)]

use crate::DomainError;
use crate::access::{Actor, Role, RoleBinding};
use crate::cases::{
    Case, CaseEvent, CaseStatus, Command, HandlerRef, Urgency, apply_event, execute, merge_into, recall,
};
use crate::ids::{CaseId, OrgId, UserId};
use crate::org::OrgKind;

const COMMUNITY: &str = "/1/2/3/";

fn person(id: i64, role: Role, org: i64, path: &str) -> Actor {
    Actor {
        user_id: UserId(id),
        username: format!("u{id}"),
        bindings: vec![RoleBinding { role, org_id: OrgId(org), org_path: path.into() }],
    }
}

fn dispatcher() -> Actor {
    person(1, Role::Dispatcher, 1, "/1/")
}

/// Two workers of the same community (each may handle and verify its cases).
fn worker(id: i64) -> Actor {
    person(id, Role::CommunityWorker, 3, COMMUNITY)
}

fn run(case: &mut Case, who: &Actor, cmd: Command) -> Result<Vec<CaseEvent>, DomainError> {
    let v = case.version;
    execute(case, who, &cmd, v)
}

/// A case of the community, dispatched to it, accepted and resolved by `resolver`.
fn resolved_by(resolver: &Actor) -> Case {
    let community = HandlerRef { id: OrgId(3), kind: OrgKind::Community, path: COMMUNITY.into() };
    let mut c = Case::received(CaseId(9), Some("E0101".into()), Urgency::Normal, format!("{COMMUNITY}4/"));
    run(&mut c, &dispatcher(), Command::Register { category_code: None, urgency: None }).unwrap();
    run(&mut c, &dispatcher(), Command::Dispatch { handler: community, note: None }).unwrap();
    run(&mut c, resolver, Command::Accept).unwrap();
    run(&mut c, resolver, Command::Resolve { result: "已清理".into(), evidence: vec![] }).unwrap();
    c
}

#[test]
fn whoever_resolved_a_result_may_not_verify_it() {
    let (a, b) = (worker(10), worker(11));
    for passed in [true, false] {
        let mut c = resolved_by(&a);
        assert_eq!(c.resolved_by, Some(a.user_id));
        let before = c.clone();
        let err = run(&mut c, &a, Command::Verify { passed, note: None }).unwrap_err();
        assert_eq!(err, DomainError::SeparationOfDuties("u10".into()));
        assert_eq!(err.code(), "separation_of_duties");
        assert_eq!(c, before, "a refusal changes nothing");
        // A colleague of the same community may verify.
        run(&mut c, &b, Command::Verify { passed, note: None }).unwrap();
    }
    // After a failed check the colleague's reopened work, resolved again by the colleague,
    // is theirs: now the first worker may verify and the colleague may not.
    let mut c = resolved_by(&a);
    run(&mut c, &b, Command::Verify { passed: false, note: None }).unwrap();
    run(&mut c, &b, Command::Accept).unwrap();
    run(&mut c, &b, Command::Resolve { result: "重新清理".into(), evidence: vec![] }).unwrap();
    assert_eq!(
        run(&mut c.clone(), &b, Command::Verify { passed: true, note: None }).unwrap_err().code(),
        "separation_of_duties"
    );
    run(&mut c, &a, Command::Verify { passed: true, note: None }).unwrap();
    assert_eq!(c.status, CaseStatus::Verified);
}

#[test]
fn a_loaded_case_recalls_its_pending_return_and_resolver() {
    // Folding a case's events with their actors gives the history `execute` kept.
    let a = worker(10);
    let community = HandlerRef { id: OrgId(3), kind: OrgKind::Community, path: COMMUNITY.into() };
    let mut live = Case::received(CaseId(9), Some("E0101".into()), Urgency::Normal, format!("{COMMUNITY}4/"));
    let mut log: Vec<(CaseEvent, UserId)> = Vec::new();
    let steps = [
        (dispatcher(), Command::Register { category_code: None, urgency: None }),
        (dispatcher(), Command::Dispatch { handler: community.clone(), note: None }),
        (a.clone(), Command::Return { reason: "非本社区".into() }),
    ];
    for (who, cmd) in steps {
        log.extend(run(&mut live, &who, cmd).unwrap().into_iter().map(|e| (e, who.user_id)));
    }
    let mut loaded = Case { returned_by: None, resolved_by: None, ..live.clone() };
    for (e, who) in &log {
        recall(&mut loaded, e, Some(*who));
    }
    assert_eq!(loaded, live);
    assert_eq!(live.returned_by, Some(OrgId(3)));
    for (who, cmd) in [
        (dispatcher(), Command::Dispatch { handler: community, note: Some("属社区职责".into()) }),
        (a.clone(), Command::Accept),
        (a.clone(), Command::Resolve { result: "已清理".into(), evidence: vec![] }),
    ] {
        log.extend(run(&mut live, &who, cmd).unwrap().into_iter().map(|e| (e, who.user_id)));
    }
    let mut loaded = Case { returned_by: None, resolved_by: None, ..live.clone() };
    for (e, who) in &log {
        recall(&mut loaded, e, Some(*who));
    }
    assert_eq!(loaded, live);
    assert_eq!((live.returned_by, live.resolved_by), (None, Some(a.user_id)));
}

#[test]
fn a_duplicate_merges_only_into_an_open_visible_other_case() {
    let disp = dispatcher();
    let dup = Case::received(CaseId(1), None, Urgency::Normal, "/1/2/".into());
    let open = Case::received(CaseId(2), None, Urgency::Normal, "/1/2/".into());
    assert_eq!(merge_into(&dup, &open, &disp).unwrap(), CaseEvent::DuplicateMerged { duplicate_id: CaseId(1) });
    let mut folded = open.clone();
    apply_event(&mut folded, &CaseEvent::DuplicateMerged { duplicate_id: CaseId(1) });
    assert_eq!(folded.duplicate_count, 1);
    let field = |r: Result<CaseEvent, DomainError>| match r {
        Err(DomainError::Invalid { field, reason, .. }) => (field, reason),
        other => panic!("{other:?}"),
    };
    assert_eq!(field(merge_into(&dup, &dup, &disp)).0, "primary_id");
    let closed = Case { status: CaseStatus::Closed, ..open.clone() };
    assert_eq!(field(merge_into(&dup, &closed, &disp)).1, "the primary case is no longer open");
    let merged = Case { status: CaseStatus::Merged, merged_into: Some(CaseId(5)), ..open.clone() };
    assert_eq!(field(merge_into(&dup, &merged, &disp)).1, "the primary case is no longer open");
    // A primary outside the actor's scope does not exist for them.
    let elsewhere = Case { location_path: "/7/".into(), ..open };
    let grid = person(5, Role::GridWorker, 4, "/1/2/");
    assert_eq!(field(merge_into(&dup, &elsewhere, &grid)).1, "no such case");
}
