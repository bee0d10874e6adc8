//! The working-day calendar: what is loaded, when something is due, and an admin's import.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use chuishao_app::deadlines::{CalendarImport, CalendarView, CalendarYearView, DueQuery, DueView};

/// The loaded years (holidays and adjusted working days) and the working hours.
#[utoipa::path(get, path = "/api/v1/calendar", tag = "deadlines", security(("bearer" = [])),
    responses((status = 200, body = CalendarView), (status = 401, body = ErrorBody)))]
pub async fn calendar(State(s): State<AppState>, _auth: Auth) -> Result<Json<CalendarView>, ApiError> {
    Ok(Json(s.app.calendar_view()))
}

/// When something is due: `from` plus `working_days`, `working_hours` or wall-clock `hours`.
/// A working-time deadline past the last loaded year is refused
/// (`calendar_beyond_loaded_years`), never guessed.
#[utoipa::path(get, path = "/api/v1/calendar/due", tag = "deadlines", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, body = DueView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn due(
    State(s): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<DueView>, ApiError> {
    Ok(Json(s.app.due(&q)?))
}

/// Imports or replaces a year's schedule (admin). Validated first: overlapping or
/// contradictory days and a gap between loaded years are refused and nothing is stored.
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
    let year: i32 = year.parse().map_err(|_| chuishao_app::AppError::invalid("year", "a year such as 2027"))?;
    Ok(Json(s.app.import_calendar_year_as(&actor, year, &body.source).await?))
}
