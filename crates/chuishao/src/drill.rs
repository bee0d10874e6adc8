//! `chuishao drill`: what `deploy/cluster.sh` runs against two nodes behind a load balancer.
//!
//! - `check`: residents report and track through the balancer; rate limits key on each
//!   resident's address (forwarded by the balancer) while a forwarded address from a peer
//!   that is not a trusted proxy is refused; staff act on both nodes and live streams on
//!   either node (and through the balancer) follow; a category renamed by a third process
//!   reaches both nodes' caches (the delay is printed).
//! - `load`: steady intake through the balancer, cases moved along, live followers that
//!   reconnect with `Last-Event-ID`, readiness polled on each node; a fault command (kill a
//!   node, restart PostgreSQL) runs at a given second; afterwards every acknowledged write is
//!   looked up and every follower's events compared with the log. The counts are printed.
//!
//! Traffic goes only to the addresses given (loopback in the script); loops are bounded in
//! count and time.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(clap::Args, Debug)]
pub struct DrillArgs {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(clap::Subcommand, Debug)]
enum Mode {
    /// The functional checks (exit 1 on the first failure).
    Check(Common),
    /// Steady load with a fault in the middle; prints the counts.
    Load(LoadArgs),
}

#[derive(clap::Args, Debug, Clone)]
struct Common {
    /// The load balancer's base URL.
    #[arg(long)]
    lb: String,
    /// Each node's base URL (directly, bypassing the balancer).
    #[arg(long = "node", required = true)]
    nodes: Vec<String>,
    /// The database the nodes share (for the third process that renames a category).
    #[arg(long)]
    database_url: String,
    /// API tokens (from `chuishao users create-token`).
    #[arg(long, env = "DRILL_INTEGRATOR_TOKEN")]
    integrator_token: String,
    #[arg(long, env = "DRILL_DISPATCHER_TOKEN")]
    dispatcher_token: String,
}

#[derive(clap::Args, Debug)]
struct LoadArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    #[arg(long, default_value_t = 4)]
    writers: usize,
    #[arg(long, default_value_t = 4)]
    followers: usize,
    /// Second of the run at which `--fault` runs (through `sh -c`).
    #[arg(long, default_value_t = 10)]
    fault_at: u64,
    #[arg(long)]
    fault: Option<String>,
    /// A label for the printed summary.
    #[arg(long, default_value = "drill")]
    name: String,
}

pub async fn run(args: DrillArgs) -> Result<()> {
    match args.mode {
        Mode::Check(c) => check(c).await,
        Mode::Load(l) => load(l).await,
    }
}

fn client_from(addr: Option<IpAddr>) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder().timeout(Duration::from_secs(10)).pool_max_idle_per_host(8);
    if let Some(a) = addr {
        b = b.local_address(a);
    }
    Ok(b.build()?)
}

struct Api {
    http: reqwest::Client,
    integrator: String,
    dispatcher: String,
}

impl Api {
    async fn new_case(&self, base: &str, n: u64) -> Result<Value> {
        let body = json!({"description": format!("演练诉求 drill case {n}"), "category_code": "C0101",
                          "grid_code": "110199001001001"});
        let r = self.http.post(format!("{base}/api/v1/cases")).bearer_auth(&self.integrator).json(&body).send().await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST /api/v1/cases: {status} {v}");
        }
        Ok(v)
    }

    async fn act(&self, base: &str, id: i64, version: i64, action: &str, extra: Value) -> Result<Value> {
        let mut body = json!({"action": action, "version": version});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = self
            .http
            .post(format!("{base}/api/v1/cases/{id}/transitions"))
            .bearer_auth(&self.dispatcher)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{action} on case {id}: {status} {v}");
        }
        Ok(v)
    }

    async fn case(&self, base: &str, id: i64) -> Result<Value> {
        let r = self.http.get(format!("{base}/api/v1/cases/{id}")).bearer_auth(&self.dispatcher).send().await?;
        Ok(r.error_for_status()?.json().await?)
    }

    /// Sequence numbers of a case's events whose kind residents see.
    async fn public_seqs(&self, base: &str, id: i64) -> Result<BTreeSet<i64>> {
        let r = self.http.get(format!("{base}/api/v1/cases/{id}/events")).bearer_auth(&self.dispatcher).send().await?;
        let v: Value = r.error_for_status()?.json().await?;
        let shown = ["received", "registered", "dispatched", "parked", "unparked"];
        Ok(v.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["kind"].as_str().is_some_and(|k| shown.contains(&k)))
            .filter_map(|e| e["seq"].as_i64())
            .collect())
    }
}

