#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The case lifecycle, tested from outside the crate.
//!
//! The property test drives one case through random sequences of commands from five actors
//! (a district dispatcher, staff of two departments, the grid worker of the case's grid and a
//! read-only viewer), with the expected version usually right and sometimes stale or from the
//! future. After every step it checks the result against `TRANSITIONS`, the allowed-transition
//! table written out below as the specification, and checks the case's invariants.
//!
//! Half of the steps are "free" (any actor, any command, fields possibly invalid); the other
//! half are "guided": a well-formed command for an action the table lists for the current
//! status, from the actor who would normally send it. Without guidance a random walk rarely
//! gets past dispatch; `random_walks_cover_the_whole_table` checks that it does.

use std::collections::HashSet;

use chuishao_domain::DomainError;
use chuishao_domain::access::{Actor, Role, RoleBinding};
use chuishao_domain::cases::{
    Action, Case, CaseEvent, CaseStatus, Command, HandlerRef, Satisfaction, Source, Urgency, execute,
};
use chuishao_domain::category::{Catalogue, CategoryClass, UrgencyTier};
use chuishao_domain::ids::{CaseId, OrgId, UserId};
use chuishao_domain::org::OrgKind;
use chuishao_domain::record::{Record, Recorded};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use Action as A;
use CaseStatus as S;

// ───────────────────────────── the specification ─────────────────────────────

/// An extra condition on the case for a transition to be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    Always,
    /// The case is not parked (挂账).
    NotParked,
    /// The case is parked.
    Parked,
    /// An extension request is waiting for a decision.
    Pending,
    /// Not parked, and no extension request already waiting.
    NotParkedNoPending,
}

impl Guard {
    fn holds(self, case: &Case) -> bool {
        match self {
            Guard::Always => true,
            Guard::NotParked => !case.parked,
            Guard::Parked => case.parked,
            Guard::Pending => case.extension_pending_days.is_some(),
            Guard::NotParkedNoPending => !case.parked && case.extension_pending_days.is_none(),
        }
    }
}

/// Every transition the lifecycle allows: (status before, action, guard, statuses allowed
/// after). Anything not listed must fail. Rejected and merged cases allow nothing.
const TRANSITIONS: &[(CaseStatus, Action, Guard, &[CaseStatus])] = &[
    // 受理
    (S::Received, A::Register, Guard::Always, &[S::Registered]),
    (S::Received, A::Reject, Guard::Always, &[S::Rejected]),
    (S::Received, A::Merge, Guard::Always, &[S::Merged]),
    (S::Received, A::Supervise, Guard::Always, &[S::Received]),
    // 立案
    (S::Registered, A::Reject, Guard::Always, &[S::Rejected]),
    (S::Registered, A::Dispatch, Guard::Always, &[S::Dispatched]),
    (S::Registered, A::Merge, Guard::Always, &[S::Merged]),
    (S::Registered, A::Supervise, Guard::Always, &[S::Registered]),
    // 派遣
    (S::Dispatched, A::Accept, Guard::NotParked, &[S::Accepted]),
    (S::Dispatched, A::Return, Guard::NotParked, &[S::Registered]),
    (S::Dispatched, A::RequestExtension, Guard::NotParkedNoPending, &[S::Dispatched]),
    (S::Dispatched, A::Park, Guard::NotParked, &[S::Dispatched]),
    (S::Dispatched, A::Unpark, Guard::Parked, &[S::Dispatched]),
    (S::Dispatched, A::ApproveExtension, Guard::Pending, &[S::Dispatched]),
    (S::Dispatched, A::DenyExtension, Guard::Pending, &[S::Dispatched]),
    (S::Dispatched, A::Supervise, Guard::Always, &[S::Dispatched]),
    (S::Dispatched, A::SetTier, Guard::Always, &[S::Dispatched]),
    // 签收
    (S::Accepted, A::Resolve, Guard::NotParked, &[S::Resolved]),
    (S::Accepted, A::Return, Guard::NotParked, &[S::Registered]),
    (S::Accepted, A::RequestExtension, Guard::NotParkedNoPending, &[S::Accepted]),
    (S::Accepted, A::Park, Guard::NotParked, &[S::Accepted]),
    (S::Accepted, A::Unpark, Guard::Parked, &[S::Accepted]),
    (S::Accepted, A::ApproveExtension, Guard::Pending, &[S::Accepted]),
    (S::Accepted, A::DenyExtension, Guard::Pending, &[S::Accepted]),
    (S::Accepted, A::Supervise, Guard::Always, &[S::Accepted]),
    (S::Accepted, A::SetTier, Guard::Always, &[S::Accepted]),
    // 办结
    (S::Resolved, A::Verify, Guard::Always, &[S::Verified, S::Dispatched]),
    (S::Resolved, A::Reopen, Guard::Always, &[S::Dispatched]),
    (S::Resolved, A::Callback, Guard::Always, &[S::Resolved]),
    (S::Resolved, A::Supervise, Guard::Always, &[S::Resolved]),
    // 核查
    (S::Verified, A::Close, Guard::Always, &[S::Closed]),
    (S::Verified, A::Reopen, Guard::Always, &[S::Dispatched]),
    (S::Verified, A::Callback, Guard::Always, &[S::Verified]),
    (S::Verified, A::Supervise, Guard::Always, &[S::Verified]),
    // 结案
    (S::Closed, A::Reopen, Guard::Always, &[S::Dispatched]),
    (S::Closed, A::Callback, Guard::Always, &[S::Closed]),
];

