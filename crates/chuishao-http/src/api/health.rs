//! Liveness and readiness, and the JSON 404 for unknown routes.

use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Alive: the process answers.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers. Also reports (still ready) a holiday schedule due for import:
/// the current year's while it is provisional, or from 1 November next year's.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let calendar = match state.app.calendar().provisional_year_due() {
        Some(year) => json!({ "status": "provisional", "year": year }),
        None => json!({ "status": "ok" }),
    };
    match state.app.ops().ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok", "calendar": calendar }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::not_found()
}
