//! Open311's failures: the spec's error array (`[{"code": 400, "description": "…"}]`) with the
//! HTTP status in `code`. The application answers with its own errors; this is the one place
//! they become Open311's statuses and descriptions.

use axum::http::StatusCode;
use chuishao_app::AppError;
use chuishao_app::residents::photos::{MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE, PhotoError};

/// An Open311 failure: the status and the description of the error array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    pub status: StatusCode,
    pub description: String,
}

impl Open311Error {
    pub fn bad_request(d: impl Into<String>) -> Self {
        Open311Error { status: StatusCode::BAD_REQUEST, description: d.into() }
    }
    pub fn forbidden(d: impl Into<String>) -> Self {
        Open311Error { status: StatusCode::FORBIDDEN, description: d.into() }
    }
    pub fn not_found(d: impl Into<String>) -> Self {
        Open311Error { status: StatusCode::NOT_FOUND, description: d.into() }
    }

    /// A request body over the limit.
    pub fn too_large() -> Self {
        Open311Error {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            description: format!(
                "request body too large: at most {MAX_PHOTOS_PER_CASE} media files of {} MB each",
                MAX_PHOTO_BYTES / (1024 * 1024)
            ),
        }
    }
}

/// The application's field names in Open311's words.
fn open311_field(f: &str) -> &str {
    match f {
        "lon" => "long",
        "address" => "address_string",
        "category_code" => "service_code",
        "reporter.name" => "first_name",
        "reporter.phone" => "phone",
        other => other,
    }
}

impl From<AppError> for Open311Error {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(fields) => Open311Error::bad_request(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", open311_field(&f.field), f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::NotFound(what) => Open311Error::not_found(format!("{what} not found")),
            AppError::Unauthenticated => Open311Error::forbidden("a valid api_key is required"),
            AppError::Forbidden(m) => Open311Error::forbidden(m),
            AppError::IdempotencyKeyReused => {
                Open311Error::bad_request("this Idempotency-Key was already used with a different request")
            }
            other => {
                tracing::error!(error = %other, "open311 request failed");
                Open311Error { status: StatusCode::INTERNAL_SERVER_ERROR, description: "internal error".into() }
            }
        }
    }
}

/// `e`, with a not-found worded as `{name} {id} not found` (the parameter the client sent).
pub fn naming(name: &str, id: &str) -> impl Fn(AppError) -> Open311Error {
    let message = format!("{name} {id} not found");
    move |e| match e {
        AppError::NotFound(_) => Open311Error::not_found(message.clone()),
        other => other.into(),
    }
}

impl From<PhotoError> for Open311Error {
    fn from(e: PhotoError) -> Self {
        Open311Error::bad_request(match e {
            PhotoError::TooLarge => format!("media: larger than {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
            PhotoError::NotAnImage => "media: not a JPEG, PNG or WebP image".to_string(),
            PhotoError::Unreadable => "media: the image could not be read".to_string(),
            PhotoError::TooMany => format!("media: at most {MAX_PHOTOS_PER_CASE} files"),
            PhotoError::TooManyPixels => "media: the image has too many pixels".to_string(),
            PhotoError::Busy => {
                return Open311Error {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    description: "media: too many photos are being processed; try again shortly".into(),
                };
            }
        })
    }
}