/// The table row allowing `action` on `case`, if any.
fn allowed_row(case: &Case, action: Action) -> Option<usize> {
    TRANSITIONS.iter().position(|(from, a, guard, _)| *from == case.status && *a == action && guard.holds(case))
}

/// The event kinds a successful command must produce, in order.
fn expected_kinds(cmd: &Command) -> Vec<&'static str> {
    match cmd {
        Command::Register { .. } => vec!["registered"],
        Command::Reject { .. } => vec!["rejected"],
        Command::Dispatch { .. } => vec!["dispatched"],
        Command::Accept => vec!["accepted"],
        Command::Return { .. } => vec!["returned"],
        Command::RequestExtension { .. } => vec!["extension_requested"],
        Command::ApproveExtension { .. } => vec!["extension_approved"],
        Command::DenyExtension { .. } => vec!["extension_denied"],
        Command::Park { .. } => vec!["parked"],
        Command::Unpark => vec!["unparked"],
        Command::Resolve { .. } => vec!["resolved"],
        Command::Verify { passed: true, .. } => vec!["verification_passed"],
        Command::Verify { passed: false, .. } => vec!["verification_failed", "reopened"],
        Command::Reopen { .. } => vec!["reopened"],
        Command::Close => vec!["closed"],
        Command::Supervise { .. } => vec!["supervised"],
        Command::Merge { .. } => vec!["merged_into"],
        Command::Callback { .. } => vec!["callback_recorded"],
        Command::SetTier { .. } => vec!["tier_changed"],
    }
}

// ───────────────────────────── the cast ─────────────────────────────

const DISTRICT_PATH: &str = "/1/";
const DEPT_A_PATH: &str = "/1/50/";
const DEPT_B_PATH: &str = "/1/60/";
const GRID_PATH: &str = "/1/2/3/4/";
const DEPT_A: OrgId = OrgId(50);
const DEPT_B: OrgId = OrgId(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Who {
    Dispatcher,
    DeptA,
    DeptB,
    GridWorker,
    Viewer,
}

fn actor(who: Who) -> Actor {
    let (user, name, role, org, path) = match who {
        Who::Dispatcher => (1, "dispatcher", Role::Dispatcher, 1, DISTRICT_PATH),
        Who::DeptA => (2, "dept_a_staff", Role::DepartmentStaff, 50, DEPT_A_PATH),
        Who::DeptB => (3, "dept_b_staff", Role::DepartmentStaff, 60, DEPT_B_PATH),
        Who::GridWorker => (4, "grid_worker", Role::GridWorker, 4, GRID_PATH),
        Who::Viewer => (5, "viewer", Role::Viewer, 1, DISTRICT_PATH),
    };
    Actor {
        user_id: UserId(user),
        username: name.into(),
        bindings: vec![RoleBinding { role, org_id: OrgId(org), org_path: path.into() }],
    }
}

fn dept_a() -> HandlerRef {
    HandlerRef { id: DEPT_A, kind: OrgKind::Department, path: DEPT_A_PATH.into() }
}

fn dept_b() -> HandlerRef {
    HandlerRef { id: DEPT_B, kind: OrgKind::Department, path: DEPT_B_PATH.into() }
}

/// A grid is a place, not a unit that acts: dispatching to it must be refused.
fn grid_as_handler() -> HandlerRef {
    HandlerRef { id: OrgId(4), kind: OrgKind::Grid, path: GRID_PATH.into() }
}

fn new_case() -> Case {
    Case::received(CaseId(1), Some("E0101".into()), Urgency::Normal, GRID_PATH.into())
}

fn reason() -> String {
    "事项不属于本单位职责".into()
}

// ───────────────────────────── generators ─────────────────────────────

/// How the command of a step is chosen.
#[derive(Debug, Clone)]
enum Pick {
    /// This actor sends this command, whatever the case's state.
    Free(Who, Command),
    /// A well-formed command for one of the actions the table lists for the current status
    /// (row index taken modulo their number, or the step towards closure when `forward`), with
    /// `variant` choosing among its forms, sent by the actor who would normally send it unless
    /// `who` overrides.
    Guided { forward: bool, row: usize, variant: usize, who: Option<Who> },
}

#[derive(Debug, Clone)]
struct Step {
    pick: Pick,
    /// Added to the case's current version to make the expected version; usually 0.
    version_offset: i64,
}

fn who_s() -> impl Strategy<Value = Who> {
    prop_oneof![
        3 => Just(Who::Dispatcher),
        3 => Just(Who::DeptA),
        2 => Just(Who::DeptB),
        2 => Just(Who::GridWorker),
        1 => Just(Who::Viewer),
    ]
}

fn text_s() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => Just(reason()),
        1 => Just(String::new()),
        1 => Just("  \t ".to_string()),
        1 => Just("长".repeat(4001)),
    ]
}

