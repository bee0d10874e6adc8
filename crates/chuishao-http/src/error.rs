//! API errors: `{"error": {"code", "message", "details"}}` with the right status. Codes are
//! stable snake_case identifiers clients translate; internal failures are logged, not shown.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chuishao_app::AppError;
use chuishao_domain::DomainError;
use serde_json::{Value, json};

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), details: Value::Null }
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// `X-Forwarded-For` from a peer that is not a trusted proxy (see `client`).
    pub fn untrusted_forwarded_for(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "untrusted_forwarded_for", message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let code = e.code();
        let (status, details) = match &e {
            AppError::Domain(DomainError::Invalid { field, reason, .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, json!({ "fields": [{ "field": field, "message": reason }] }))
            }
            AppError::Domain(DomainError::IllegalTransition { action, state }) => {
                (StatusCode::CONFLICT, json!({ "action": action, "state": state }))
            }
            AppError::Domain(DomainError::VersionConflict { expected, current }) => {
                (StatusCode::CONFLICT, json!({ "expected_version": expected, "current_version": current }))
            }
            AppError::Domain(DomainError::Refused { code, reason }) => {
                let (zh, en) = chuishao_i18n::lookup(&format!("refusal.{code}")).unwrap_or((reason, reason));
                (refusal_status(code), json!({ "reason": reason, "message_zh": zh, "message_en": en }))
            }
            AppError::Domain(DomainError::Forbidden(_) | DomainError::SeparationOfDuties(_))
            | AppError::Forbidden(_) => (StatusCode::FORBIDDEN, Value::Null),
            AppError::Invalid(fields) => (StatusCode::UNPROCESSABLE_ENTITY, json!({ "fields": fields })),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, Value::Null),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, Value::Null),
            AppError::IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, Value::Null),
            AppError::AlreadyExists(_) => (StatusCode::CONFLICT, Value::Null),
            AppError::Calendar(_) => (StatusCode::UNPROCESSABLE_ENTITY, Value::Null),
            AppError::Store(_) if code == "already_exists" => (StatusCode::CONFLICT, Value::Null),
            AppError::Store(_) | AppError::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged",
                );
            }
        };
        let message = match &e {
            AppError::Domain(DomainError::VersionConflict { .. }) => {
                "someone else changed this case; reload it and try again".to_string()
            }
            AppError::Domain(DomainError::Invalid { .. }) | AppError::Invalid(_) => "invalid input".to_string(),
            AppError::Domain(DomainError::Refused { code, reason }) => {
                chuishao_i18n::lookup(&format!("refusal.{code}"))
                    .map_or_else(|| reason.clone(), |(_, en)| en.to_string())
            }
            AppError::Domain(DomainError::SeparationOfDuties(_)) => {
                chuishao_i18n::Msgs(chuishao_i18n::Lang::En).t("error.separation_of_duties").to_string()
            }
            other => other.to_string(),
        };
        ApiError { status, code, message, details }
    }
}

/// The status of a record rule's refusal: a scanned code or place that is not acceptable is
/// unprocessable (422); everything else conflicts with the record's state (409).
fn refusal_status(code: &str) -> StatusCode {
    match code {
        "qr_forged" | "qr_expired" | "qr_replayed" | "too_far" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::CONFLICT,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": { "code": self.code, "message": self.message } });
        if !self.details.is_null() {
            body["error"]["details"] = self.details;
        }
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"chuishao\""));
        }
        res
    }
}
