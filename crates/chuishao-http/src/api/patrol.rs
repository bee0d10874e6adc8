//! Street people and patrols: who answers for a street, and patrols with their track,
//! checklist and the problems they report.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, path_id};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chuishao_app::AppError;
use chuishao_app::cases::CaseView;
use chuishao_app::grids::patrol::{
    PatrolListQuery, PatrolProblemInput, PatrolView, StreetListView, StreetPeopleInput, StreetView, TrackPointInput,
};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreetsQuery {
    /// Code of a subdistrict, township, community or village within your roles.
    org: String,
    /// Only the streets not patrolled within the period.
    unpatrolled: Option<bool>,
    /// The period in hours (1–720; default the server's, 24).
    period_hours: Option<i64>,
}

/// The streets of an area with their chiefs, stewards and council and their last patrol;
/// streets not patrolled within the period are flagged `unpatrolled`.
#[utoipa::path(get, path = "/api/v1/geo/streets", tag = "patrol", params(StreetsQuery), security(("bearer" = [])),
    responses((status = 200, body = StreetListView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn streets(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<StreetsQuery>,
) -> Result<Json<StreetListView>, ApiError> {
    let period = match q.period_hours {
        Some(h) if !(1..=720).contains(&h) => return Err(AppError::invalid("period_hours", "between 1 and 720").into()),
        Some(h) => Some(h * 3_600_000),
        None => None,
    };
    Ok(Json(s.app.grids().streets(&actor, &q.org, q.unpatrolled.unwrap_or(false), period).await?))
}

/// One street with its people and last patrol.
#[utoipa::path(get, path = "/api/v1/geo/streets/{code}", tag = "patrol", params(("code" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = StreetView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn street(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
) -> Result<Json<StreetView>, ApiError> {
    Ok(Json(s.app.grids().street(&actor, &code).await?))
}

/// Replaces a street's chiefs (街巷长), stewards (巷管家) and council (an admin, or a
/// dispatcher of the street's area). Chiefs must hold the `street_chief` role there.
#[utoipa::path(put, path = "/api/v1/geo/streets/{code}/people", tag = "patrol", params(("code" = String, Path)),
    security(("bearer" = [])), request_body = StreetPeopleInput,
    responses((status = 200, body = StreetView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_people(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<StreetPeopleInput>,
) -> Result<Json<StreetView>, ApiError> {
    Ok(Json(s.app.grids().set_street_people(&actor, &code, &input).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartPatrolInput {
    street_code: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PatrolsQuery {
    /// A street code: that street's patrol history.
    street: Option<String>,
    /// A username: that person's patrol history.
    user: Option<String>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// Starts a patrol of a street (a grid worker or street chief of its community, with no
/// other patrol ongoing). An event `started` in stream `patrol`.
#[utoipa::path(post, path = "/api/v1/patrols", tag = "patrol", security(("bearer" = [])),
    request_body = StartPatrolInput,
    responses((status = 201, body = PatrolView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<StartPatrolInput>,
) -> Result<(StatusCode, Json<PatrolView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.grids().start_patrol(&actor, &input.street_code).await?)))
}

/// Patrol history of a street or of a person, newest first (without track or checklist).
#[utoipa::path(get, path = "/api/v1/patrols", tag = "patrol", params(PatrolsQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<PatrolView>), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PatrolsQuery>,
) -> Result<Json<Vec<PatrolView>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "between 1 and 200").into());
    }
    Ok(Json(s.app.grids().list_patrols(&actor, &PatrolListQuery { street: q.street, user: q.user, limit }).await?))
}

/// One patrol with its checklist, findings and track.
#[utoipa::path(get, path = "/api/v1/patrols/{id}", tag = "patrol", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = PatrolView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<PatrolView>, ApiError> {
    Ok(Json(s.app.grids().patrol(&actor, path_id(&id)?).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackInput {
    /// 1–500 points, in time order, none before the patrol's start or the last stored point;
    /// a patrol holds at most 5,000.
    points: Vec<TrackPointInput>,
}

/// Adds track points to your ongoing patrol.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/track", tag = "patrol", params(("id" = i64, Path)),
    security(("bearer" = [])), request_body = TrackInput,
    responses((status = 200, body = PatrolView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn track(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TrackInput>,
) -> Result<Json<PatrolView>, ApiError> {
    Ok(Json(s.app.grids().record_track(&actor, path_id(&id)?, &input.points).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistInput {
    /// Checklist item id → true (as it should be) or false (a problem).
    ticks: BTreeMap<String, bool>,
}

/// Ticks checklist items on your ongoing patrol.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/checklist", tag = "patrol", params(("id" = i64, Path)),
    security(("bearer" = [])), request_body = ChecklistInput,
    responses((status = 200, body = PatrolView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn checklist(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChecklistInput>,
) -> Result<Json<PatrolView>, ApiError> {
    Ok(Json(s.app.grids().tick_checklist(&actor, path_id(&id)?, &input.ticks).await?))
}

/// Reports a problem found on your ongoing patrol: filed as a case (source `patrol`, you as
/// finder) and linked to the patrol. `Idempotency-Key` makes retries safe.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/problems", tag = "patrol", params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key making retries safe")),
    security(("bearer" = [])), request_body = PatrolProblemInput,
    responses((status = 201, body = CaseView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn problem(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<PatrolProblemInput>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| AppError::invalid("Idempotency-Key", "visible ASCII only"))?),
        None => None,
    };
    Ok((StatusCode::CREATED, Json(s.app.grids().report_patrol_problem(&actor, path_id(&id)?, &input, key).await?)))
}

/// Finishes your ongoing patrol. An event `finished` in stream `patrol`.
#[utoipa::path(post, path = "/api/v1/patrols/{id}/finish", tag = "patrol", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = PatrolView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn finish(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<PatrolView>, ApiError> {
    Ok(Json(s.app.grids().finish_patrol(&actor, path_id(&id)?).await?))
}