fn opt_text_s() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        3 => Just(Some("现场已处理".to_string())),
        1 => Just(Some("长".repeat(4001))),
    ]
}

fn handler_s() -> impl Strategy<Value = HandlerRef> {
    prop_oneof![3 => Just(dept_a()), 2 => Just(dept_b()), 1 => Just(grid_as_handler())]
}

fn satisfaction_s() -> impl Strategy<Value = Satisfaction> {
    prop_oneof![Just(Satisfaction::Satisfied), Just(Satisfaction::BasicallySatisfied), Just(Satisfaction::Dissatisfied),]
}

fn evidence_s() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        4 => prop::collection::vec(Just("photos/after-1.jpg".to_string()), 0..3),
        1 => Just(vec![String::new()]),
        1 => Just(vec!["photo.jpg".to_string(); 21]),
    ]
}

/// Any command, fields possibly invalid.
fn command_s() -> impl Strategy<Value = Command> {
    prop_oneof![
        (prop::option::of(Just("E0502".to_string())), prop::option::of(Just(Urgency::Urgent)))
            .prop_map(|(category_code, urgency)| Command::Register { category_code, urgency }),
        text_s().prop_map(|reason| Command::Reject { reason }),
        (handler_s(), opt_text_s()).prop_map(|(handler, note)| Command::Dispatch { handler, note }),
        Just(Command::Accept),
        text_s().prop_map(|reason| Command::Return { reason }),
        (0u32..=32, text_s()).prop_map(|(days, reason)| Command::RequestExtension { days, reason }),
        prop::option::of(0u32..=35).prop_map(|days| Command::ApproveExtension { days }),
        text_s().prop_map(|reason| Command::DenyExtension { reason }),
        text_s().prop_map(|reason| Command::Park { reason }),
        Just(Command::Unpark),
        (text_s(), evidence_s()).prop_map(|(result, evidence)| Command::Resolve { result, evidence }),
        (any::<bool>(), opt_text_s()).prop_map(|(passed, note)| Command::Verify { passed, note }),
        (text_s(), prop::option::of(handler_s())).prop_map(|(reason, handler)| Command::Reopen { reason, handler }),
        Just(Command::Close),
        text_s().prop_map(|note| Command::Supervise { note, level: 1 }),
        prop_oneof![3 => Just(CaseId(2)), 1 => Just(CaseId(1))].prop_map(|primary| Command::Merge { primary }),
        (any::<bool>(), satisfaction_s(), opt_text_s()).prop_map(|(solved, satisfaction, comment)| Command::Callback {
            solved,
            satisfaction,
            comment
        }),
    ]
}

fn step_s() -> impl Strategy<Value = Step> {
    let pick = prop_oneof![
        (who_s(), command_s()).prop_map(|(who, cmd)| Pick::Free(who, cmd)),
        (prop::bool::weighted(0.6), any::<usize>(), any::<usize>(), prop::option::weighted(0.2, who_s()))
            .prop_map(|(forward, row, variant, who)| Pick::Guided { forward, row, variant, who }),
    ];
    let version_offset = prop_oneof![
        8 => Just(0i64),
        1 => (1i64..=3).prop_map(|k| -k),
        1 => 1i64..=3,
    ];
    (pick, version_offset).prop_map(|(pick, version_offset)| Step { pick, version_offset })
}

