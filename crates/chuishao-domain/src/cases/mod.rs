//! The case (诉求/案件): one problem carried from receipt to closure.
//!
//! `Case` is the state the rules need; `Command` is what someone asks for; `decide` checks
//! who may ask for what from which state and answers with `CaseEvent`s; `apply` folds events
//! into state. Storage appends the events and writes the folded state in one transaction.

mod arbitration;
mod command;
mod event;
mod lifecycle;

pub use arbitration::{Ruling, arbitrate};
pub use command::{Action, Command, HandlerRef};
pub use event::CaseEvent;
pub(crate) use lifecycle::{MAX_TEXT, text};
pub use lifecycle::{decide, execute, merge_into, recall};

/// Folds one event into the case (see `lifecycle::apply`).
pub fn apply_event(case: &mut Case, event: &CaseEvent) {
    lifecycle::apply(case, event);
}

impl crate::record::Record for Case {
    const KIND: crate::record::StreamKind = crate::record::StreamKind::Case;
    type Id = CaseId;
    type Command = Command;
    type Event = CaseEvent;

    fn id(&self) -> CaseId {
        self.id
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(
        case: &Case,
        command: &Command,
        actor: &crate::access::Actor,
        _now: crate::Millis,
    ) -> Result<Vec<CaseEvent>, crate::DomainError> {
        lifecycle::decide(case, actor, command, case.version)
    }

    fn apply(state: Option<Case>, e: &crate::record::Recorded<'_, CaseEvent>) -> Option<Case> {
        let mut case = match (state, e.event) {
            (None, CaseEvent::Received { category_code, urgency, location_path, .. }) => Case::received(
                CaseId(e.stream_id),
                category_code.clone(),
                *urgency,
                location_path.clone().unwrap_or_default(),
            ),
            (None, _) | (Some(_), CaseEvent::Received { .. }) => return None,
            (Some(mut case), event) => {
                lifecycle::apply(&mut case, event);
                case
            }
        };
        case.version = e.version;
        Some(case)
    }

    fn event_kind(e: &CaseEvent) -> &'static str {
        e.kind()
    }

    fn is_system(e: &CaseEvent) -> bool {
        e.is_system()
    }
}

use crate::ids::{CaseId, OrgId, UserId};
use serde::{Deserialize, Serialize};

/// Where a case is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Received,
    Registered,
    Dispatched,
    Accepted,
    Resolved,
    Verified,
    Closed,
    Rejected,
    Merged,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 9] = [
        CaseStatus::Received,
        CaseStatus::Registered,
        CaseStatus::Dispatched,
        CaseStatus::Accepted,
        CaseStatus::Resolved,
        CaseStatus::Verified,
        CaseStatus::Closed,
        CaseStatus::Rejected,
        CaseStatus::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::Registered => "registered",
            CaseStatus::Dispatched => "dispatched",
            CaseStatus::Accepted => "accepted",
            CaseStatus::Resolved => "resolved",
            CaseStatus::Verified => "verified",
            CaseStatus::Closed => "closed",
            CaseStatus::Rejected => "rejected",
            CaseStatus::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        CaseStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Statuses in which a handling unit is assigned.
    pub fn has_handler(self) -> bool {
        matches!(
            self,
            CaseStatus::Dispatched
                | CaseStatus::Accepted
                | CaseStatus::Resolved
                | CaseStatus::Verified
                | CaseStatus::Closed
        )
    }

    /// Statuses after which nothing but a reopen (closed) or nothing at all happens.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseStatus::Closed | CaseStatus::Rejected | CaseStatus::Merged)
    }

    /// Whether the case is still being worked on (for "open" filters and counters).
    pub fn is_open(self) -> bool {
        !self.is_terminal()
    }
}

/// How a case reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Web,
    Open311,
    Hotline,
    Patrol,
    Api,
}

impl Source {
    pub const ALL: [Source; 5] = [Source::Web, Source::Open311, Source::Hotline, Source::Patrol, Source::Api];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Open311 => "open311",
            Source::Hotline => "hotline",
            Source::Patrol => "patrol",
            Source::Api => "api",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Urgent (紧急诉求) or normal (一般诉求).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Urgent,
    Normal,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Urgent => "urgent",
            Urgency::Normal => "normal",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "urgent" => Some(Urgency::Urgent),
            "normal" => Some(Urgency::Normal),
            _ => None,
        }
    }
}

/// The reporter's verdict on the result (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }
}

/// The last callback's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackAnswer {
    pub solved: bool,
    pub satisfaction: Satisfaction,
}

/// The state of a case that the lifecycle rules read and write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub status: CaseStatus,
    pub category_code: Option<String>,
    pub urgency: Urgency,
    /// Path of the case's most specific known place (grid, community, subdistrict or district).
    pub location_path: String,
    pub handler: Option<HandlerRef>,
    pub parked: bool,
    /// Days asked for by a pending extension request.
    pub extension_pending_days: Option<u32>,
    /// Working days granted by approved extensions, in total.
    pub extension_days: u32,
    pub supervision_count: u32,
    pub reopen_count: u32,
    pub merged_into: Option<CaseId>,
    pub duplicate_count: u32,
    pub last_callback: Option<CallbackAnswer>,
    /// The unit whose return awaits the dispatcher's ruling: set by a return, cleared by the
    /// next dispatch (the ruling). The stored row does not keep it; it is recalled from the
    /// case's events when the case is loaded ([`recall`]).
    #[serde(default)]
    pub returned_by: Option<OrgId>,
    /// Who resolved the result now awaiting verification, for separation of duties (recalled
    /// from the actor of the latest `resolved` event when loaded).
    #[serde(default)]
    pub resolved_by: Option<UserId>,
    /// Optimistic concurrency version: 1 at receipt, +1 per accepted command.
    pub version: i64,
}

impl Case {
    /// A freshly received case (version 1).
    pub fn received(id: CaseId, category_code: Option<String>, urgency: Urgency, location_path: String) -> Self {
        Case {
            id,
            status: CaseStatus::Received,
            category_code,
            urgency,
            location_path,
            handler: None,
            parked: false,
            extension_pending_days: None,
            extension_days: 0,
            supervision_count: 0,
            reopen_count: 0,
            merged_into: None,
            duplicate_count: 0,
            last_callback: None,
            returned_by: None,
            resolved_by: None,
            version: 1,
        }
    }

    /// The case's scope for access checks.
    pub fn scope(&self) -> crate::access::CaseScope<'_> {
        crate::access::CaseScope {
            location_path: &self.location_path,
            handler_path: self.handler.as_ref().map(|h| h.path.as_str()),
        }
    }

    pub fn handler_id(&self) -> Option<OrgId> {
        self.handler.as_ref().map(|h| h.id)
    }

    /// What dispatching this case to `handler` rules on a pending return: `None` when no
    /// return awaits a ruling (a plain dispatch).
    pub fn ruling_for(&self, handler: &HandlerRef) -> Option<Ruling> {
        self.returned_by.map(|by| if by == handler.id { Ruling::Insist } else { Ruling::Redispatch })
    }
}

#[cfg(test)]
mod rules_tests;
