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
        let actor = state.app.admin().authenticate(token).await?;
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
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(path) = control_path(&v, String::new())
        {
            return Err(control_characters(&path));
        }
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

/// The path (`reporter.name`, `tags[2]`) of the first string or key holding a control character.
fn control_path(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    let join = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
    match v {
        Value::String(s) if crate::has_control_characters(s) => Some(if at.is_empty() { "body".into() } else { at }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| control_path(x, format!("{at}[{i}]"))),
        Value::Object(map) => map
            .iter()
            .find_map(|(k, x)| if crate::has_control_characters(k) { Some(join(k)) } else { control_path(x, join(k)) }),
        _ => None,
    }
}

/// 422 `control_characters` naming the field, in the catalogue's words.
pub fn control_characters(field: &str) -> ApiError {
    let message = crate::web::Msgs(crate::web::Lang::En).t("error.control_characters");
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "control_characters", message);
    e.details = serde_json::json!({ "field": field });
    e
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
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).unwrap_or_default();
        if let Some(name) = crate::control_field(&pairs) {
            return Err(control_characters(name));
        }
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query", e.body_text()))
    }
}

/// Parses a numeric id from a path segment; anything else is simply not found.
pub fn path_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|v| *v > 0).ok_or_else(ApiError::not_found)
}
