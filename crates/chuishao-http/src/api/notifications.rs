//! Notifications (admin): subscriptions, the deliveries of the outbox, and retrying one.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, path_id};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chuishao_app::notifications::{DeliveryView, SubscriptionInput, SubscriptionView};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `dead`.
    state: Option<String>,
    /// 1–500, default 50.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/notifications/deliveries", tag = "notifications", security(("bearer" = [])),
    params(DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn deliveries(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    Ok(Json(s.app.ops().list_deliveries(&actor, q.state.as_deref().filter(|s| !s.is_empty()), q.limit).await?))
}

/// Puts a failed or dead-lettered delivery back in the queue, due now, with fresh attempts.
#[utoipa::path(post, path = "/api/v1/notifications/deliveries/{id}/retry", tag = "notifications",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn retry(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id)?;
    s.app.ops().retry_delivery(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every subscription (secrets are not shown).
#[utoipa::path(get, path = "/api/v1/notifications/subscriptions", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<SubscriptionView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn subscriptions(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<SubscriptionView>>, ApiError> {
    Ok(Json(s.app.ops().list_subscriptions(&actor).await?))
}

/// Adds a subscription: a webhook (JSON, signed `X-Chuishao-Signature: sha256=…` when a secret
/// is set), a WeCom robot or a DingTalk robot, for some event kinds and part of the org tree.
#[utoipa::path(post, path = "/api/v1/notifications/subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = SubscriptionInput,
    responses((status = 201, body = SubscriptionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_subscription(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<SubscriptionInput>,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.ops().create_subscription(&actor, &input).await?)))
}
