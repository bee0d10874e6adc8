//! The lifecycle rules: who may do what from which state, and what it changes.
//!
//! ```text
//! received → registered → dispatched → accepted → resolved → verified → closed
//!     └─ reject ─┘    ↑ return ─┘        │ park/unpark, extensions   │ reopen ←──┘
//!                                         └──── verify failed → dispatched again
//! ```

use crate::DomainError;
use crate::access::{Actor, Role};
use crate::cases::{CallbackAnswer, Case, CaseEvent, CaseStatus, Command, HandlerRef, Ruling};
use crate::error::Problem;
use crate::ids::UserId;

/// Longest free text accepted in a command field (reasons, results, notes).
pub const MAX_TEXT: usize = 4000;
/// Most working days one extension request may ask for.
pub const MAX_EXTENSION_DAYS: u32 = 30;
/// Most evidence references one resolution may carry.
pub const MAX_EVIDENCE: usize = 20;

const DISPATCH_ROLES: &[Role] = &[Role::Admin, Role::Dispatcher];
const HANDLER_ROLES: &[Role] = &[Role::Admin, Role::DepartmentStaff, Role::CommunityWorker, Role::SubdistrictLeader];
const VERIFY_ROLES: &[Role] =
    &[Role::Admin, Role::Dispatcher, Role::GridWorker, Role::StreetChief, Role::CommunityWorker];
const SUPERVISE_ROLES: &[Role] = &[Role::Admin, Role::Dispatcher, Role::SubdistrictLeader];
const CALLBACK_ROLES: &[Role] = &[Role::Admin, Role::Dispatcher, Role::Integrator];

pub(crate) fn text(field: &'static str, s: &str) -> Result<(), DomainError> {
    if s.trim().is_empty() {
        return Err(DomainError::refused(field, Problem::Required, "is required"));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(too_long(field));
    }
    Ok(())
}

fn too_long(field: &'static str) -> DomainError {
    DomainError::refused(field, Problem::TooLong { max: MAX_TEXT }, format!("is longer than {MAX_TEXT} characters"))
}

fn self_merge() -> DomainError {
    DomainError::refused("primary_id", Problem::Rule("self_merge"), "a case cannot be merged into itself")
}

fn opt_text(field: &'static str, s: &Option<String>) -> Result<(), DomainError> {
    match s {
        Some(s) if s.chars().count() > MAX_TEXT => Err(too_long(field)),
        _ => Ok(()),
    }
}

fn handler_ok(h: &HandlerRef) -> Result<(), DomainError> {
    if h.kind.can_handle_cases() {
        Ok(())
    } else {
        let reason = format!("a {} cannot handle cases", h.kind.as_str());
        Err(DomainError::refused("handler", Problem::Rule("not_a_handler"), reason))
    }
}

