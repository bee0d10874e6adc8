//! The application's error type: every failure a use case can report, each with a stable
//! snake_case code for clients and a message fit to show.

use chuishao_domain::DomainError;
use chuishao_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Field-level validation failures, all at once.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("this Idempotency-Key was already used with a different request body")]
    IdempotencyKeyReused,
    #[error("already exists: {0}")]
    AlreadyExists(String),
    #[error("internal error")]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
    /// A calendar file or a deadline computation was refused.
    #[error(transparent)]
    Calendar(#[from] chuishao_calendar::CalendarError),
}

/// One invalid field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(d) => d.code(),
            AppError::Invalid(_) => "validation_failed",
            AppError::NotFound(_) => "not_found",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::IdempotencyKeyReused => "idempotency_key_reused",
            AppError::AlreadyExists(_) => "already_exists",
            AppError::Store(StoreError::Conflict(_)) => "already_exists",
            AppError::Store(_) | AppError::Internal(_) => "internal",
            AppError::Calendar(e) => e.code(),
        }
    }
}
