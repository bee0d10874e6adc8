//! Events: what happened to a case. The event log is the one source of truth; the case row,
//! the public timeline and every counter are derived from these.

use crate::cases::{Ruling, Satisfaction, Source, Urgency};
use crate::category::UrgencyTier;
use crate::deadlines::DeadlineKind;
use crate::ids::{CaseId, OrgId};
use crate::org::OrgKind;
use serde::{Deserialize, Serialize};

/// One fact in a case's history. Serialised as JSON with a `type` tag into the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEvent {
    Received {
        source: Source,
        category_code: Option<String>,
        urgency: Urgency,
        description: String,
        lat: Option<f64>,
        lon: Option<f64>,
        address: Option<String>,
        location_org_id: Option<OrgId>,
        /// The path of the case's place (`Case::location_path`), so the case folds from its
        /// events alone. Absent on cases received before it was recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location_path: Option<String>,
    },
    Registered {
        category_code: Option<String>,
        urgency: Urgency,
    },
    Rejected {
        reason: String,
    },
    Dispatched {
        handler_id: OrgId,
        note: Option<String>,
        /// The unit's kind and path (absent on events recorded before they were).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handler_kind: Option<OrgKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handler_path: Option<String>,
        /// The dispatcher's ruling when the dispatch settles a return (absent on a plain
        /// dispatch, and on rulings recorded before the ruling was kept as data).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ruling: Option<Ruling>,
    },
    Accepted {
        handler_id: OrgId,
    },
    Returned {
        handler_id: OrgId,
        reason: String,
    },
    ExtensionRequested {
        days: u32,
        reason: String,
    },
    ExtensionApproved {
        days: u32,
    },
    ExtensionDenied {
        reason: String,
    },
    Parked {
        reason: String,
    },
    Unparked,
    Resolved {
        handler_id: OrgId,
        result: String,
        evidence: Vec<String>,
    },
    VerificationPassed {
        note: Option<String>,
    },
    VerificationFailed {
        note: Option<String>,
    },
    Reopened {
        reason: String,
        handler_id: OrgId,
        /// The unit's kind and path (absent on events recorded before they were).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handler_kind: Option<OrgKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handler_path: Option<String>,
    },
    Closed,
    Supervised {
        note: String,
        count: u32,
        /// The supervising organisation, when the timer worker escalated an overdue case.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_org_id: Option<OrgId>,
        /// The supervision level: 1 (the handling unit and its subdistrict), 2 (the
        /// district), 3 (挂牌督办, listed). Absent on supervisions recorded before levels.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<u8>,
    },
    MergedInto {
        primary_id: CaseId,
    },
    DuplicateMerged {
        duplicate_id: CaseId,
    },
    CallbackRecorded {
        solved: bool,
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// A dispatcher changed the deadline tier.
    TierChanged {
        tier: UrgencyTier,
        reason: String,
    },
    /// 80% of a deadline's allowed time has run (written by the timer worker).
    DeadlineWarning {
        deadline: DeadlineKind,
        due_at: i64,
    },
    /// A deadline has passed (written by the timer worker). `period` is always 1 now (it
    /// counted repeated overdue periods before supervision had levels).
    DeadlineOverdue {
        deadline: DeadlineKind,
        due_at: i64,
        period: u32,
    },
    /// A deadline moved because the working-day calendar changed under it (an official year
    /// imported over a provisional one): `from_due_at` was the deadline, `due_at` is.
    DeadlineRetimed {
        deadline: DeadlineKind,
        from_due_at: i64,
        due_at: i64,
    },
}

impl CaseEvent {
    /// The event's type tag, as stored in the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            CaseEvent::Received { .. } => "received",
            CaseEvent::Registered { .. } => "registered",
            CaseEvent::Rejected { .. } => "rejected",
            CaseEvent::Dispatched { .. } => "dispatched",
            CaseEvent::Accepted { .. } => "accepted",
            CaseEvent::Returned { .. } => "returned",
            CaseEvent::ExtensionRequested { .. } => "extension_requested",
            CaseEvent::ExtensionApproved { .. } => "extension_approved",
            CaseEvent::ExtensionDenied { .. } => "extension_denied",
            CaseEvent::Parked { .. } => "parked",
            CaseEvent::Unparked => "unparked",
            CaseEvent::Resolved { .. } => "resolved",
            CaseEvent::VerificationPassed { .. } => "verification_passed",
            CaseEvent::VerificationFailed { .. } => "verification_failed",
            CaseEvent::Reopened { .. } => "reopened",
            CaseEvent::Closed => "closed",
            CaseEvent::Supervised { .. } => "supervised",
            CaseEvent::MergedInto { .. } => "merged_into",
            CaseEvent::DuplicateMerged { .. } => "duplicate_merged",
            CaseEvent::CallbackRecorded { .. } => "callback_recorded",
            CaseEvent::TierChanged { .. } => "tier_changed",
            CaseEvent::DeadlineWarning { .. } => "deadline_warning",
            CaseEvent::DeadlineOverdue { .. } => "deadline_overdue",
            CaseEvent::DeadlineRetimed { .. } => "deadline_retimed",
        }
    }

    /// Whether the event is written by the system (the timer worker) rather than by an actor's
    /// command. System events do not bump the case's optimistic version, so users never get a
    /// spurious version conflict because a clock fired.
    pub fn is_system(&self) -> bool {
        matches!(
            self,
            CaseEvent::DeadlineWarning { .. }
                | CaseEvent::DeadlineOverdue { .. }
                | CaseEvent::DeadlineRetimed { .. }
                | CaseEvent::Supervised { to_org_id: Some(_), .. }
        )
    }

    /// The handling unit an assigning event names with its kind and path (what `apply` needs).
    pub fn assigned_handler(&self) -> Option<crate::cases::HandlerRef> {
        match self {
            CaseEvent::Dispatched { handler_id, handler_kind: Some(kind), handler_path: Some(path), .. }
            | CaseEvent::Reopened { handler_id, handler_kind: Some(kind), handler_path: Some(path), .. } => {
                Some(crate::cases::HandlerRef { id: *handler_id, kind: *kind, path: path.clone() })
            }
            _ => None,
        }
    }

    /// Fills what events recorded before their payload was complete lack (a handler's kind
    /// and path, a case's place), from `unit` (the org tree's answer for an id) — an upcast
    /// for folding old streams. Complete events are left alone.
    pub fn upcast(&mut self, unit: impl Fn(OrgId) -> Option<(OrgKind, String)>) {
        match self {
            CaseEvent::Dispatched { handler_id, handler_kind, handler_path, .. }
            | CaseEvent::Reopened { handler_id, handler_kind, handler_path, .. }
                if handler_kind.is_none() || handler_path.is_none() =>
            {
                if let Some((kind, path)) = unit(*handler_id) {
                    *handler_kind = Some(kind);
                    *handler_path = Some(path);
                }
            }
            CaseEvent::Received { location_org_id: Some(org), location_path: path @ None, .. } => {
                *path = unit(*org).map(|(_, p)| p);
            }
            _ => {}
        }
    }

    /// The handling unit the event names, if any (used to word the public timeline).
    pub fn handler_id(&self) -> Option<OrgId> {
        match self {
            CaseEvent::Dispatched { handler_id, .. }
            | CaseEvent::Accepted { handler_id }
            | CaseEvent::Returned { handler_id, .. }
            | CaseEvent::Resolved { handler_id, .. }
            | CaseEvent::Reopened { handler_id, .. } => Some(*handler_id),
            _ => None,
        }
    }
}
