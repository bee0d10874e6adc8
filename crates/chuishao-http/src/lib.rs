//! Chuishao's HTTP surface: the REST API (`/api/v1`), its OpenAPI 3.1 document generated from
//! the handlers themselves, and health checks. Handlers are thin: extract, authorise through
//! the use case, render. No SQL and no business rules live here.

mod api;
mod error;
mod extract;
mod limit;
mod open311;
pub mod web;

pub use error::ApiError;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chuishao_app::App;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Largest request body accepted by the JSON API (photos arrive through their own route).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
    /// Live tracking subscriptions on this node.
    pub live: chuishao_app::residents::live::LiveHub,
    /// Per-IP limits on public writes.
    pub limiter: limit::RateLimiter,
}

/// The whole router and the OpenAPI document that describes it.
pub fn router_and_openapi(app: App) -> (Router, utoipa::openapi::OpenApi) {
    let (api, openapi) = api::routes().split_for_parts();
    let doc = openapi.clone();
    let router = api
        .route("/api/v1/openapi.json", axum::routing::get(move || async move { axum::Json(doc) }))
        .route("/healthz", axum::routing::get(api::health::healthz))
        .route("/readyz", axum::routing::get(api::health::readyz))
        .merge(open311::routes())
        .merge(web::routes())
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(AppState { app, live: Default::default(), limiter: Default::default() });
    (router, openapi)
}

/// Unmatched paths: Open311 tolerates `//`; everything else is the API's 404.
async fn fallback(state: axum::extract::State<AppState>, req: axum::extract::Request) -> axum::response::Response {
    use axum::response::IntoResponse;
    if open311::is_open311_path(req.uri().path()) {
        open311::fallback_entry(state, req).await
    } else {
        api::health::not_found().await.into_response()
    }
}

/// The router.
pub fn router(app: App) -> Router {
    router_and_openapi(app).0
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
