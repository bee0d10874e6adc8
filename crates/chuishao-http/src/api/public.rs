//! The public read model: what anyone holding a tracking code may see.

use crate::api::ErrorBody;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use chuishao_app::cases::PublicCaseView;

/// A case by its tracking code: status, category, coarse location and the public timeline.
/// No reporter data and no staff names.
#[utoipa::path(get, path = "/api/v1/public/cases/{tracking_code}", tag = "public",
    params(("tracking_code" = String, Path, description = "The 10-character code given at submission")),
    responses((status = 200, body = PublicCaseView), (status = 404, body = ErrorBody)))]
pub async fn public_case(
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<PublicCaseView>, ApiError> {
    let (view, _) = s.live.public_case(&s.app, &code).await?;
    Ok(Json(PublicCaseView::clone(&view)))
}
