//! Extractors that turn bad requests into the API's error shape: bearer authentication,
//! strict JSON bodies, strict query strings and numeric path ids.

use crate::{ApiError, AppState};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chuishao_domain::access::Actor;
use serde::de::DeserializeOwned;

/// The authenticated caller, from `Authorization: Bearer <token>`.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "send Authorization: Bearer <token>")
            })?;
        let actor = state.app.authenticate(token).await?;
        Ok(Auth(actor))
    }
}

/// A JSON body parsed strictly: wrong media type → 415, too large → 413, not JSON → 400
/// `malformed_json`, JSON of the wrong shape (unknown field, wrong type) → 422 `invalid_body`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than 1 MiB",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_request", e.body_text())
            }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error(&mut de);
        match value {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                use serde_json::error::Category;
                match e.classify() {
                    Category::Data => {
                        Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", e.to_string()))
                    }
                    Category::Syntax | Category::Eof | Category::Io => {
                        Err(ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.to_string()))
                    }
                }
            }
        }
    }
}

fn serde_path_to_error<T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> serde_json::Result<T> {
    let v = T::deserialize(&mut *de)?;
    de.end()?;
    Ok(v)
}

/// A query string parsed strictly (unknown parameters and wrong types → 422 `invalid_query`).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", e.body_text()))
    }
}

/// Parses a numeric id from a path segment; anything else is simply not found.
pub fn path_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(ApiError::not_found)
}
