//! The working-day calendar: what is loaded, when something is due, and an admin's import.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use chuishao_app::calendar::{CalendarImport, CalendarView, CalendarYearView, DueQuery, DueView};

/// The official years (holidays and adjusted working days), the provisional ones and the
/// working hours.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "deadlines", security(("bearer" = [])),
    responses((status = 200, body = CalendarView), (status = 401, body = ErrorBody)))]
pub async fn calendar(State(s): State<AppState>, _auth: Auth) -> Result<Json<CalendarView>, ApiError> {
    Ok(Json(s.app.calendar().calendar_view()))
}

/// When something is due: `from` plus `working_days`, `working_hours` or wall-clock `hours`.
/// `provisional` says whether the working time counted crosses a year without an official
/// schedule. Past 2100, the last supported year, a deadline is refused
/// (`calendar_beyond_loaded_years`), never guessed.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "deadlines", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, body = DueView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn due(
    State(s): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<DueView>, ApiError> {
    Ok(Json(s.app.calendar().due(&q)?))
}

/// One supported year (2000–2100), official or provisional.
#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "deadlines", security(("bearer" = [])),
    params(("year" = i32, Path)),
    responses((status = 200, body = CalendarYearView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn year(
    State(s): State<AppState>,
    _auth: Auth,
    Path(year): Path<String>,
) -> Result<Json<CalendarYearView>, ApiError> {
    Ok(Json(s.app.calendar().calendar_year_view(parse_year(&year)?)?))
}

fn parse_year(year: &str) -> Result<i32, chuishao_app::AppError> {
    year.parse().map_err(|_| chuishao_app::AppError::invalid("year", "a year such as 2027"))
}

/// Imports or replaces a year's official schedule (admin); it replaces the provisional one and
/// re-times the running clocks and whistle check-in deadlines that depend on it. Validated
/// first: overlapping or contradictory days, a year outside 2000–2100, a file for another year
/// (the path's, or one that works a statutory holiday day) are refused and nothing is stored.
#[utoipa::path(put, path = "/api/v1/calendar/{year}", tag = "deadlines", security(("bearer" = [])),
    params(("year" = i32, Path)), request_body = CalendarImport,
    responses((status = 200, body = CalendarYearView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_year(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(year): Path<String>,
    ApiJson(body): ApiJson<CalendarImport>,
) -> Result<Json<CalendarYearView>, ApiError> {
    Ok(Json(s.app.calendar().import_calendar_year_as(&actor, parse_year(&year)?, &body.source).await?))
}
