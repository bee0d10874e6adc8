//! The domain's one error type. Each variant maps to a stable snake_case code that the API
//! returns and the UI translates.

use thiserror::Error;

/// A rule of the domain was broken. The message is for logs and developers; `code()` is the
/// stable identifier shown to clients.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A field failed validation: `reason` in English for the API and logs, `problem` as
    /// data for pages to word in their language.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String, problem: Problem },
    /// The action is not allowed from the case's current state.
    #[error("action {action} is not allowed while the case is {state}")]
    IllegalTransition { action: String, state: String },
    /// The caller's expected version does not match the stored one.
    #[error("version conflict: expected {expected}, current {current}")]
    VersionConflict { expected: i64, current: i64 },
    /// The actor holds no role that allows this action on this case.
    #[error("not permitted: {0}")]
    Forbidden(String),
    /// Separation of duties: the one who resolved a case may not verify that same result.
    #[error("{0} resolved this case and may not verify their own result")]
    SeparationOfDuties(String),
    /// A rule of a record refused the request, with its own stable code (`activity_full`,
    /// `qr_expired`, `too_far`…) that clients and pages word from the catalogue
    /// (`refusal.{code}`); `reason` is the English detail for the API and logs.
    #[error("{reason}")]
    Refused { code: &'static str, reason: String },
}

impl DomainError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "validation_failed",
            DomainError::IllegalTransition { .. } => "illegal_transition",
            DomainError::VersionConflict { .. } => "version_conflict",
            DomainError::Forbidden(_) => "forbidden",
            DomainError::SeparationOfDuties(_) => "separation_of_duties",
            DomainError::Refused { code, .. } => code,
        }
    }

    /// A refusal by a record's rule with its own code (see [`DomainError::Refused`]).
    pub fn rule(code: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Refused { code, reason: reason.into() }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field, reason: reason.into(), problem: Problem::Invalid }
    }

    /// A field refused for a reason the catalogue words (`problem.{code}`).
    pub fn refused(field: &'static str, problem: Problem, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field, reason: reason.into(), problem }
    }
}

/// Why a field was refused, as data: pages word it from the catalogue (`problem.{code}` with
/// the values as placeholders); the API keeps the English `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Not valid (no finer wording).
    Invalid,
    /// Missing or blank.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Outside `min..=max`.
    OutOfRange { min: i64, max: i64 },
    /// A rule with its own catalogue line, `problem.{code}`.
    Rule(&'static str),
}

impl Problem {
    /// The catalogue key's last part.
    pub fn code(self) -> &'static str {
        match self {
            Problem::Invalid => "invalid",
            Problem::Required => "required",
            Problem::TooLong { .. } => "too_long",
            Problem::OutOfRange { .. } => "out_of_range",
            Problem::Rule(code) => code,
        }
    }

    /// The values the wording names, as `(placeholder, value)`.
    pub fn args(self) -> Vec<(&'static str, String)> {
        match self {
            Problem::TooLong { max } => vec![("max", max.to_string())],
            Problem::OutOfRange { min, max } => vec![("min", min.to_string()), ("max", max.to_string())],
            _ => vec![],
        }
    }
}
