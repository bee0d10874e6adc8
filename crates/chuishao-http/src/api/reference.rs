//! Reference data: the organisation tree, departments and the category catalogue.

use crate::api::ErrorBody;
use crate::extract::{ApiQuery, Auth};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::State;
use chuishao_app::admin::catalogue::CategoryView;
use chuishao_app::admin::orgs::OrgView;
use chuishao_domain::org::OrgKind;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// district, subdistrict, township, community, village, grid, department or stationed_unit.
    kind: Option<String>,
}

/// The organisation tree, in tree order.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "reference", params(OrgQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn orgs(
    State(s): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<OrgQuery>,
) -> Result<Json<Vec<OrgView>>, ApiError> {
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(
            OrgKind::parse(k).ok_or_else(|| chuishao_app::AppError::invalid("kind", "unknown organisation kind"))?,
        ),
        None => None,
    };
    Ok(Json(s.app.admin().list_orgs(kind).await?))
}

/// Functional departments and the units they station in subdistricts.
#[utoipa::path(get, path = "/api/v1/departments", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrgView>), (status = 401, body = ErrorBody)))]
pub async fn departments(State(s): State<AppState>, _auth: Auth) -> Result<Json<Vec<OrgView>>, ApiError> {
    let mut out = s.app.admin().list_orgs(Some(OrgKind::Department)).await?;
    out.extend(s.app.admin().list_orgs(Some(OrgKind::StationedUnit)).await?);
    Ok(Json(out))
}

/// The active category catalogue, in catalogue order. Public: the report form needs it.
#[utoipa::path(get, path = "/api/v1/categories", tag = "reference",
    responses((status = 200, body = Vec<CategoryView>)))]
pub async fn categories(State(s): State<AppState>) -> Result<Json<Vec<CategoryView>>, ApiError> {
    Ok(Json(s.app.admin().list_categories().await?))
}