/// Checks a command against the case and the actor and returns the events it produces.
/// Order of checks: version, then permission, then state, then fields — so a stale client
/// learns about the conflict first and an outsider learns nothing about the state.
pub fn decide(case: &Case, actor: &Actor, cmd: &Command, expected_version: i64) -> Result<Vec<CaseEvent>, DomainError> {
    if expected_version != case.version {
        return Err(DomainError::VersionConflict { expected: expected_version, current: case.version });
    }
    let scope = case.scope();
    let allowed = match cmd {
        Command::Accept | Command::Return { .. } | Command::RequestExtension { .. } | Command::Resolve { .. } => {
            actor.covers_handler(HANDLER_ROLES, &scope)
        }
        Command::Verify { .. } => actor.covers(VERIFY_ROLES, &scope),
        Command::Supervise { .. } => actor.covers(SUPERVISE_ROLES, &scope),
        Command::Callback { .. } => actor.covers(CALLBACK_ROLES, &scope),
        _ => actor.covers(DISPATCH_ROLES, &scope),
    };
    if !allowed {
        return Err(DomainError::Forbidden(format!("{} may not {} this case", actor.username, cmd.action().as_str())));
    }
    // Separation of duties: whoever resolved the result (a community worker handling its own
    // community's case, an administrator) may not also verify it.
    if matches!(cmd, Command::Verify { .. })
        && case.resolved_by == Some(actor.user_id)
        && case.status == CaseStatus::Resolved
    {
        return Err(DomainError::SeparationOfDuties(actor.username.clone()));
    }
    let illegal = || DomainError::IllegalTransition {
        action: cmd.action().as_str().to_string(),
        state: if case.parked {
            format!("{} (parked)", case.status.as_str())
        } else {
            case.status.as_str().to_string()
        },
    };
    use CaseStatus as S;
    let s = case.status;
    let working = matches!(s, S::Dispatched | S::Accepted);
    let handler_id = case.handler_id();
    let events = match cmd {
        Command::Register { category_code, urgency } => {
            if s != S::Received {
                return Err(illegal());
            }
            let category_code = category_code.clone().or_else(|| case.category_code.clone());
            vec![CaseEvent::Registered { category_code, urgency: urgency.unwrap_or(case.urgency) }]
        }
        Command::Reject { reason } => {
            if !matches!(s, S::Received | S::Registered) {
                return Err(illegal());
            }
            text("reason", reason)?;
            vec![CaseEvent::Rejected { reason: reason.clone() }]
        }
        Command::Dispatch { handler, note } => {
            if s != S::Registered {
                return Err(illegal());
            }
            if case.category_code.is_none() {
                let reason = "a case must be classified before dispatch";
                return Err(DomainError::refused("category_code", Problem::Rule("unclassified"), reason));
            }
            handler_ok(handler)?;
            opt_text("note", note)?;
            // A dispatch of a returned case is the dispatcher's ruling on the return (退单仲裁):
            // sending it back to the unit that returned it overrides that unit's objection,
            // so it needs a reason the unit will read.
            let ruling = case.ruling_for(handler);
            let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(String::from);
            if ruling == Some(Ruling::Insist) && note.is_none() {
                let reason = "is required to send a case back to the unit that returned it";
                return Err(DomainError::refused("reason", Problem::Rule("ruling_reason"), reason));
            }
            vec![CaseEvent::Dispatched {
                handler_id: handler.id,
                note,
                handler_kind: Some(handler.kind),
                handler_path: Some(handler.path.clone()),
                ruling,
            }]
        }
        Command::Accept => {
            if s != S::Dispatched || case.parked {
                return Err(illegal());
            }
            vec![CaseEvent::Accepted { handler_id: handler_id.ok_or_else(illegal)? }]
        }
        Command::Return { reason } => {
            if !working || case.parked {
                return Err(illegal());
            }
            text("reason", reason)?;
            vec![CaseEvent::Returned { handler_id: handler_id.ok_or_else(illegal)?, reason: reason.clone() }]
        }
        Command::RequestExtension { days, reason } => {
            if !working || case.parked || case.extension_pending_days.is_some() {
                return Err(illegal());
            }
            if !(1..=MAX_EXTENSION_DAYS).contains(days) {
                let range = Problem::OutOfRange { min: 1, max: i64::from(MAX_EXTENSION_DAYS) };
                return Err(DomainError::refused("days", range, format!("must be 1–{MAX_EXTENSION_DAYS}")));
            }
            text("reason", reason)?;
            vec![CaseEvent::ExtensionRequested { days: *days, reason: reason.clone() }]
        }
        Command::ApproveExtension { days } => {
            let Some(asked) = case.extension_pending_days else { return Err(illegal()) };
            let granted = days.unwrap_or(asked);
            if !(1..=asked).contains(&granted) {
                let range = Problem::OutOfRange { min: 1, max: i64::from(asked) };
                return Err(DomainError::refused("days", range, format!("must be 1–{asked} (the days asked for)")));
            }
            vec![CaseEvent::ExtensionApproved { days: granted }]
        }
        Command::DenyExtension { reason } => {
            if case.extension_pending_days.is_none() {
                return Err(illegal());
            }
            text("reason", reason)?;
            vec![CaseEvent::ExtensionDenied { reason: reason.clone() }]
        }
        Command::Park { reason } => {
            if !working || case.parked {
                return Err(illegal());
            }
            text("reason", reason)?;
            vec![CaseEvent::Parked { reason: reason.clone() }]
        }
        Command::Unpark => {
            if !case.parked {
                return Err(illegal());
            }
            vec![CaseEvent::Unparked]
        }
        Command::Resolve { result, evidence } => {
            if s != S::Accepted || case.parked {
                return Err(illegal());
            }
            text("result", result)?;
            if evidence.len() > MAX_EVIDENCE {
                return Err(DomainError::invalid("evidence", format!("at most {MAX_EVIDENCE} items")));
            }
            if evidence.iter().any(|e| e.trim().is_empty() || e.len() > 2000) {
                return Err(DomainError::invalid(
                    "evidence",
                    "items must be non-empty references of at most 2000 bytes",
                ));
            }
            vec![CaseEvent::Resolved {
                handler_id: handler_id.ok_or_else(illegal)?,
                result: result.clone(),
                evidence: evidence.clone(),
            }]
        }
        Command::Verify { passed, note } => {
            if s != S::Resolved {
                return Err(illegal());
            }
            opt_text("note", note)?;
            if *passed {
                vec![CaseEvent::VerificationPassed { note: note.clone() }]
            } else {
                // A failed check sends the work straight back to the same handler (重办).
                let handler = case.handler.as_ref().ok_or_else(illegal)?;
                vec![
                    CaseEvent::VerificationFailed { note: note.clone() },
                    reopened(note.clone().unwrap_or_else(|| "verification failed".into()), handler),
                ]
            }
        }
        Command::Reopen { reason, handler } => {
            if !matches!(s, S::Resolved | S::Verified | S::Closed) {
                return Err(illegal());
            }
            text("reason", reason)?;
            let handler = match handler {
                Some(h) => {
                    handler_ok(h)?;
                    h
                }
                None => case.handler.as_ref().ok_or_else(illegal)?,
            };
            vec![reopened(reason.clone(), handler)]
        }
        Command::Close => {
            if s != S::Verified {
                return Err(illegal());
            }
            vec![CaseEvent::Closed]
        }
        Command::Supervise { note, level } => {
            if s.is_terminal() {
                return Err(illegal());
            }
            text("note", note)?;
            if !(1..=crate::deadlines::MAX_SUPERVISION_LEVEL).contains(level) {
                return Err(DomainError::refused("level", Problem::OutOfRange { min: 1, max: 3 }, "1, 2 or 3"));
            }
            vec![CaseEvent::Supervised {
                note: note.clone(),
                count: case.supervision_count + 1,
                to_org_id: None,
                level: Some(*level),
            }]
        }
        Command::Merge { primary } => {
            if !matches!(s, S::Received | S::Registered) {
                return Err(illegal());
            }
            if *primary == case.id {
                return Err(self_merge());
            }
            vec![CaseEvent::MergedInto { primary_id: *primary }]
        }
        Command::Callback { solved, satisfaction, comment } => {
            if !matches!(s, S::Resolved | S::Verified | S::Closed) {
                return Err(illegal());
            }
            opt_text("comment", comment)?;
            vec![CaseEvent::CallbackRecorded { solved: *solved, satisfaction: *satisfaction, comment: comment.clone() }]
        }
        Command::SetTier { tier, reason } => {
            if !working {
                return Err(illegal());
            }
            text("reason", reason)?;
            vec![CaseEvent::TierChanged { tier: *tier, reason: reason.clone() }]
        }
    };
    Ok(events)
}