fn steps_s() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step_s(), 0..=40)
}

/// A well-formed command for `action` on `case`, in one of a few forms.
fn good_command(action: Action, variant: usize, case: &Case) -> Command {
    let handler = if variant.is_multiple_of(2) { dept_a() } else { dept_b() };
    match action {
        A::Register => Command::Register { category_code: None, urgency: None },
        A::Reject => Command::Reject { reason: reason() },
        A::Dispatch => Command::Dispatch { handler, note: None },
        A::Accept => Command::Accept,
        A::Return => Command::Return { reason: reason() },
        A::RequestExtension => Command::RequestExtension { days: 1 + (variant % 10) as u32, reason: reason() },
        A::ApproveExtension => Command::ApproveExtension {
            days: if variant.is_multiple_of(3) {
                None
            } else {
                case.extension_pending_days.map(|d| 1 + variant as u32 % d)
            },
        },
        A::DenyExtension => Command::DenyExtension { reason: reason() },
        A::Park => Command::Park { reason: "需纳入年度工程解决".into() },
        A::Unpark => Command::Unpark,
        A::Resolve => Command::Resolve { result: "已修复".into(), evidence: vec!["photos/after-1.jpg".into()] },
        // Mostly pass: a failed check loops back, and the walk should also reach closure.
        A::Verify => Command::Verify { passed: !variant.is_multiple_of(4), note: None },
        A::Reopen => Command::Reopen {
            reason: "回访不满意".into(),
            handler: match variant % 3 {
                0 => None,
                _ => Some(handler),
            },
        },
        A::Close => Command::Close,
        A::Supervise => Command::Supervise { note: "超期督办".into(), level: 1 },
        A::SetTier => Command::SetTier {
            tier: [UrgencyTier::Emergency, UrgencyTier::Utilities, UrgencyTier::Normal, UrgencyTier::Complex]
                [variant % 4],
            reason: "涉及多个部门".into(),
        },
        A::Merge => Command::Merge { primary: CaseId(2) },
        A::Callback => Command::Callback {
            solved: variant.is_multiple_of(2),
            satisfaction: Satisfaction::Satisfied,
            comment: None,
        },
    }
}

/// The actor who would normally send `action` on `case`.
fn natural_actor(action: Action, case: &Case) -> Who {
    match action {
        A::Accept | A::Return | A::RequestExtension | A::Resolve => match case.handler.as_ref().map(|h| h.id) {
            Some(DEPT_B) => Who::DeptB,
            _ => Who::DeptA,
        },
        A::Verify => Who::GridWorker,
        _ => Who::Dispatcher,
    }
}

/// The action that moves a case on towards closure (and, once closed, back to work). A
/// pending extension request is decided first, approved or denied as `variant` says.
fn forward_action(case: &Case, variant: usize) -> Option<Action> {
    match case.status {
        S::Dispatched | S::Accepted if case.parked => Some(A::Unpark),
        S::Dispatched | S::Accepted if case.extension_pending_days.is_some() => {
            Some(if variant.is_multiple_of(2) { A::ApproveExtension } else { A::DenyExtension })
        }
        S::Received => Some(A::Register),
        S::Registered => Some(A::Dispatch),
        S::Dispatched => Some(A::Accept),
        S::Accepted => Some(A::Resolve),
        S::Resolved => Some(A::Verify),
        S::Verified => Some(A::Close),
        S::Closed => Some(A::Reopen),
        S::Rejected | S::Merged => None,
    }
}

/// Turns a step into an actor and a command, given the case as it is now.
fn resolve_pick(pick: &Pick, case: &Case) -> (Who, Command) {
    match pick {
        Pick::Free(who, cmd) => (*who, cmd.clone()),
        Pick::Guided { forward, row, variant, who } => {
            let actions: Vec<Action> =
                TRANSITIONS.iter().filter(|(from, ..)| *from == case.status).map(|(_, a, ..)| *a).collect();
            let action = match forward_action(case, *variant) {
                Some(a) if *forward => a,
                // Rejected and merged cases have no rows: try anything on them.
                _ if actions.is_empty() => Action::ALL[row % Action::ALL.len()],
                _ => actions[row % actions.len()],
            };
            let who = who.unwrap_or_else(|| natural_actor(action, case));
            (who, good_command(action, *variant, case))
        }
    }
}

// ───────────────────────────── the property ─────────────────────────────

