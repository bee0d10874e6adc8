//! Chuishao's HTTP surface: the REST API (`/api/v1`), its OpenAPI 3.1 document generated from
//! the handlers themselves, and health checks. Handlers are thin: extract, authorise through
//! the use case, render. No SQL and no business rules live here.

mod api;
pub mod authz;
pub mod client;
mod error;
pub mod export;
mod extract;
mod limit;
mod metrics;
mod open311;
mod upload;
pub mod web;

pub use chuishao_app::residents::photos::PhotoLimits;
pub use client::{ClientAddr, TrustedProxies, client_addr};
pub use error::ApiError;
pub use limit::{Limits, Rate};
pub use metrics::metrics_router;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use chuishao_app::App;
use std::future::Future;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

/// Whether text holds a control character other than line breaks and tabs (NUL, escape,
/// DEL, C1 …): such text is refused everywhere with the code `control_characters`.
pub fn has_control_characters(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// The first of `pairs` (name, value) whose name or value holds a control character.
pub(crate) fn control_field<'a>(pairs: impl IntoIterator<Item = &'a (String, String)>) -> Option<&'a str> {
    pairs.into_iter().find(|(k, v)| has_control_characters(k) || has_control_characters(v)).map(|(k, _)| k.as_str())
}

/// Largest request body accepted by the JSON API (photos arrive through their own route).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Shared by every request: cloning the state per request copies a pointer, not `App`.
    pub app: std::sync::Arc<App>,
    /// Live tracking subscriptions on this node.
    pub live: chuishao_app::residents::live::LiveHub,
    /// Per-IP limits on public writes.
    pub limiter: limit::RateLimiter,
    /// Where residents' photos are stored (`CHUISHAO_PHOTO_DIR`, default `./chuishao-photos`).
    pub photo_dir: std::sync::Arc<std::path::PathBuf>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub proxies: std::sync::Arc<TrustedProxies>,
    /// Photo decoding: limits per photo and the node's decoding slots.
    pub decode: chuishao_app::residents::photos::DecodePool,
    /// Whether every cookie is marked `Secure` (off only for plain-HTTP deployments).
    pub secure_cookies: bool,
    /// The key web forms' CSRF tokens are signed with, read once ([`web::csrf::attach_key`]).
    pub csrf_key: std::sync::Arc<tokio::sync::OnceCell<web::csrf::Key>>,
}

impl AppState {
    /// The request's client address under the trusted proxies (see [`client::client_addr`]);
    /// a refused forwarded address never gets this far (the router answers 400 first), so the
    /// peer stands in for it here.
    pub fn client_addr(&self, parts: &axum::http::request::Parts) -> std::net::IpAddr {
        client::client_addr(parts, &self.proxies).unwrap_or_else(|_| client::peer_ip(parts))
    }
}

/// How the HTTP surface is set up for a deployment.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Where residents' and result photos are stored.
    pub photo_dir: std::path::PathBuf,
    /// Per-client limits on public writes.
    pub limits: Limits,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: TrustedProxies,
    /// Limits on decoding uploaded photos.
    pub photo_limits: PhotoLimits,
    /// Every cookie `Secure` (the default); off for a console served over plain HTTP.
    pub secure_cookies: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            photo_dir: default_photo_dir(),
            limits: Limits::default(),
            trusted_proxies: TrustedProxies::default(),
            photo_limits: PhotoLimits::default(),
            secure_cookies: true,
        }
    }
}

/// The photo directory from `CHUISHAO_PHOTO_DIR`, or `./chuishao-photos`.
pub fn default_photo_dir() -> std::path::PathBuf {
    std::env::var_os("CHUISHAO_PHOTO_DIR").map(Into::into).unwrap_or_else(|| "chuishao-photos".into())
}

/// The whole router and the OpenAPI document that describes it.
pub fn router_and_openapi(app: App) -> (Router, utoipa::openapi::OpenApi) {
    router_and_openapi_with(app, HttpSettings::default())
}

/// The router with residents' photos stored in `photo_dir`.
pub fn router_with_photo_dir(app: App, photo_dir: std::path::PathBuf) -> Router {
    router_and_openapi_with(app, HttpSettings { photo_dir, ..HttpSettings::default() }).0
}

/// The router for a deployment's settings.
pub fn router_with(app: App, settings: HttpSettings) -> Router {
    router_and_openapi_with(app, settings).0
}

fn router_and_openapi_with(app: App, settings: HttpSettings) -> (Router, utoipa::openapi::OpenApi) {
    let (api, mut openapi) = api::routes().split_for_parts();
    api::complete_document(&mut openapi);
    let doc = openapi.clone();
    let state = AppState {
        app: std::sync::Arc::new(app),
        live: Default::default(),
        limiter: limit::RateLimiter::new(settings.limits),
        photo_dir: std::sync::Arc::new(settings.photo_dir),
        proxies: std::sync::Arc::new(settings.trusted_proxies),
        decode: chuishao_app::residents::photos::DecodePool::new(settings.photo_limits),
        secure_cookies: settings.secure_cookies,
        csrf_key: Default::default(),
    };
    let router = api
        .route("/api/v1/openapi.json", axum::routing::get(move || async move { axum::Json(doc) }))
        .route("/healthz", axum::routing::get(api::health::healthz))
        .route("/readyz", axum::routing::get(api::health::readyz))
        .merge(open311::routes())
        .merge(web::routes())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::calendar_notice))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::csrf::attach_key))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), client::refuse_untrusted_forwarding))
        .layer(axum::middleware::from_fn_with_state(state.clone(), web::security_headers))
        .layer(axum::middleware::from_fn(metrics::record_request))
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
    serve_with(listener, app, HttpSettings::default(), shutdown).await
}

/// As [`serve`], with a deployment's settings.
pub async fn serve_with(
    listener: TcpListener,
    app: App,
    settings: HttpSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with(app, settings).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
