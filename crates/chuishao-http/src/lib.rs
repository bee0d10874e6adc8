//! Chuishao's HTTP surface: the REST API (`/api/v1`), its OpenAPI 3.1 document generated from
//! the handlers themselves, and health checks. Handlers are thin: extract, authorise through
//! the use case, render. No SQL and no business rules live here.

mod api;
mod error;
pub mod export;
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
    /// Where residents' photos are stored (`CHUISHAO_PHOTO_DIR`, default `./chuishao-photos`).
    pub photo_dir: std::sync::Arc<std::path::PathBuf>,
}

/// The photo directory from `CHUISHAO_PHOTO_DIR`, or `./chuishao-photos`.
pub fn default_photo_dir() -> std::path::PathBuf {
    std::env::var_os("CHUISHAO_PHOTO_DIR").map(Into::into).unwrap_or_else(|| "chuishao-photos".into())
}

/// The whole router and the OpenAPI document that describes it.
pub fn router_and_openapi(app: App) -> (Router, utoipa::openapi::OpenApi) {
    router_and_openapi_with(app, default_photo_dir())
}

/// The router with residents' photos stored in `photo_dir`.
pub fn router_with_photo_dir(app: App, photo_dir: std::path::PathBuf) -> Router {
    router_and_openapi_with(app, photo_dir).0
}

fn router_and_openapi_with(app: App, photo_dir: std::path::PathBuf) -> (Router, utoipa::openapi::OpenApi) {
    let (api, openapi) = api::routes().split_for_parts();
    let doc = openapi.clone();
    let state = AppState {
        app,
        live: Default::default(),
        limiter: Default::default(),
        photo_dir: std::sync::Arc::new(photo_dir),
    };
    let router = api
        .route("/api/v1/openapi.json", axum::routing::get(move || async move { axum::Json(doc) }))
        .route("/healthz", axum::routing::get(api::health::healthz))
        .route("/readyz", axum::routing::get(api::health::readyz))
        .merge(open311::routes())
        .merge(web::routes())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::calendar_notice))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
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
