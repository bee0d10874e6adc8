//! Cases: intake, reads, the event log and transitions.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, path_id};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chuishao_app::cases::{CaseListQuery, CasePage, CaseView, EventView, NewCaseInput, ReporterView, TransitionInput};
use chuishao_app::residents::public_text::{PublicTextInput, PublicTextView};
use chuishao_domain::ids::CaseId;

/// Files a new case. With `Idempotency-Key`, repeating the same body returns the same case
/// (header `Idempotent-Replayed: true`); the same key with another body is refused (422).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key making retries safe")),
    request_body = NewCaseInput,
    responses(
        (status = 201, body = CaseView, description = "Filed and durably committed"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_case(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewCaseInput>,
) -> Result<Response, ApiError> {
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            Some(v.to_str().map_err(|_| chuishao_app::AppError::invalid("Idempotency-Key", "visible ASCII only"))?)
        }
        None => None,
    };
    let out = s.app.cases().submit_case(&actor, &input, key).await?;
    let mut res = (StatusCode::CREATED, Json(out.case)).into_response();
    if out.replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Cases in the caller's scope, newest first, with filters and cursor pagination.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), params(CaseListQuery),
    responses((status = 200, body = CasePage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_cases(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<CaseListQuery>,
) -> Result<Json<CasePage>, ApiError> {
    Ok(Json(s.app.cases().list_cases(&actor, &q).await?))
}

/// One case. Outside the caller's scope it does not exist (404).
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = CaseView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_case(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(s.app.cases().case_view_by_id(&actor, CaseId(path_id(&id)?)).await?))
}

/// A case's events, oldest first, each with its hash in the audit chain.
#[utoipa::path(get, path = "/api/v1/cases/{id}/events", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EventView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn case_events(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    Ok(Json(s.app.cases().case_events(&actor, CaseId(path_id(&id)?)).await?))
}

/// Applies a lifecycle action: `{"action": "...", "version": N, ...fields}`. A stale version
/// is 409 `version_conflict`; an action not allowed in the current state is 409
/// `illegal_transition`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = TransitionInput,
    responses(
        (status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransitionInput>,
) -> Result<Json<CaseView>, ApiError> {
    let id = CaseId(path_id(&id)?);
    Ok(Json(s.app.cases().transition(&actor, id, &input).await?))
}

/// The reporter's name and phone unmasked, for a callback. Dispatchers and admins only; every
/// call is recorded in the audit chain.
#[utoipa::path(get, path = "/api/v1/cases/{id}/reporter", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ReporterView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn reveal_reporter(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ReporterView>, ApiError> {
    Ok(Json(s.app.cases().reveal_reporter(&actor, CaseId(path_id(&id)?)).await?))
}

/// What the public sees of a case (Open311, the tracking page, public JSON): the description
/// after redaction or as a dispatcher edited or withheld it, the generalised place, and
/// whether the case is listed. Dispatchers and admins in scope.
#[utoipa::path(get, path = "/api/v1/cases/{id}/public-text", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PublicTextView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn public_text(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<PublicTextView>, ApiError> {
    Ok(Json(s.app.residents().public_text_view(&actor, CaseId(path_id(&id)?), false).await?))
}

/// Edits (`edited` with `text`), withholds (`withheld`) or restores (`auto`) the public
/// description, and lists or unlists the case (`listed`; null: as its source decides). Each
/// change is a `public_text_set` event in the audit chain.
#[utoipa::path(put, path = "/api/v1/cases/{id}/public-text", tag = "cases", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PublicTextInput,
    responses((status = 200, body = PublicTextView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_public_text(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PublicTextInput>,
) -> Result<Json<PublicTextView>, ApiError> {
    Ok(Json(s.app.residents().set_public_text(&actor, CaseId(path_id(&id)?), &input, false).await?))
}
