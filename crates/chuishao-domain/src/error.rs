//! The domain's one error type. Each variant maps to a stable snake_case code that the API
//! returns and the UI translates.

use thiserror::Error;

/// A rule of the domain was broken. The message is for logs and developers; `code()` is the
/// stable identifier shown to clients.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A field failed validation.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The action is not allowed from the case's current state.
    #[error("action {action} is not allowed while the case is {state}")]
    IllegalTransition { action: String, state: String },
    /// The caller's expected version does not match the stored one.
    #[error("version conflict: expected {expected}, current {current}")]
    VersionConflict { expected: i64, current: i64 },
    /// The actor holds no role that allows this action on this case.
    #[error("not permitted: {0}")]
    Forbidden(String),
}

impl DomainError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "validation_failed",
            DomainError::IllegalTransition { .. } => "illegal_transition",
            DomainError::VersionConflict { .. } => "version_conflict",
            DomainError::Forbidden(_) => "forbidden",
        }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field, reason: reason.into() }
    }
}
