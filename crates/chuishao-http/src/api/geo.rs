//! Geography: locate a point, import and export the places' GeoJSON.

use crate::api::ErrorBody;
use crate::extract::{ApiQuery, Auth};
use crate::{ApiError, AppState};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chuishao_app::grids::geo::{GeoImportError, ImportReport, LocateView};
use chuishao_geo::GeoError;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// Latitude, WGS-84 (−90…90).
    lat: f64,
    /// Longitude, WGS-84 (−180…180).
    lon: f64,
}

/// The grid, community and subdistrict of a point (null members where none is found).
#[utoipa::path(get, path = "/api/v1/geo/locate", tag = "geo", params(LocateQuery), security(("bearer" = [])),
    responses((status = 200, body = LocateView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn locate(
    State(s): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<LocateQuery>,
) -> Result<Json<LocateView>, ApiError> {
    let mut errors = Vec::new();
    if !q.lat.is_finite() || !(-90.0..=90.0).contains(&q.lat) {
        errors.push(chuishao_app::FieldError { field: "lat".into(), message: "must be between -90 and 90".into() });
    }
    if !q.lon.is_finite() || !(-180.0..=180.0).contains(&q.lon) {
        errors.push(chuishao_app::FieldError { field: "lon".into(), message: "must be between -180 and 180".into() });
    }
    if !errors.is_empty() {
        return Err(chuishao_app::AppError::Invalid(errors).into());
    }
    Ok(Json(s.app.grids().locate(q.lon, q.lat).await?))
}

impl From<GeoImportError> for ApiError {
    fn from(e: GeoImportError) -> Self {
        match e {
            GeoImportError::Geo(GeoError::TooLarge { bytes, max }) => {
                let mut err = ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", e.to_string());
                err.details = json!({"bytes": bytes, "max_bytes": max});
                err
            }
            GeoImportError::Geo(GeoError::Malformed(m)) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_geojson",
                format!("not a FeatureCollection: {m}"),
            ),
            GeoImportError::Geo(GeoError::Invalid(problems)) => {
                let mut err = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_geometry",
                    format!("{} problem(s); nothing was imported", problems.len()),
                );
                err.details = json!({ "problems": problems });
                err
            }
            GeoImportError::App(e) => e.into(),
        }
    }
}

/// Imports a GeoJSON FeatureCollection of places and streets (admin). All or nothing: any
/// problem (listed in `details` as `{index, code, reason}`) and nothing is written.
#[utoipa::path(post, path = "/api/v1/geo/import", tag = "geo", security(("bearer" = [])),
    request_body(content = String, content_type = "application/geo+json"),
    responses((status = 200, body = ImportReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReport>, ApiError> {
    s.app.grids().authorize_geo_import(&actor)?;
    let max = s.app.grids().geo_limits().max_bytes;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(bytes) = declared.filter(|b| *b > max) {
        return Err(GeoImportError::from(GeoError::TooLarge { bytes, max }).into());
    }
    let bytes = axum::body::to_bytes(body, max as usize + 1)
        .await
        .map_err(|_| ApiError::from(GeoImportError::from(GeoError::TooLarge { bytes: max + 1, max })))?;
    Ok(Json(s.app.grids().import_geo(&bytes, &|_| {}).await?))
}

/// Every place with geometry and every street, as a GeoJSON FeatureCollection that
/// re-imports unchanged.
#[utoipa::path(get, path = "/api/v1/geo/export", tag = "geo", security(("bearer" = [])),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 401, body = ErrorBody)))]
pub async fn export(State(s): State<AppState>, _auth: Auth) -> Result<impl IntoResponse, ApiError> {
    let fc = s.app.grids().export_geo().await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], fc.to_string()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// Code of a subdistrict, township, community or village within your roles.
    org: String,
    /// open_cases (default), overdue_cases or households_per_worker.
    metric: Option<String>,
    /// Width in pixels (320–4000, default 960).
    width: Option<f64>,
}

/// The map of a subdistrict or community as SVG: grids shaded by the metric, streets, open
/// cases as pins (dark red when overdue).
#[utoipa::path(get, path = "/api/v1/geo/map.svg", tag = "geo", params(MapQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn map_svg(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<MapQuery>,
) -> Result<impl IntoResponse, ApiError> {
    use chuishao_app::grids::geo::map::MapMetric;
    let metric = match q.metric.as_deref() {
        None | Some("") => MapMetric::OpenCases,
        Some(m) => MapMetric::parse(m).ok_or_else(|| {
            chuishao_app::AppError::invalid("metric", "open_cases, overdue_cases or households_per_worker")
        })?,
    };
    let svg = s.app.grids().map_svg(&actor, &q.org, metric, q.width.unwrap_or(960.0)).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkloadQuery {
    /// Code of a subdistrict, township, community or village within your roles.
    org: String,
    /// Households target per grid (1–100,000, default 300).
    target: Option<i64>,
}

/// Households and open cases per grid and per grid worker; grids over the households target
/// and grids without a worker are flagged.
#[utoipa::path(get, path = "/api/v1/geo/workload", tag = "geo", params(WorkloadQuery), security(("bearer" = [])),
    responses((status = 200, body = chuishao_app::grids::geo::workload::WorkloadView), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn workload(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<WorkloadQuery>,
) -> Result<Json<chuishao_app::grids::geo::workload::WorkloadView>, ApiError> {
    let target = q.target.unwrap_or(chuishao_app::grids::geo::workload::DEFAULT_HOUSEHOLDS_TARGET);
    if !(1..=100_000).contains(&target) {
        return Err(chuishao_app::AppError::invalid("target", "between 1 and 100,000 households").into());
    }
    Ok(Json(s.app.grids().workload(&actor, &q.org, target).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PartitionQuery {
    /// The community (or village) to plan.
    community: String,
    /// How many grids (1–200).
    k: usize,
}

/// The partition advisor: from building points with `households` (a GeoJSON
/// FeatureCollection of Points), proposes `k` contiguous grids balancing households
/// (`balanced`: each within ±15% of the mean). A proposal as GeoJSON; nothing is stored until
/// a person imports it.
#[utoipa::path(post, path = "/api/v1/geo/partition", tag = "geo", params(PartitionQuery), security(("bearer" = [])),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, content_type = "application/geo+json", body = Object), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn partition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PartitionQuery>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<serde_json::Value>,
) -> Result<impl IntoResponse, ApiError> {
    let fc = s.app.grids().propose_partition(&actor, &q.community, q.k, &body).await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], fc.to_string()))
}
