//! Commands: what an actor asks to happen to a case.

use crate::cases::{Satisfaction, Urgency};
use crate::category::UrgencyTier;
use crate::ids::{CaseId, OrgId};
use crate::org::OrgKind;
use serde::{Deserialize, Serialize};

/// A handling unit, resolved by the application from the org tree before the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerRef {
    pub id: OrgId,
    pub kind: OrgKind,
    pub path: String,
}

/// A transition request, with its fields already parsed and resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Register {
        category_code: Option<String>,
        urgency: Option<Urgency>,
    },
    Reject {
        reason: String,
    },
    Dispatch {
        handler: HandlerRef,
        note: Option<String>,
    },
    Accept,
    Return {
        reason: String,
    },
    RequestExtension {
        days: u32,
        reason: String,
    },
    ApproveExtension {
        days: Option<u32>,
    },
    DenyExtension {
        reason: String,
    },
    Park {
        reason: String,
    },
    Unpark,
    Resolve {
        result: String,
        evidence: Vec<String>,
    },
    Verify {
        passed: bool,
        note: Option<String>,
    },
    Reopen {
        reason: String,
        handler: Option<HandlerRef>,
    },
    Close,
    Supervise {
        note: String,
        /// 1–3 (default 1): the level recorded with the supervision.
        level: u8,
    },
    /// Joins this (duplicate) case into `primary`. The application checks the primary exists,
    /// is visible and open, and appends `DuplicateMerged` to it in the same transaction.
    Merge {
        primary: CaseId,
    },
    Callback {
        solved: bool,
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// Changes the case's deadline tier (a dispatcher, with a reason).
    SetTier {
        tier: UrgencyTier,
        reason: String,
    },
}

/// The names of the actions, as the API spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Register,
    Reject,
    Dispatch,
    Accept,
    Return,
    RequestExtension,
    ApproveExtension,
    DenyExtension,
    Park,
    Unpark,
    Resolve,
    Verify,
    Reopen,
    Close,
    Supervise,
    Merge,
    Callback,
    SetTier,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::Register,
        Action::Reject,
        Action::Dispatch,
        Action::Accept,
        Action::Return,
        Action::RequestExtension,
        Action::ApproveExtension,
        Action::DenyExtension,
        Action::Park,
        Action::Unpark,
        Action::Resolve,
        Action::Verify,
        Action::Reopen,
        Action::Close,
        Action::Supervise,
        Action::Merge,
        Action::Callback,
        Action::SetTier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Register => "register",
            Action::Reject => "reject",
            Action::Dispatch => "dispatch",
            Action::Accept => "accept",
            Action::Return => "return",
            Action::RequestExtension => "request_extension",
            Action::ApproveExtension => "approve_extension",
            Action::DenyExtension => "deny_extension",
            Action::Park => "park",
            Action::Unpark => "unpark",
            Action::Resolve => "resolve",
            Action::Verify => "verify",
            Action::Reopen => "reopen",
            Action::Close => "close",
            Action::Supervise => "supervise",
            Action::Merge => "merge",
            Action::Callback => "callback",
            Action::SetTier => "set_tier",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Command::Register { .. } => Action::Register,
            Command::Reject { .. } => Action::Reject,
            Command::Dispatch { .. } => Action::Dispatch,
            Command::Accept => Action::Accept,
            Command::Return { .. } => Action::Return,
            Command::RequestExtension { .. } => Action::RequestExtension,
            Command::ApproveExtension { .. } => Action::ApproveExtension,
            Command::DenyExtension { .. } => Action::DenyExtension,
            Command::Park { .. } => Action::Park,
            Command::Unpark => Action::Unpark,
            Command::Resolve { .. } => Action::Resolve,
            Command::Verify { .. } => Action::Verify,
            Command::Reopen { .. } => Action::Reopen,
            Command::Close => Action::Close,
            Command::Supervise { .. } => Action::Supervise,
            Command::Merge { .. } => Action::Merge,
            Command::Callback { .. } => Action::Callback,
            Command::SetTier { .. } => Action::SetTier,
        }
    }
}