fn reopened(reason: String, h: &HandlerRef) -> CaseEvent {
    CaseEvent::Reopened { reason, handler_id: h.id, handler_kind: Some(h.kind), handler_path: Some(h.path.clone()) }
}

/// Folds one event into the case: everything it needs is in the event (a unit's kind and path
/// travel with the events that assign it). `Received` is folded by `Case::from_received`.
pub fn apply(case: &mut Case, event: &CaseEvent) {
    use CaseStatus as S;
    match event {
        CaseEvent::Received { .. } => {}
        CaseEvent::Registered { category_code, urgency } => {
            case.status = S::Registered;
            case.category_code = category_code.clone();
            case.urgency = *urgency;
        }
        CaseEvent::Rejected { .. } => case.status = S::Rejected,
        CaseEvent::Dispatched { .. } => {
            case.status = S::Dispatched;
            case.handler = event.assigned_handler();
        }
        CaseEvent::Accepted { .. } => case.status = S::Accepted,
        CaseEvent::Returned { .. } => {
            case.status = S::Registered;
            case.handler = None;
            case.extension_pending_days = None;
        }
        CaseEvent::ExtensionRequested { days, .. } => case.extension_pending_days = Some(*days),
        CaseEvent::ExtensionApproved { days } => {
            case.extension_pending_days = None;
            case.extension_days += days;
        }
        CaseEvent::ExtensionDenied { .. } => case.extension_pending_days = None,
        CaseEvent::Parked { .. } => case.parked = true,
        CaseEvent::Unparked => case.parked = false,
        CaseEvent::Resolved { .. } => {
            case.status = S::Resolved;
            case.extension_pending_days = None;
        }
        CaseEvent::VerificationPassed { .. } => case.status = S::Verified,
        CaseEvent::VerificationFailed { .. } => {}
        CaseEvent::Reopened { .. } => {
            case.status = S::Dispatched;
            if let Some(h) = event.assigned_handler() {
                case.handler = Some(h);
            }
            case.reopen_count += 1;
        }
        CaseEvent::Closed => case.status = S::Closed,
        CaseEvent::Supervised { count, .. } => case.supervision_count = *count,
        CaseEvent::MergedInto { primary_id } => {
            case.status = S::Merged;
            case.merged_into = Some(*primary_id);
        }
        CaseEvent::DuplicateMerged { .. } => case.duplicate_count += 1,
        CaseEvent::CallbackRecorded { solved, satisfaction, .. } => {
            case.last_callback = Some(CallbackAnswer { solved: *solved, satisfaction: *satisfaction });
        }
        // Deadline events change the clocks (crate::deadlines), not the case's state.
        CaseEvent::TierChanged { .. }
        | CaseEvent::DeadlineWarning { .. }
        | CaseEvent::DeadlineOverdue { .. }
        | CaseEvent::DeadlineRetimed { .. } => {}
    }
}

