//! Metrics on the HTTP side: every request's latency by matched route (a middleware), and
//! the separate metrics listener's router (`GET /metrics`, Prometheus text), which adds the
//! values read at scrape time (database pool, outbox backlog) to the process's own.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chuishao_app::App;
use chuishao_metrics::{metrics, write_gauge, write_gauges};
use std::time::Instant;

/// Middleware: records the request's latency under its matched route (`unmatched` for the
/// fallback, so unknown paths cannot grow the label set).
pub(crate) async fn record_request(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string());
    let method = req.method().clone();
    let started = Instant::now();
    let res = next.run(req).await;
    let class = match res.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics()
        .http_requests
        .observe(&[method.as_str(), route.as_deref().unwrap_or("unmatched"), class], started.elapsed().as_secs_f64());
    res
}

/// The router of the metrics listener: `GET /metrics`.
pub fn metrics_router(app: App) -> Router {
    Router::new().route("/metrics", axum::routing::get(scrape)).with_state(app)
}

async fn scrape(State(app): State<App>) -> Response {
    let mut out = String::with_capacity(16 * 1024);
    metrics().render(&mut out);
    let pool = app.ops().pool_stats();
    write_gauges(
        &mut out,
        "chuishao_db_pool_connections",
        "Database pool connections by pool and state.",
        &[
            (&[("pool", pool.name), ("state", "open")], pool.open as f64),
            (&[("pool", pool.name), ("state", "idle")], pool.idle as f64),
            (&[("pool", pool.name), ("state", "max")], pool.max as f64),
        ],
    );
    match app.ops().outbox_backlog().await {
        Ok(b) => {
            write_gauges(
                &mut out,
                "chuishao_outbox_rows",
                "Notification outbox rows by state.",
                &[(&[("state", "pending")], b.pending as f64), (&[("state", "dead")], b.dead as f64)],
            );
            write_gauge(
                &mut out,
                "chuishao_outbox_oldest_pending_age_seconds",
                "Age of the oldest pending delivery.",
                &[],
                b.oldest_pending_age_ms as f64 / 1000.0,
            );
            write_gauge(&mut out, "chuishao_up", "Whether the database answered this scrape.", &[], 1.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: outbox backlog unavailable");
            write_gauge(&mut out, "chuishao_up", "Whether the database answered this scrape.", &[], 0.0);
        }
    }
    let mut res = (StatusCode::OK, out).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    res
}

/// A live stream counted in `chuishao_sse_subscribers{stream=name}` while it is open.
pub(crate) fn tracked<S>(name: &'static str, s: S) -> impl futures_util::Stream<Item = S::Item> + Send + 'static
where
    S: futures_util::Stream + Send + 'static,
{
    use futures_util::StreamExt;
    let guard = metrics().sse_subscribers.track(&[name]);
    s.map(move |item| {
        let _open = &guard;
        item
    })
}