fn check_invariants(case: &Case) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        case.handler.is_some(),
        case.status.has_handler(),
        "handler {:?} in status {:?}",
        case.handler,
        case.status
    );
    if case.parked {
        prop_assert!(matches!(case.status, S::Dispatched | S::Accepted), "parked while {:?}", case.status);
    }
    if case.extension_pending_days.is_some() {
        prop_assert!(matches!(case.status, S::Dispatched | S::Accepted), "extension pending while {:?}", case.status);
    }
    prop_assert_eq!(case.merged_into.is_some(), case.status == S::Merged);
    Ok(())
}

/// What a run exercised, for the coverage test.
#[derive(Default)]
struct Coverage {
    /// Table rows taken by successful commands.
    rows: HashSet<usize>,
    statuses: HashSet<CaseStatus>,
    version_conflicts: usize,
    errors: HashSet<&'static str>,
}

/// The case the log `log` folds to from nothing (stream id 1).
fn fold_log(log: &[(i64, CaseEvent, Option<UserId>)]) -> Option<Case> {
    <Case as Record>::fold(log.iter().map(|(version, event, _)| Recorded {
        stream_id: 1,
        version: *version,
        at: 0,
        event,
    }))
}

/// The state the rules decide on: the fold, plus what a loaded case recalls from its events
/// and their actors (`cases::recall`: a pending return, who resolved).
fn recalled(log: &[(i64, CaseEvent, Option<UserId>)]) -> Option<Case> {
    let mut case = fold_log(log)?;
    for (_, event, actor) in log {
        chuishao_domain::cases::recall(&mut case, event, *actor);
    }
    Some(case)
}

/// The projection the row keeps (the fold): the case without what it recalls.
fn projection(case: &Case) -> Case {
    Case { returned_by: None, resolved_by: None, ..case.clone() }
}

