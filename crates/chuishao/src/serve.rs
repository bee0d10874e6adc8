//! `chuishao serve`: the HTTP listener, the metrics listener, and the background workers
//! (timers, notification delivery, the cache watcher), all stopped together on SIGTERM or
//! Ctrl-C.

use crate::config::Config;
use crate::{deadlines_cmd, open_app, seed_demo, shutdown_signal};
use anyhow::{Context, Result};

/// Serves until a shutdown signal, then lets in-flight requests and worker rounds finish.
pub async fn run(cfg: &Config, demo: bool) -> Result<()> {
    let app = open_app(cfg).await?;
    if demo {
        seed_demo(&app).await?;
    }
    let listen = &cfg.server.listen;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let metrics = if cfg.server.metrics_listen.is_empty() {
        None
    } else {
        let m = &cfg.server.metrics_listen;
        let l = tokio::net::TcpListener::bind(m).await.with_context(|| format!("listening on {m} (metrics)"))?;
        println!("metrics on http://{}/metrics", l.local_addr()?);
        let router = chuishao_http::metrics_router(app.clone());
        let mut stop = stop_rx.clone();
        Some(tokio::spawn(async move {
            let _ = axum::serve(l, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.changed().await;
                })
                .await;
        }))
    };
    println!("Chuishao listening on http://{addr}  (API: http://{addr}/api/v1/openapi.json)");
    if demo {
        println!("get a token with: chuishao users create-token dispatcher");
    }
    chuishao_metrics::metrics().start_time.store(crate::now_ms() / 1000, std::sync::atomic::Ordering::Relaxed);
    let proxies = chuishao_http::TrustedProxies::parse(&cfg.server.trusted_proxies)
        .map_err(|e| anyhow::anyhow!("server.trusted_proxies: {e}"))?;
    let settings = chuishao_http::HttpSettings {
        photo_dir: cfg.server.photo_dir.clone(),
        limits: cfg.http_limits(),
        trusted_proxies: proxies,
        photo_limits: cfg.photo_limits(),
        // The demo is served over plain HTTP, often on an intranet address.
        secure_cookies: cfg.server.secure_cookies && !demo,
    };
    let closing = app.clone();
    let (timer, stop_timer) = deadlines_cmd::spawn_timer_worker(&app);
    let (delivery, stop_delivery) = deadlines_cmd::spawn_delivery_worker(&app);
    let (caches, stop_caches) = deadlines_cmd::spawn_cache_watcher(&app);
    chuishao_http::serve_with(listener, app, settings, async move {
        shutdown_signal().await;
        stop_timer.stop();
        stop_delivery.stop();
        stop_caches.stop();
        let _ = stop_tx.send(true);
    })
    .await?;
    timer.await.ok();
    delivery.await.ok();
    caches.await.ok();
    if let Some(m) = metrics {
        m.await.ok();
    }
    closing.ops().close().await;
    Ok(())
}