/// Decides and applies a command: on success the case is updated, its version bumped by one,
/// and the events returned for the log. On error the case is untouched.
pub fn execute(
    case: &mut Case,
    actor: &Actor,
    cmd: &Command,
    expected_version: i64,
) -> Result<Vec<CaseEvent>, DomainError> {
    let events = decide(case, actor, cmd, expected_version)?;
    for e in &events {
        apply(case, e);
        recall(case, e, Some(actor.user_id));
    }
    case.version += 1;
    Ok(events)
}

/// Folds into `case` the parts of its history the rules need but the stored row does not
/// keep (and `apply`, which rebuilds the row from the events alone, leaves out): the unit
/// whose return awaits a ruling, and who resolved the current result (the event's acting
/// user, `None` for the system). Loading a case to decide replays its events through this;
/// [`execute`] does it for the events it decides.
pub fn recall(case: &mut Case, event: &CaseEvent, actor: Option<UserId>) {
    track_return(case, event);
    if matches!(event, CaseEvent::Resolved { .. }) {
        case.resolved_by = actor;
    }
}

/// A return awaits a ruling from the moment it is made until the case is dispatched again
/// (or rejected, or merged).
fn track_return(case: &mut Case, event: &CaseEvent) {
    match event {
        CaseEvent::Returned { handler_id, .. } => case.returned_by = Some(*handler_id),
        CaseEvent::Dispatched { .. } | CaseEvent::Rejected { .. } | CaseEvent::MergedInto { .. } => {
            case.returned_by = None;
        }
        _ => {}
    }
}

/// The merge precondition on the primary case, and the event it receives: the primary must be
/// visible to the actor (otherwise it does not exist for them), another case, and still open
/// (neither finished nor itself merged). The duplicate's own side is [`decide`]'s `Merge`.
pub fn merge_into(duplicate: &Case, primary: &Case, actor: &Actor) -> Result<CaseEvent, DomainError> {
    if !actor.can_see(&primary.scope()) {
        return Err(DomainError::refused("primary_id", Problem::Rule("no_such_case"), "no such case"));
    }
    if primary.id == duplicate.id {
        return Err(self_merge());
    }
    if primary.status.is_terminal() || primary.merged_into.is_some() {
        let reason = "the primary case is no longer open";
        return Err(DomainError::refused("primary_id", Problem::Rule("primary_not_open"), reason));
    }
    Ok(CaseEvent::DuplicateMerged { duplicate_id: duplicate.id })
}