fn run_walk(steps: &[Step], cov: &mut Coverage) -> Result<(), TestCaseError> {
    let mut case = new_case();
    let mut successes = 0i64;
    // 5. The state is always the fold of its events from nothing: apply needs only them.
    let mut log = vec![(
        1,
        CaseEvent::Received {
            source: Source::Web,
            category_code: Some("E0101".into()),
            urgency: Urgency::Normal,
            description: "路灯不亮".into(),
            lat: None,
            lon: None,
            address: None,
            location_org_id: None,
            location_path: Some(GRID_PATH.into()),
        },
        None,
    )];
    check_invariants(&case)?;
    for step in steps {
        prop_assert_eq!(fold_log(&log), Some(projection(&case)), "the case is not the fold of its events");
        prop_assert_eq!(recalled(&log), Some(case.clone()), "a loaded case would not recall its history");
        cov.statuses.insert(case.status);
        let before = case.clone();
        let before_bytes = serde_json::to_vec(&case).unwrap();
        let (who, cmd) = resolve_pick(&step.pick, &case);
        let expected_version = case.version + step.version_offset;
        let result = execute(&mut case, &actor(who), &cmd, expected_version);
        let action = cmd.action();

        match &result {
            Err(err) => {
                cov.errors.insert(err.code());
                // 2. Nothing changes on any error, down to the serialised bytes.
                prop_assert_eq!(&case, &before);
                prop_assert_eq!(serde_json::to_vec(&case).unwrap(), before_bytes);
                // 1. A wrong version is reported as a conflict, before anything else.
                if step.version_offset != 0 {
                    cov.version_conflicts += 1;
                    prop_assert_eq!(
                        err,
                        &DomainError::VersionConflict { expected: expected_version, current: before.version }
                    );
                }
                // An outsider learns nothing about the state: the viewer is always forbidden.
                if step.version_offset == 0 && who == Who::Viewer {
                    prop_assert_eq!(err.code(), "forbidden");
                }
            }
            Ok(events) => {
                successes += 1;
                log.extend(events.iter().map(|e| (case.version, e.clone(), Some(actor(who).user_id))));
                prop_assert_eq!(step.version_offset, 0, "succeeded with a wrong version");
                // 3. Events, version, and the transition is in the table.
                prop_assert!(!events.is_empty());
                prop_assert_eq!(case.version, before.version + 1);
                let kinds: Vec<&str> = events.iter().map(CaseEvent::kind).collect();
                prop_assert_eq!(kinds, expected_kinds(&cmd));
                let Some(row) = allowed_row(&before, action) else {
                    return Err(TestCaseError::fail(format!(
                        "{} succeeded from {:?} (parked {}, pending {:?}), which the table forbids",
                        action.as_str(),
                        before.status,
                        before.parked,
                        before.extension_pending_days
                    )));
                };
                cov.rows.insert(row);
                let (_, _, _, to) = TRANSITIONS[row];
                prop_assert!(
                    to.contains(&case.status),
                    "{} from {:?} led to {:?}",
                    action.as_str(),
                    before.status,
                    case.status
                );

                // The handler is the one named, or kept.
                match &cmd {
                    Command::Dispatch { handler, .. } | Command::Reopen { handler: Some(handler), .. } => {
                        prop_assert_eq!(case.handler.as_ref(), Some(handler));
                    }
                    Command::Return { .. } => prop_assert_eq!(&case.handler, &None),
                    Command::Register { .. } | Command::Reject { .. } | Command::Merge { .. } => {}
                    _ => prop_assert_eq!(&case.handler, &before.handler),
                }
                // A dispatch of a returned case is a ruling: back to the unit that returned it
                // only with a reason, and the event says which ruling it was.
                if let Command::Dispatch { handler, note } = &cmd {
                    if before.returned_by == Some(handler.id) {
                        prop_assert!(note.as_deref().is_some_and(|n| !n.trim().is_empty()), "upheld without a reason");
                    }
                    let ruled = matches!(events.as_slice(), [CaseEvent::Dispatched { ruling: Some(_), .. }]);
                    prop_assert_eq!(ruled, before.returned_by.is_some());
                    prop_assert_eq!(case.returned_by, None);
                }
                if matches!(cmd, Command::Reopen { .. } | Command::Verify { passed: false, .. }) {
                    prop_assert_eq!(case.reopen_count, before.reopen_count + 1);
                }

                // 4. Who may succeed at all.
                prop_assert!(who != Who::Viewer, "the viewer succeeded at {}", action.as_str());
                let before_handler = before.handler.as_ref().map(|h| h.id);
                match who {
                    Who::DeptA | Who::DeptB => {
                        let own = if who == Who::DeptA { DEPT_A } else { DEPT_B };
                        prop_assert_eq!(before_handler, Some(own), "{:?} acted on another unit's case", who);
                        prop_assert!(
                            matches!(action, A::Accept | A::Return | A::RequestExtension | A::Resolve),
                            "{:?} succeeded at {}",
                            who,
                            action.as_str()
                        );
                    }
                    Who::GridWorker => prop_assert_eq!(action, A::Verify),
                    Who::Dispatcher => prop_assert!(
                        !matches!(action, A::Accept | A::Return | A::RequestExtension | A::Resolve),
                        "the dispatcher did the handler's {}",
                        action.as_str()
                    ),
                    Who::Viewer => {}
                }
                if who == Who::DeptB {
                    prop_assert_ne!(before_handler, Some(DEPT_A));
                }
            }
        }

        // 4. Terminal rejected/merged cases never change again.
        if matches!(before.status, S::Rejected | S::Merged) {
            prop_assert!(result.is_err(), "{} succeeded on a {:?} case", action.as_str(), before.status);
            prop_assert_eq!(&case, &before);
        }
        check_invariants(&case)?;
        prop_assert_eq!(case.version, 1 + successes);
    }
    prop_assert_eq!(fold_log(&log), Some(projection(&case)), "the case is not the fold of its events");
    prop_assert_eq!(recalled(&log), Some(case.clone()), "a loaded case would not recall its history");
    cov.statuses.insert(case.status);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_walks_respect_the_lifecycle(steps in steps_s()) {
        run_walk(&steps, &mut Coverage::default())?;
    }
}

/// The property above is only as good as the states its walks reach: check that a fixed,
/// seeded set of walks takes every row of the table and sees every status and error kind.
#[test]
fn random_walks_cover_the_whole_table() {
    let mut runner = TestRunner::deterministic();
    let strategy = steps_s();
    let mut cov = Coverage::default();
    for _ in 0..600 {
        let steps = strategy.new_tree(&mut runner).unwrap().current();
        run_walk(&steps, &mut cov).unwrap();
    }
    let missing: Vec<String> = (0..TRANSITIONS.len())
        .filter(|i| !cov.rows.contains(i))
        .map(|i| format!("{:?}/{}", TRANSITIONS[i].0, TRANSITIONS[i].1.as_str()))
        .collect();
    assert!(missing.is_empty(), "rows never taken: {missing:?}");
    for status in CaseStatus::ALL {
        assert!(cov.statuses.contains(&status), "status {status:?} never reached");
    }
    assert!(cov.version_conflicts > 0);
    for code in ["validation_failed", "illegal_transition", "version_conflict", "forbidden"] {
        assert!(cov.errors.contains(code), "no {code} error seen");
    }
}

