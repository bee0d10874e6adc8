//! Whistles (吹哨报到): raise, read, transitions, events, and the departments' scorecards.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, path_id};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chuishao_app::whistles::{
    DepartmentScorecard, MonthQuery, ScorecardPage, WhistleEventView, WhistleInput, WhistleListQuery,
    WhistleTransitionInput, WhistleView,
};
use chuishao_domain::ids::{OrgId, WhistleId};

/// Blows a whistle: summons departments or stationed units to a place, each with a task and a
/// check-in deadline (emergency 30 min wall clock, joint enforcement 2 working hours, routine
/// 1 working day, unless `check_in_within` says otherwise). Summoned units are notified at once.
#[utoipa::path(post, path = "/api/v1/whistles", tag = "whistles", security(("bearer" = [])),
    request_body = WhistleInput,
    responses((status = 201, body = WhistleView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_whistle(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<WhistleInput>,
) -> Result<(StatusCode, Json<WhistleView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.whistles().raise_whistle(&actor, &input).await?)))
}

/// Whistles the caller raised or is summoned by, newest first. A summoned department sees
/// only its own unit.
#[utoipa::path(get, path = "/api/v1/whistles", tag = "whistles", security(("bearer" = [])), params(WhistleListQuery),
    responses((status = 200, body = Vec<WhistleView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_whistles(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<WhistleListQuery>,
) -> Result<Json<Vec<WhistleView>>, ApiError> {
    Ok(Json(s.app.whistles().list_whistles(&actor, q.status.as_deref()).await?))
}

/// One whistle; outside the caller's scope it does not exist (404).
#[utoipa::path(get, path = "/api/v1/whistles/{id}", tag = "whistles", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = WhistleView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_whistle(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<WhistleView>, ApiError> {
    Ok(Json(s.app.whistles().whistle_view(&actor, WhistleId(path_id(&id)?)).await?))
}

/// A whistle's events, oldest first, each with its hash in the audit chain.
#[utoipa::path(get, path = "/api/v1/whistles/{id}/events", tag = "whistles", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<WhistleEventView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn whistle_events(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<WhistleEventView>>, ApiError> {
    Ok(Json(s.app.whistles().whistle_events(&actor, WhistleId(path_id(&id)?)).await?))
}

/// `{"action": "acknowledge" | "check_in" | "reply" | "report_done" | "confirm" | "rate" |
/// "cancel", "version": N, "unit_code": …, …}`. Stale version: 409 `version_conflict`; an
/// action the state does not allow: 409 `illegal_transition`.
#[utoipa::path(post, path = "/api/v1/whistles/{id}/transitions", tag = "whistles", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = WhistleTransitionInput,
    responses((status = 200, body = WhistleView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn whistle_transition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WhistleTransitionInput>,
) -> Result<Json<WhistleView>, ApiError> {
    Ok(Json(s.app.whistles().whistle_transition(&actor, WhistleId(path_id(&id)?), &input).await?))
}

/// A department's whistle scorecard for a month: its own, or any for the district.
#[utoipa::path(get, path = "/api/v1/departments/{id}/scorecard", tag = "whistles", security(("bearer" = [])),
    params(("id" = i64, Path), MonthQuery),
    responses((status = 200, body = DepartmentScorecard), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn department_scorecard(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<DepartmentScorecard>, ApiError> {
    Ok(Json(s.app.whistles().department_scorecard(&actor, OrgId(path_id(&id)?), &q.month).await?))
}

/// Every department's scorecard, ranked, and each subdistrict's whistles per 1,000 cases
/// against the district median (district only).
#[utoipa::path(get, path = "/api/v1/whistles/scorecards", tag = "whistles", security(("bearer" = [])),
    params(MonthQuery),
    responses((status = 200, body = ScorecardPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn scorecards(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> Result<Json<ScorecardPage>, ApiError> {
    Ok(Json(s.app.whistles().scorecards(&actor, &q.month).await?))
}
