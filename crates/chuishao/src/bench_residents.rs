//! `chuishao bench-residents`: the residents' channel under load, in this process on
//! 127.0.0.1 with the load generator on the same machine. (1) The tracking page and its JSON,
//! flat out with many concurrent clients; (2) one case watched by thousands of server-sent-
//! event subscribers: a staff action is committed and the time until every subscriber has
//! the update is measured. Results go to stdout as Markdown.

use crate::bench::stats;
use anyhow::{Result, anyhow};
use chuishao_app::cases::{NewCaseInput, TransitionInput};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchResidentsArgs {
    /// Database to run against; default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    bench_database_url: Option<String>,
    /// Requests per endpoint in the page/JSON phase.
    #[arg(long, default_value_t = 50_000)]
    requests: u64,
    /// Concurrent clients in the page/JSON phase.
    #[arg(long, default_value_t = 64)]
    concurrency: u64,
    /// Server-sent-event subscribers on one case (needs `ulimit -n` above twice this).
    #[arg(long, default_value_t = 5_000)]
    subscribers: usize,
}

fn e(err: chuishao_app::AppError) -> anyhow::Error {
    anyhow!("{err:?}")
}

async fn flat_out(client: &reqwest::Client, url: &str, requests: u64, concurrency: u64) -> Result<crate::bench::Stats> {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, next, errors) = (client.clone(), url.to_string(), next.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let t = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    lat.push(t.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    Ok(stats(lat, errors.load(Ordering::Relaxed), started.elapsed()))
}

pub async fn run(args: BenchResidentsArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (app, store) = crate::bench::bench_app(args.bench_database_url.clone(), &dir).await?;
    let integrator = app
        .admin()
        .authenticate(&app.admin().create_token("integrator", "bench").await.map_err(e)?)
        .await
        .map_err(e)?;
    let dispatcher = app
        .admin()
        .authenticate(&app.admin().create_token("dispatcher", "bench").await.map_err(e)?)
        .await
        .map_err(e)?;
    let input = NewCaseInput {
        description: "基准测试：小区东门暴露垃圾".into(),
        category_code: Some("E0101".into()),
        grid_code: Some("110199001001001".into()),
        reporter: Some(chuishao_app::cases::ReporterInput {
            name: Some("张先生".into()),
            phone: Some("13812341234".into()),
        }),
        ..Default::default()
    };
    let case = app.cases().submit_case(&integrator, &input, None).await.map_err(e)?.case;
    let act = |action: &str, version: i64| TransitionInput {
        action: action.into(),
        version,
        handler_code: (action == "dispatch").then(|| "CGW".into()),
        ..Default::default()
    };
    let case = app
        .cases()
        .transition(&dispatcher, chuishao_domain::ids::CaseId(case.id), &act("register", case.version))
        .await
        .map_err(e)?;
    let code = case.tracking_code.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server_app = app.clone();
    let server = tokio::spawn(async move {
        let _ = chuishao_http::serve(listener, server_app, std::future::pending()).await;
    });
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    let page = format!("http://{addr}/t/{code}");
    let json = format!("http://{addr}/api/v1/public/cases/{code}");
    eprintln!("engine {:?}; warming up…", store.engine());
    flat_out(&client, &page, 500, 8).await?;
    flat_out(&client, &json, 500, 8).await?;

    // 1. Tracking page and JSON, flat out.
    let p = flat_out(&client, &page, args.requests, args.concurrency).await?;
    let j = flat_out(&client, &json, args.requests, args.concurrency).await?;

    // 2. Fan-out: every subscriber connected (headers received = subscribed), then one action.
    let (_, seq) = app.cases().public_case_with_seq(&code).await.map_err(e)?;
    let events = format!("http://{addr}/t/{code}/events?after={seq}");
    let sse_client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let connected = Arc::new(tokio::sync::Barrier::new(args.subscribers + 1));
    let start_line: Arc<tokio::sync::OnceCell<Instant>> = Arc::new(tokio::sync::OnceCell::new());
    let mut subs = Vec::new();
    for _ in 0..args.subscribers {
        let (client, events, connected, start_line) =
            (sse_client.clone(), events.clone(), connected.clone(), start_line.clone());
        subs.push(tokio::spawn(async move {
            let res = client.get(&events).send().await;
            connected.wait().await;
            let mut res = res.ok()?;
            let mut buf = Vec::new();
            loop {
                let chunk = tokio::time::timeout(Duration::from_secs(30), res.chunk()).await.ok()?.ok()??;
                buf.extend_from_slice(&chunk);
                if buf.windows(13).any(|w| w == b"event: update") {
                    let t0 = *start_line.get()?;
                    return Some(t0.elapsed());
                }
            }
        }));
    }
    connected.wait().await;
    eprintln!("{} subscribers connected; dispatching…", args.subscribers);
    let _ = start_line.set(Instant::now());
    app.cases()
        .transition(&dispatcher, chuishao_domain::ids::CaseId(case.id), &act("dispatch", case.version))
        .await
        .map_err(e)?;
    let mut lat = Vec::new();
    let mut missed = 0u64;
    for s in subs {
        match s.await? {
            Some(d) => lat.push(d),
            None => missed += 1,
        }
    }
    let fan = stats(lat, missed, Duration::ZERO);
    server.abort();

    println!("| phase | requests | errors | req/s | p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, s) in [("GET /t/{code} (HTML)", &p), ("GET /api/v1/public/cases/{code} (JSON)", &j)] {
        println!(
            "| {name} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms |",
            s.count,
            s.errors,
            s.count as f64 / s.elapsed.as_secs_f64(),
            s.p50.as_secs_f64() * 1e3,
            s.p99.as_secs_f64() * 1e3,
            s.max.as_secs_f64() * 1e3
        );
    }
    println!();
    println!("| SSE subscribers | received | missed | p50 | p99 | last |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {:.0} ms | {:.0} ms | {:.0} ms |",
        args.subscribers,
        fan.count,
        fan.errors,
        fan.p50.as_secs_f64() * 1e3,
        fan.p99.as_secs_f64() * 1e3,
        fan.max.as_secs_f64() * 1e3
    );
    Ok(())
}