// ───────────────────────────── specific paths ─────────────────────────────

/// Runs a command at the current version and returns the event kinds.
fn run(case: &mut Case, who: Who, cmd: Command) -> Vec<&'static str> {
    let version = case.version;
    let events =
        execute(case, &actor(who), &cmd, version).unwrap_or_else(|e| panic!("{} failed: {e}", cmd.action().as_str()));
    events.iter().map(CaseEvent::kind).collect()
}

/// Runs a command at the current version that must fail, checks nothing changed, and
/// returns the error.
fn refused(case: &mut Case, who: Who, cmd: Command) -> DomainError {
    let before = case.clone();
    let version = case.version;
    let err = execute(case, &actor(who), &cmd, version).expect_err("command should be refused");
    assert_eq!(*case, before);
    err
}

fn dispatched_to_a() -> Case {
    let mut case = new_case();
    run(&mut case, Who::Dispatcher, Command::Register { category_code: None, urgency: None });
    run(&mut case, Who::Dispatcher, Command::Dispatch { handler: dept_a(), note: None });
    case
}

#[test]
fn happy_path_from_receipt_to_closure() {
    let mut case = new_case();
    assert_eq!(case.version, 1);
    assert_eq!(
        run(&mut case, Who::Dispatcher, Command::Register { category_code: None, urgency: None }),
        ["registered"]
    );
    assert_eq!(case.status, S::Registered);
    assert_eq!(case.category_code.as_deref(), Some("E0101"));
    assert_eq!(
        run(&mut case, Who::Dispatcher, Command::Dispatch { handler: dept_a(), note: Some("请尽快处理".into()) }),
        ["dispatched"]
    );
    assert_eq!(case.handler, Some(dept_a()));
    assert_eq!(run(&mut case, Who::DeptA, Command::Accept), ["accepted"]);
    assert_eq!(
        run(
            &mut case,
            Who::DeptA,
            Command::Resolve { result: "垃圾已清运".into(), evidence: vec!["photos/after-1.jpg".into()] }
        ),
        ["resolved"]
    );
    assert_eq!(run(&mut case, Who::GridWorker, Command::Verify { passed: true, note: None }), ["verification_passed"]);
    assert_eq!(case.status, S::Verified);
    assert_eq!(run(&mut case, Who::Dispatcher, Command::Close), ["closed"]);
    assert_eq!(case.status, S::Closed);
    assert_eq!(case.handler, Some(dept_a()));
    assert_eq!(case.version, 7);
    assert_eq!(
        run(
            &mut case,
            Who::Dispatcher,
            Command::Callback { solved: true, satisfaction: Satisfaction::Satisfied, comment: None }
        ),
        ["callback_recorded"]
    );
    assert_eq!(case.status, S::Closed);
    assert_eq!(case.reopen_count, 0);
}

#[test]
fn failed_verification_sends_the_case_back_to_the_same_handler() {
    let mut case = dispatched_to_a();
    run(&mut case, Who::DeptA, Command::Accept);
    run(&mut case, Who::DeptA, Command::Resolve { result: "已修复".into(), evidence: vec![] });
    let kinds = run(&mut case, Who::GridWorker, Command::Verify { passed: false, note: Some("井盖仍松动".into()) });
    assert_eq!(kinds, ["verification_failed", "reopened"]);
    assert_eq!(case.status, S::Dispatched);
    assert_eq!(case.handler, Some(dept_a()));
    assert_eq!(case.reopen_count, 1);
    // The same unit signs for it again.
    assert_eq!(run(&mut case, Who::DeptA, Command::Accept), ["accepted"]);
}

#[test]
fn reject_needs_a_reason() {
    let mut case = new_case();
    for reason in ["", "   "] {
        let err = refused(&mut case, Who::Dispatcher, Command::Reject { reason: reason.into() });
        assert!(matches!(err, DomainError::Invalid { field: "reason", .. }), "{err:?}");
        assert_eq!(err.code(), "validation_failed");
    }
    assert_eq!(run(&mut case, Who::Dispatcher, Command::Reject { reason: "重复诉求".into() }), ["rejected"]);
    assert_eq!(case.status, S::Rejected);
}

