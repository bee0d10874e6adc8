//! The duplicate hint and "me too": open cases of the same kind nearby, and counting oneself
//! in on one of them instead of filing a new report.

use super::{DonePage, Fields, guard, message};
use crate::AppState;
use crate::web::{PageLang, html};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chuishao_app::AppError;

/// `GET /report/nearby.json?category=&lat=&lon=`: the duplicate hint.
pub(super) async fn nearby(
    State(s): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let num = |k: &str| q.get(k).and_then(|v| v.trim().parse::<f64>().ok()).filter(|f| f.is_finite());
    let (Some(cat), Some(lat), Some(lon)) = (q.get("category"), num("lat"), num("lon")) else {
        return (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!([]))).into_response();
    };
    match s.app.residents().nearby_open_cases(cat, lat, lon, chuishao_app::residents::nearby::DEFAULT_RADIUS_M).await {
        Ok(list) => axum::Json(list).into_response(),
        Err(AppError::Invalid(_)) => (StatusCode::BAD_REQUEST, axum::Json(serde_json::json!([]))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "nearby failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /t/{code}/me-too`: "me too" on an open case (form; CSRF-checked, rate-limited).
pub(super) async fn me_too(
    State(s): State<AppState>,
    lang: PageLang,
    axum::extract::Path(code): axum::extract::Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let fields = crate::web::track::form::<Fields>(&parts, body).await.unwrap_or_default();
    if let Some(refused) = guard(&s, lang, &parts, &fields.csrf) {
        return refused;
    }
    match s.app.residents().me_too(&code).await {
        // The me-too reporter gets what the first reporter got: the tracking code and its
        // live page (and no reporter data of anyone).
        Ok(count) => {
            let page = DonePage {
                t: lang.msgs(),
                switch_href: lang.switch_href("/report"),
                code: chuishao_domain::ids::TrackingCode::parse(&code).map_or(code, |c| c.as_str().to_string()),
                photos: vec![],
                me_too: Some(count),
            };
            lang.remember(html(StatusCode::OK, &page))
        }
        Err(AppError::NotFound(_)) => message(lang, StatusCode::NOT_FOUND, "lookup.not_found"),
        Err(AppError::Invalid(_)) => message(lang, StatusCode::CONFLICT, "error.invalid"),
        Err(e) => {
            tracing::error!(error = %e, "me too failed");
            message(lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
        }
    }
}
