//! `chuishao bench`: case submission over real HTTP, each case durably committed before its
//! 201, measured (1) flat out with many concurrent clients, (2) at a fixed offered rate, open
//! loop (latency counted from when each request was due, so a stall is not hidden), and (3)
//! against a bare insert of the same rows at the same durability, for the ratio.
//!
//! The server runs in this process on 127.0.0.1 and the load generator shares the machine,
//! as it would on a two-core box; results go to stdout as a Markdown table.

use anyhow::{Context, Result};
use chuishao_app::{App, SystemClock};
use chuishao_store::{IntakeRecord, NewCaseRow, NewEvent, Store};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Database to run against; default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    bench_database_url: Option<String>,
    /// Requests in the flat-out phase.
    #[arg(long, default_value_t = 20_000)]
    requests: u64,
    /// Concurrent clients in the flat-out phase.
    #[arg(long, default_value_t = 64)]
    concurrency: u64,
    /// Offered rate (requests per second) of the fixed-rate phase.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Duration of the fixed-rate phase, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Rows in the bare-insert baseline.
    #[arg(long, default_value_t = 10_000)]
    bare_rows: u64,
}

pub(crate) struct Stats {
    pub(crate) count: usize,
    pub(crate) errors: u64,
    pub(crate) elapsed: Duration,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

pub(crate) fn stats(mut lat: Vec<Duration>, errors: u64, elapsed: Duration) -> Stats {
    lat.sort_unstable();
    let pick =
        |q: f64| lat.get(((lat.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
    Stats {
        count: lat.len(),
        errors,
        elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        max: lat.last().copied().unwrap_or_default(),
    }
}

fn body(i: u64) -> serde_json::Value {
    json!({
        "description": format!("基准测试第{i}号诉求：小区东门暴露垃圾，请尽快清运"),
        "category_code": "E0101",
        "grid_code": "110199001001001",
        "lat": 39.9745, "lon": 116.3961,
        "address": "樱花园社区小区东门",
        "reporter": {"name": "张先生", "phone": "13812341234"}
    })
}

async fn submit(client: &reqwest::Client, url: &str, token: &str, i: u64) -> bool {
    match client.post(url).bearer_auth(token).json(&body(i)).send().await {
        Ok(r) => r.status() == reqwest::StatusCode::CREATED,
        Err(_) => false,
    }
}

/// A migrated store (the URL given, or SQLite in `dir`) with the demo orgs, catalogue and
/// users, and an app over it.
pub(crate) async fn bench_app(url: Option<String>, dir: &tempfile::TempDir) -> Result<(App, Store)> {
    let url = url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::open(&url).await.with_context(|| format!("opening {url}"))?;
    store.migrate(0).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock));
    app.admin().import_orgs(&chuishao_app::demo::demo_orgs()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    app.admin()
        .import_catalogue(chuishao_app::admin::catalogue::DEMO_CATALOGUE)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    app.ops().seed_demo_users().await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((app, store))
}

pub async fn run(args: BenchArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (app, store) = bench_app(args.bench_database_url.clone(), &dir).await?;
    let token = app.admin().create_token("integrator", "bench").await.map_err(|e| anyhow::anyhow!("{e:?}"))?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server_app = app.clone();
    let server = tokio::spawn(async move {
        let _ = chuishao_http::serve(listener, server_app, std::future::pending()).await;
    });
    let endpoint = format!("http://{addr}/api/v1/cases");
    let client = reqwest::Client::builder().pool_max_idle_per_host(1024).build()?;
    eprintln!("engine {:?}; warming up…", store.engine());
    for i in 0..200 {
        submit(&client, &endpoint, &token, i).await;
    }

    // 1. Flat out.
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, endpoint, token, next, errors) =
            (client.clone(), endpoint.clone(), token.clone(), next.clone(), errors.clone());
        let total = args.requests;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break lat;
                }
                let t = Instant::now();
                if submit(&client, &endpoint, &token, i).await {
                    lat.push(t.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    let flat = stats(lat, errors.load(Ordering::Relaxed), started.elapsed());

    // 2. Fixed offered rate, open loop.
    let total = args.rate * args.seconds;
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let due = started + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, endpoint, token, errors) = (client.clone(), endpoint.clone(), token.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let ok = submit(&client, &endpoint, &token, 1_000_000 + i).await;
            if !ok {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            ok.then(|| due.elapsed())
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        if let Some(d) = t.await? {
            lat.push(d);
        }
    }
    let fixed = stats(lat, errors.load(Ordering::Relaxed), started.elapsed());
    server.abort();

    // 3. Bare insert of the same rows, one durable transaction each, no HTTP, no checks;
    // then 4. the same rows through the group-commit path in batches of 64, still no HTTP.
    let grid =
        app.admin().org_by_code("110199001001001").await.map_err(|e| anyhow::anyhow!("{e:?}"))?.context("grid")?;
    let lineage = app.admin().org_lineage(grid.id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let record = |prefix: char, i: u64| IntakeRecord {
        row: NewCaseRow {
            tracking_code: format!("{prefix}{i:09}"),
            source: "api".into(),
            category_code: Some("E0101".into()),
            urgency: "normal".into(),
            description: body(i)["description"].as_str().unwrap_or_default().into(),
            lat: Some(39.9745),
            lon: Some(116.3961),
            address: Some("樱花园社区小区东门".into()),
            location_path: grid.path.clone(),
            subdistrict_id: lineage.get(1).map(|n| n.id.0),
            community_id: lineage.get(2).map(|n| n.id.0),
            grid_id: Some(grid.id.0),
            created_by: None,
            created_at: 0,
        },
        reporter_name: Some("张先生".into()),
        reporter_phone: Some("13812341234".into()),
        reporter_key_id: None,
        event_kind: "received",
        event_payload: "{\"type\":\"received\"}".into(),
        actor_id: None,
        idempotency: None,
    };
    let started = Instant::now();
    for i in 0..args.bare_rows {
        let r = record('B', i);
        let mut tx = store.begin().await?;
        let id = tx.insert_case(&r.row).await?;
        tx.insert_reporter(id, r.reporter_name.as_deref(), r.reporter_phone.as_deref(), None, 0).await?;
        tx.append_events(&[NewEvent {
            stream: "case",
            stream_id: id.0,
            stream_version: 1,
            kind: r.event_kind,
            payload: r.event_payload.clone(),
            actor_id: None,
            created_at: 0,
        }])
        .await?;
        tx.commit().await?;
    }
    let bare_elapsed = started.elapsed();
    let bare_rate = args.bare_rows as f64 / bare_elapsed.as_secs_f64();
    let started = Instant::now();
    let all: Vec<IntakeRecord> = (0..args.bare_rows).map(|i| record('G', i)).collect();
    for chunk in all.chunks(64) {
        store.insert_intake_batch(chunk).await?;
    }
    let batched_rate = args.bare_rows as f64 / started.elapsed().as_secs_f64();
    let flat_rate = flat.count as f64 / flat.elapsed.as_secs_f64();
    let fixed_rate = fixed.count as f64 / fixed.elapsed.as_secs_f64();
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);

    println!("| phase | requests | errors | achieved/s | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| HTTP flat out, {} clients | {} | {} | {:.0} | {} | {} | {} |",
        args.concurrency,
        flat.count,
        flat.errors,
        flat_rate,
        ms(flat.p50),
        ms(flat.p99),
        ms(flat.max)
    );
    println!(
        "| HTTP fixed rate {}/s for {} s | {} | {} | {:.0} | {} | {} | {} |",
        args.rate,
        args.seconds,
        fixed.count,
        fixed.errors,
        fixed_rate,
        ms(fixed.p50),
        ms(fixed.p99),
        ms(fixed.max)
    );
    println!(
        "| bare insert, same rows, same durability, one transaction per case | {} | 0 | {:.0} | | | |",
        args.bare_rows, bare_rate
    );
    println!(
        "| bare insert, same rows, same durability, batches of 64 | {} | 0 | {:.0} | | | |",
        args.bare_rows, batched_rate
    );
    println!();
    println!("HTTP flat-out throughput / bare insert (one per transaction) = {:.2}", flat_rate / bare_rate);
    println!("HTTP flat-out throughput / bare insert (batches of 64) = {:.2}", flat_rate / batched_rate);
    let report = store.verify_chain().await?;
    println!("audit chain after the run: {} events, intact: {}", report.events_checked, report.first_break.is_none());
    store.close().await;
    Ok(())
}