#[test]
fn an_unclassified_case_cannot_be_dispatched() {
    let mut case = Case::received(CaseId(1), None, Urgency::Normal, GRID_PATH.into());
    run(&mut case, Who::Dispatcher, Command::Register { category_code: None, urgency: None });
    assert_eq!(case.category_code, None);
    let err = refused(&mut case, Who::Dispatcher, Command::Dispatch { handler: dept_a(), note: None });
    assert!(matches!(err, DomainError::Invalid { field: "category_code", .. }), "{err:?}");
    assert_eq!(case.status, S::Registered);
}

#[test]
fn a_grid_cannot_be_a_handler() {
    let mut case = new_case();
    run(&mut case, Who::Dispatcher, Command::Register { category_code: None, urgency: None });
    let err = refused(&mut case, Who::Dispatcher, Command::Dispatch { handler: grid_as_handler(), note: None });
    assert!(matches!(err, DomainError::Invalid { field: "handler", .. }), "{err:?}");
}

#[test]
fn a_stale_version_is_a_conflict_even_for_an_outsider() {
    let mut case = dispatched_to_a();
    let before = case.clone();
    let err = execute(&mut case, &actor(Who::Viewer), &Command::Accept, 2).unwrap_err();
    assert_eq!(err, DomainError::VersionConflict { expected: 2, current: 3 });
    let err = execute(&mut case, &actor(Who::DeptB), &Command::Accept, 3).unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert_eq!(case, before);
}

#[test]
fn a_returned_case_loses_its_handler_and_pending_extension() {
    let mut case = dispatched_to_a();
    run(&mut case, Who::DeptA, Command::RequestExtension { days: 5, reason: "需协调产权单位".into() });
    assert_eq!(case.extension_pending_days, Some(5));
    assert_eq!(run(&mut case, Who::DeptA, Command::Return { reason: reason() }), ["returned"]);
    assert_eq!(case.status, S::Registered);
    assert_eq!(case.handler, None);
    assert_eq!(case.extension_pending_days, None);
    // Re-dispatched elsewhere, the old unit can no longer touch it.
    run(&mut case, Who::Dispatcher, Command::Dispatch { handler: dept_b(), note: None });
    assert_eq!(refused(&mut case, Who::DeptA, Command::Accept).code(), "forbidden");
    assert_eq!(run(&mut case, Who::DeptB, Command::Accept), ["accepted"]);
}

// ───────────────────────────── the demo catalogue ─────────────────────────────

const DEPARTMENTS: [&str; 10] = ["CGW", "CGZF", "ZJW", "SCJG", "SHJ", "JTW", "SWJ", "YLJ", "GAJ", "GHZR"];

#[test]
fn demo_catalogue_parses() {
    let catalogue: Catalogue = toml::from_str(include_str!("../../../data/categories.toml")).unwrap();
    let categories = catalogue.flatten().unwrap();

    let majors = |class: CategoryClass| catalogue.majors.iter().filter(|m| m.class == class).count();
    assert!(majors(CategoryClass::Component) >= 6);
    assert!(majors(CategoryClass::Event) >= 5);
    assert!(categories.len() >= 40, "only {} minors", categories.len());

    for c in &categories {
        let dept = c.department_code.as_deref().unwrap_or_else(|| panic!("{} has no department", c.code));
        assert!(DEPARTMENTS.contains(&dept), "{} names unknown department {dept}", c.code);
        assert!(!c.description_zh.trim().is_empty() && !c.description_en.trim().is_empty(), "{} undescribed", c.code);
    }
    for tier in [UrgencyTier::Emergency, UrgencyTier::Utilities, UrgencyTier::Normal, UrgencyTier::Complex] {
        assert!(categories.iter().any(|c| c.tier == tier), "no {} category", tier.as_str());
    }

    let by_code = |code: &str| categories.iter().find(|c| c.code == code).unwrap_or_else(|| panic!("no {code}"));
    assert_eq!(by_code("C0101").name_zh, "上水井盖");
    assert_eq!(by_code("C0201").name_zh, "路灯");
    assert_eq!(by_code("E0101").name_zh, "暴露垃圾");
    let gas = categories.iter().find(|c| c.name_zh == "燃气泄漏").unwrap();
    assert_eq!(gas.tier, UrgencyTier::Emergency);
    let water = categories.iter().find(|c| c.name_zh == "自来水管破裂").unwrap();
    assert_eq!(water.tier, UrgencyTier::Utilities);
    let illegal = categories.iter().find(|c| c.name_zh == "违法建设").unwrap();
    assert_eq!(illegal.tier, UrgencyTier::Complex);
}