fn version(v: &Value) -> i64 {
    v["version"].as_i64().unwrap_or(0)
}

/// Files a report through the web form from `client` (its own address), as a browser does.
async fn web_report(http: &reqwest::Client, base: &str, n: u64) -> Result<(reqwest::StatusCode, Option<String>)> {
    let token = format!("{:032x}", 0xC0FFEE_u128 * 1_000_003 + u128::from(n));
    let form = [
        ("csrf", token.as_str()),
        ("form_token", &format!("{:032x}", u128::from(n) * 7_919 + 13)),
        ("category_code", "E0101"),
        ("description", "楼下垃圾堆放 drill report"),
        ("address", "樱花东街 1 号"),
    ];
    let r = http.post(format!("{base}/report")).header("cookie", format!("csrf={token}")).form(&form).send().await?;
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    let code = body.split("/t/").nth(1).map(|s| s.chars().take_while(|c| c.is_ascii_alphanumeric()).collect());
    Ok((status, code))
}

/// Reads an SSE stream until `want` update events arrived or `timeout`; the ids seen.
async fn sse_ids(
    http: &reqwest::Client,
    url: &str,
    last: Option<i64>,
    want: usize,
    timeout: Duration,
) -> Result<Vec<i64>> {
    let mut req = http.get(url).timeout(timeout + Duration::from_secs(1));
    if let Some(l) = last {
        req = req.header("last-event-id", l.to_string());
    }
    let mut res = req.send().await?.error_for_status()?;
    let mut ids = Vec::new();
    let mut buf = String::new();
    let deadline = Instant::now() + timeout;
    while ids.len() < want && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(chunk) = tokio::time::timeout(left, res.chunk()).await else { break };
        let Some(chunk) = chunk? else { break };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(i) = buf.find("\n\n") {
            let event: String = buf.drain(..i + 2).collect();
            if let Some(id) = event.lines().find_map(|l| l.strip_prefix("id:")).and_then(|v| v.trim().parse().ok()) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}

fn ok(what: &str) {
    println!("  ok  {what}");
}

async fn check(c: Common) -> Result<()> {
    let api = Api {
        http: client_from(None)?,
        integrator: c.integrator_token.clone(),
        dispatcher: c.dispatcher_token.clone(),
    };
    let (a, b) = (&c.nodes[0], c.nodes.get(1).unwrap_or(&c.nodes[0]));
    println!("cluster check: balancer {}, nodes {}", c.lb, c.nodes.join(", "));

    // Residents report and track through the balancer, each from their own address.
    let resident = |last: u8| client_from(Some(IpAddr::from([127, 0, 0, last])));
    let (status, code) = web_report(&resident(10)?, &c.lb, 1).await?;
    let Some(code) = code.filter(|_| status.is_success()) else { bail!("report through the balancer: {status}") };
    let page = api.http.get(format!("{}/t/{code}", c.lb)).send().await?;
    if !page.status().is_success() {
        bail!("tracking page through the balancer: {}", page.status());
    }
    ok(&format!("a resident reported ({code}) and tracked it through the balancer"));

    // Rate limits: one resident's burst runs out; another resident is unaffected.
    let heavy = resident(11)?;
    let mut refused_at = None;
    for n in 0..40u64 {
        let (s, _) = web_report(&heavy, &c.lb, 100 + n).await?;
        if s == reqwest::StatusCode::TOO_MANY_REQUESTS {
            refused_at = Some(n + 1);
            break;
        }
    }
    let Some(refused_at) = refused_at else { bail!("no 429 for one resident after 40 reports") };
    let (s, _) = web_report(&resident(12)?, &c.lb, 500).await?;
    if !s.is_success() {
        bail!("a second resident was limited too ({s}): the limit keys on the balancer, not the client");
    }
    ok(&format!("report {refused_at} from one resident was refused (429); another resident's went through"));

    // A forwarded address straight from a peer that is no trusted proxy: refused.
    let r = api
        .http
        .post(format!("{a}/report"))
        .header("x-forwarded-for", "198.51.100.7")
        .form(&[("csrf", "x")])
        .send()
        .await?;
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if v["error"]["code"] != "untrusted_forwarded_for" {
        bail!("X-Forwarded-For from an untrusted peer: {v}");
    }
    ok("X-Forwarded-For from a peer that is not a trusted proxy: 400 untrusted_forwarded_for");

    // Staff act on both nodes; live streams on each node and through the balancer follow.
    let case = api.new_case(a, 1).await?;
    let id = case["id"].as_i64().context("case id")?;
    let code = case["tracking_code"].as_str().context("code")?.to_string();
    let streams: Vec<String> = [&c.lb, a, b].iter().map(|base| format!("{base}/t/{code}/events")).collect();
    let followers: Vec<_> = streams
        .iter()
        .map(|url| {
            let (http, url) = (api.http.clone(), url.clone());
            tokio::spawn(async move { sse_ids(&http, &url, None, 5, Duration::from_secs(15)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = api.act(a, id, version(&case), "register", json!({})).await?;
    let v = api.act(b, id, version(&v), "dispatch", json!({"handler_code": "SWJ"})).await?;
    let v = api.act(a, id, version(&v), "park", json!({"reason": "等待管线改造 drill"})).await?;
    api.act(b, id, version(&v), "unpark", json!({})).await?;
    let expected = api.public_seqs(a, id).await?;
    for (url, f) in streams.iter().zip(followers) {
        let seen: BTreeSet<i64> = f.await??.into_iter().collect();
        if seen != expected {
            bail!("{url} saw events {seen:?}, the log has {expected:?}");
        }
    }
    ok(
        "register on node 1, dispatch on node 2, park on 1, unpark on 2: every stream (balancer, node 1, node 2) got all 5 updates",
    );

    // A category renamed by a third process reaches both nodes' caches.
    let app = chuishao_app::App::new(
        chuishao_store::Store::open(&c.database_url).await?,
        Arc::new(chuishao_app::SystemClock),
    );
    let original = chuishao_app::admin::catalogue::DEMO_CATALOGUE;
    let renamed = original.replacen("name_zh = \"上水井盖\"", "name_zh = \"上水井盖（演练）\"", 1);
    app.admin().import_catalogue(&renamed).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let t0 = Instant::now();
    let mut seen_after = Vec::new();
    for base in [a, b] {
        loop {
            let v = api.case(base, id).await?;
            if v["category"]["name_zh"] == "上水井盖（演练）" {
                seen_after.push(t0.elapsed());
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                bail!("{base} still shows the old category name after 10 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    app.admin().import_catalogue(original).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    ok(&format!(
        "a category renamed by another process reached node 1 after {} ms and node 2 after {} ms",
        seen_after[0].as_millis(),
        seen_after[1].as_millis()
    ));
    println!("cluster check passed");
    Ok(())
}

/// Counts shared by the load's tasks.
#[derive(Default)]
struct Counts {
    acked: Mutex<Vec<String>>,
    failed: AtomicU64,
    moved: AtomicU64,
    move_failed: AtomicU64,
    reconnects: AtomicU64,
}

async fn load(l: LoadArgs) -> Result<()> {
    let c = l.common.clone();
    let api = Arc::new(Api {
        http: client_from(None)?,
        integrator: c.integrator_token.clone(),
        dispatcher: c.dispatcher_token.clone(),
    });
    // Cases the followers watch, dispatched so they can be parked and unparked.
    let mut followed = Vec::new();
    for i in 0..l.followers {
        let v = api.new_case(&c.lb, 9_000 + i as u64).await?;
        let id = v["id"].as_i64().context("id")?;
        let v = api.act(&c.lb, id, version(&v), "register", json!({})).await?;
        let v = api.act(&c.lb, id, version(&v), "dispatch", json!({"handler_code": "SWJ"})).await?;
        followed.push((id, v["tracking_code"].as_str().unwrap_or_default().to_string(), version(&v)));
    }
    let counts = Arc::new(Counts::default());
    let stop = Arc::new(AtomicBool::new(false));
    // Followers stop a little after the writers, so the last moves reach them.
    let stop_followers = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..l.writers {
        let (api, counts, stop, lb) = (api.clone(), counts.clone(), stop.clone(), c.lb.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                match api.new_case(&lb, (w as u64) << 32 | n).await {
                    Ok(v) => counts.acked.lock().await.push(v["tracking_code"].as_str().unwrap_or_default().into()),
                    Err(_) => {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }));
    }
    // The mover parks and unparks the followed cases in turn.
    {
        let (api, counts, stop, lb, cases) =
            (api.clone(), counts.clone(), stop.clone(), c.lb.clone(), followed.clone());
        tasks.push(tokio::spawn(async move {
            let mut state: Vec<(i64, i64, bool)> = cases.iter().map(|(id, _, v)| (*id, *v, false)).collect();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && !state.is_empty() {
                let k = i % state.len();
                let (id, v, parked) = state[k];
                let (action, extra) =
                    if parked { ("unpark", json!({})) } else { ("park", json!({"reason": "演练挂账 drill"})) };
                match api.act(&lb, id, v, action, extra).await {
                    Ok(view) => {
                        state[k] = (id, version(&view), !parked);
                        counts.moved.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        counts.move_failed.fetch_add(1, Ordering::Relaxed);
                        // The version may have moved (a write acknowledged too late to see): reread.
                        if let Ok(view) = api.case(&lb, id).await {
                            state[k] = (id, version(&view), view["status"] == "dispatched" && view["parked"] == true);
                        }
                    }
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        }));
    }
    // Followers: live streams through the balancer, reconnecting with Last-Event-ID.
    let mut follower_tasks = Vec::new();
    for (_, code, _) in &followed {
        let (http, counts, stop, url) =
            (api.http.clone(), counts.clone(), stop_followers.clone(), format!("{}/t/{code}/events", c.lb));
        follower_tasks.push(tokio::spawn(async move {
            let mut seen: BTreeSet<i64> = BTreeSet::new();
            let mut last: Option<i64> = None;
            let mut first = true;
            while !stop.load(Ordering::Relaxed) {
                if !first {
                    counts.reconnects.fetch_add(1, Ordering::Relaxed);
                }
                first = false;
                let req = match last {
                    Some(l) => http.get(&url).header("last-event-id", l.to_string()),
                    None => http.get(&url),
                };
                let res = match req.timeout(Duration::from_secs(3600)).send().await.and_then(|r| r.error_for_status()) {
                    Ok(r) => r,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                let mut res = res;
                let mut buf = String::new();
                loop {
                    let chunk = tokio::select! {
                        c = res.chunk() => c,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {
                            if stop.load(Ordering::Relaxed) { break } else { continue }
                        }
                    };
                    match chunk {
                        Ok(Some(ch)) => {
                            buf.push_str(&String::from_utf8_lossy(&ch));
                            while let Some(i) = buf.find("\n\n") {
                                let ev: String = buf.drain(..i + 2).collect();
                                if let Some(id) = ev
                                    .lines()
                                    .find_map(|l| l.strip_prefix("id:"))
                                    .and_then(|v| v.trim().parse::<i64>().ok())
                                {
                                    seen.insert(id);
                                    last = Some(last.map_or(id, |l: i64| l.max(id)));
                                }
                            }
                        }
                        _ => break,
                    }
                }
            }
            seen
        }));
    }
    // Readiness of each node, polled directly.
    let readiness = {
        let (http, stop, nodes) = (api.http.clone(), stop.clone(), c.nodes.clone());
        tokio::spawn(async move {
            let mut log: Vec<Vec<(u128, bool)>> = vec![Vec::new(); nodes.len()];
            while !stop.load(Ordering::Relaxed) {
                for (i, n) in nodes.iter().enumerate() {
                    let ready = matches!(
                        http.get(format!("{n}/readyz")).timeout(Duration::from_millis(800)).send().await,
                        Ok(r) if r.status().is_success()
                    );
                    if log[i].last().map(|(_, r)| *r) != Some(ready) {
                        log[i].push((started.elapsed().as_millis(), ready));
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            log
        })
    };
    let fault_at = Duration::from_secs(l.fault_at);
    let fault_task = l.fault.clone().map(|cmd| {
        tokio::spawn(async move {
            tokio::time::sleep(fault_at).await;
            let t = Instant::now();
            let out = tokio::process::Command::new("sh").arg("-c").arg(&cmd).output().await;
            eprintln!("fault `{cmd}` ran in {:.1} s: {:?}", t.elapsed().as_secs_f64(), out.map(|o| o.status));
        })
    });
    tokio::time::sleep(Duration::from_secs(l.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    if let Some(f) = fault_task {
        let _ = f.await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop_followers.store(true, Ordering::Relaxed);
    let ready_log = readiness.await.unwrap_or_default();
    let mut follower_seen = Vec::new();
    for t in follower_tasks {
        follower_seen.push(t.await.unwrap_or_default());
    }
    // After the run: every acknowledged case is there, every follower saw every public event.
    let acked = counts.acked.lock().await.clone();
    let mut lost = 0;
    for code in &acked {
        let mut found = false;
        for _ in 0..20 {
            match api.http.get(format!("{}/api/v1/public/cases/{code}", c.lb)).send().await {
                Ok(r) if r.status().is_success() => {
                    found = true;
                    break;
                }
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => break,
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        lost += usize::from(!found);
    }
    let mut missed = 0;
    let mut delivered = 0;
    for ((id, _, _), seen) in followed.iter().zip(&follower_seen) {
        let log = api.public_seqs(&c.lb, *id).await?;
        missed += log.difference(seen).count();
        delivered += log.intersection(seen).count();
    }
    let secs = l.seconds as f64;
    match &l.fault {
        Some(f) => println!("{} ({} s, fault at {} s: {f})", l.name, l.seconds, l.fault_at),
        None => println!("{} ({} s, {} writers)", l.name, l.seconds, l.writers),
    }
    println!(
        "  intake acknowledged: {} ({:.0}/s), failed requests: {}",
        acked.len(),
        acked.len() as f64 / secs,
        counts.failed.load(Ordering::Relaxed)
    );
    println!("  acknowledged writes lost: {lost}");
    println!(
        "  park/unpark moves: {} ok, {} failed",
        counts.moved.load(Ordering::Relaxed),
        counts.move_failed.load(Ordering::Relaxed)
    );
    println!(
        "  live followers: {} events delivered, {missed} missed, {} reconnects",
        delivered,
        counts.reconnects.load(Ordering::Relaxed)
    );
    for (i, log) in ready_log.iter().enumerate() {
        let changes: Vec<String> = log
            .iter()
            .map(|(t, r)| format!("{} at {:.1} s", if *r { "ready" } else { "unready" }, *t as f64 / 1000.0))
            .collect();
        println!("  node {} readiness: {}", i + 1, changes.join(", "));
    }
    if lost > 0 || missed > 0 {
        bail!("{lost} acknowledged writes lost, {missed} live events missed");
    }
    Ok(())
}
