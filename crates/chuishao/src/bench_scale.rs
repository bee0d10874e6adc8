//! `chuishao bench-scale`: a city's worth of cases, and the pages that must stay fast on it.
//!
//! - `generate --cases N`: fills the database (the global `--database-url`) with N cases in a
//!   realistic mix of states, each with its whole event stream decided by the domain's own
//!   rules (`execute`), hash-chained through the store's `append_events`, the clocks the
//!   deadline rules give them, spread over the demo district's 60 grids and 10 departments
//!   and over the past months. Written through the store in transactions of 2,000 cases (no
//!   HTTP). Rerunnable: it adds only the cases still missing (codes `Z…` are its own).
//! - `measure --base URL`: signs in as the dispatcher and times the board, the case list with
//!   filters and case pages (one at a time: p50/p99), then the public tracking page for random
//!   codes across all generated cases with many concurrent clients (requests per second,
//!   p50/p99), and reads the serving process's RSS (`--pid`).

use anyhow::{Context, Result, bail};
use chuishao_app::App;
use chuishao_domain::access::Actor;
use chuishao_domain::cases::{Case, CaseEvent, Command, HandlerRef, Urgency, execute};
use chuishao_domain::ids::CaseId;
use chuishao_store::{DeadlineWrite, IntakeRecord, NewCaseRow, NewEvent, Store};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchScaleArgs {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(clap::Subcommand, Debug)]
enum Mode {
    /// Fill the database with generated cases (rerunnable).
    Generate {
        #[arg(long, default_value_t = 1_000_000)]
        cases: u64,
    },
    /// Time pages on a running server.
    Measure {
        #[arg(long)]
        base: String,
        /// Cases generated (tracking codes are drawn from 0..this).
        #[arg(long, default_value_t = 1_000_000)]
        cases: u64,
        /// Requests per staff page.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Concurrent clients on the tracking page.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// The serving process, for its RSS.
        #[arg(long)]
        pid: Option<u32>,
    },
}

/// The generator's own tracking codes: `Z` and the number in the tracking alphabet.
pub fn code(i: u64) -> String {
    let a = chuishao_domain::ids::TRACKING_ALPHABET;
    let mut out = vec![a[0]; 9];
    let mut n = i;
    for slot in out.iter_mut().rev() {
        *slot = a[(n % a.len() as u64) as usize];
        n /= a.len() as u64;
    }
    format!("Z{}", String::from_utf8_lossy(&out))
}

/// xorshift64*, for a fixed, dependency-free mix.
fn mix(i: u64) -> u64 {
    let mut s = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    s.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// The state a case ends in, per 100: received 4, registered 3, rejected 3, dispatched 10,
/// accepted 8, parked 2, resolved 8, verified 4, closed 58.
fn path(i: u64) -> &'static [&'static str] {
    const CLOSED: &[&str] = &["register", "dispatch", "accept", "resolve", "verify", "close"];
    match mix(i) % 100 {
        0..=3 => &[],
        4..=6 => &["register"],
        7..=9 => &["reject"],
        10..=19 => &["register", "dispatch"],
        20..=27 => &["register", "dispatch", "accept"],
        28..=29 => &["register", "dispatch", "accept", "park"],
        30..=37 => &["register", "dispatch", "accept", "resolve"],
        38..=41 => &["register", "dispatch", "accept", "resolve", "verify"],
        _ => CLOSED,
    }
}

struct World {
    places: Vec<(i64, String, Option<i64>, Option<i64>)>,
    units: Vec<(HandlerRef, Actor)>,
    categories: Vec<String>,
    staff: Vec<Actor>,
}

async fn world(app: &App) -> Result<World> {
    let e = |e: chuishao_app::AppError| anyhow::anyhow!("{e}");
    let mut places = Vec::new();
    for g in app.admin().list_orgs(Some(chuishao_domain::org::OrgKind::Grid)).await.map_err(e)? {
        let lineage = app.admin().org_lineage(chuishao_domain::ids::OrgId(g.id)).await.map_err(e)?;
        let find = |k| lineage.iter().find(|n| n.kind == k).map(|n| n.id.0);
        let path = lineage.last().map(|n| n.path.clone()).unwrap_or_default();
        places.push((
            g.id,
            path,
            find(chuishao_domain::org::OrgKind::Community),
            find(chuishao_domain::org::OrgKind::Subdistrict),
        ));
    }
    let mut units = Vec::new();
    for d in app.admin().list_orgs(Some(chuishao_domain::org::OrgKind::Department)).await.map_err(e)? {
        let Ok(actor) = app.admin().actor_for(&format!("staff_{}", d.code.to_lowercase())).await else { continue };
        let node = app.admin().org(chuishao_domain::ids::OrgId(d.id)).await.map_err(e)?.context("department")?;
        units.push((HandlerRef { id: node.id, kind: node.kind, path: node.path.clone() }, actor));
    }
    let categories: Vec<String> = app.admin().list_categories().await.map_err(e)?.into_iter().map(|c| c.code).collect();
    let mut staff = Vec::new();
    for u in ["dispatcher", "grid_worker", "subdistrict_leader", "admin"] {
        staff.push(app.admin().actor_for(u).await.map_err(e)?);
    }
    if places.is_empty() || units.is_empty() || categories.is_empty() {
        bail!("the demo district is missing (run `chuishao demo` first)");
    }
    Ok(World { places, units, categories, staff })
}

fn command(step: &str, unit: &HandlerRef) -> Command {
    match step {
        "register" => Command::Register { category_code: None, urgency: None },
        "reject" => Command::Reject { reason: "重复诉求 duplicate".into() },
        "dispatch" => Command::Dispatch { handler: unit.clone(), note: None },
        "accept" => Command::Accept,
        "park" => Command::Park { reason: "季节性施工 seasonal works".into() },
        "resolve" => Command::Resolve { result: "已清理完毕 cleared".into(), evidence: vec![] },
        "verify" => Command::Verify { passed: true, note: None },
        _ => Command::Close,
    }
}

async fn generate(cfg: &crate::config::Config, target: u64) -> Result<()> {
    let app = crate::open_app(cfg).await?;
    let store = Store::open(&cfg.database.url).await?;
    let w = world(&app).await?;
    let cal = app.calendar().current();
    let policy = app.calendar().deadline_policy();
    let escalation = policy.escalation;
    let now = crate::now_ms();
    // Codes already written: continue after them.
    let mut start = 0u64;
    let (mut lo, mut hi) = (0u64, target);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if store.case_by_tracking_code(&code(mid)).await?.is_some() {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    start = start.max(lo);
    eprintln!("{start} generated cases present; adding {}", target.saturating_sub(start));
    let t0 = Instant::now();
    const BATCH: u64 = 2_000;
    let mut from = start;
    while from < target {
        let to = (from + BATCH).min(target);
        let mut records = Vec::with_capacity((to - from) as usize);
        for i in from..to {
            let m = mix(i);
            let (grid, path, community, subdistrict) = &w.places[(m % w.places.len() as u64) as usize];
            // Over the last 300 days, the older the more likely closed.
            let created = now - ((m >> 20) % 300) as i64 * 86_400_000 - ((m >> 40) % 86_400) as i64 * 1000;
            records.push(IntakeRecord {
                row: NewCaseRow {
                    tracking_code: code(i),
                    source: ["web", "api", "hotline", "patrol", "open311"][(m % 5) as usize].into(),
                    category_code: Some(w.categories[((m >> 8) % w.categories.len() as u64) as usize].clone()),
                    urgency: if m.is_multiple_of(17) { "urgent" } else { "normal" }.into(),
                    description: format!("规模测试诉求 {i}：路面破损，影响通行 (scale case)"),
                    lat: None,
                    lon: None,
                    address: Some(format!("测试路{}号", i % 997)),
                    location_path: path.clone(),
                    subdistrict_id: *subdistrict,
                    community_id: *community,
                    grid_id: Some(*grid),
                    created_by: None,
                    created_at: created,
                },
                reporter_name: None,
                reporter_phone: Some(format!("1380000{:04}", i % 10_000)),
                reporter_key_id: None,
                event_kind: "received",
                event_payload: "{\"type\":\"received\"}".into(),
                actor_id: None,
                idempotency: None,
            });
        }
        for r in &mut records {
            r.event_payload = received_payload(&r.row);
        }
        let mut tx = store.begin().await?;
        let (ids, _) = tx.insert_intake_batch(&records).await?;
        let mut events: Vec<(i64, i64, i64, Option<i64>, CaseEvent)> = Vec::new();
        let mut clocks: Vec<(i64, Vec<chuishao_domain::deadlines::Deadline>)> = Vec::new();
        let mut finals: Vec<Case> = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let i = from + k as u64;
            let r = &records[k].row;
            let mut case = Case::received(
                CaseId(id.0),
                r.category_code.clone(),
                if r.urgency == "urgent" { Urgency::Urgent } else { Urgency::Normal },
                r.location_path.clone(),
            );
            let (unit, unit_actor) = &w.units[((mix(i) >> 16) % w.units.len() as u64) as usize];
            let mut at = r.created_at;
            let mut case_clocks = Vec::new();
            let tier = chuishao_domain::category::UrgencyTier::Normal;
            for step in path(i) {
                at += 3_600_000;
                let cmd = command(step, unit);
                let version = case.version;
                let done = std::iter::once(unit_actor).chain(&w.staff).find_map(|a| {
                    let mut c = case.clone();
                    execute(&mut c, a, &cmd, version).ok().map(|evs| (c, evs, a.user_id.0))
                });
                let Some((next, evs, actor)) = done else { break };
                case = next;
                for e in evs {
                    let _ = chuishao_domain::deadlines::react(&mut case_clocks, &e, tier, at, &cal, &policy);
                    events.push((id.0, case.version, at, Some(actor), e));
                }
            }
            clocks.push((id.0, case_clocks));
            finals.push(case);
        }
        for c in &finals {
            if c.version > 1 {
                tx.update_case_state(c, 1, now).await?;
            }
        }
        let payloads: Vec<String> = events.iter().map(|(.., e)| serde_json::to_string(e).unwrap_or_default()).collect();
        let rows: Vec<NewEvent<'_>> = events
            .iter()
            .zip(&payloads)
            .map(|((id, v, at, actor, e), p)| NewEvent {
                stream: "case",
                stream_id: *id,
                stream_version: *v,
                kind: e.kind(),
                payload: p.clone(),
                actor_id: *actor,
                created_at: *at,
            })
            .collect();
        tx.append_events(&rows).await?;
        let writes: Vec<DeadlineWrite<'_>> = clocks
            .iter()
            .flat_map(|(id, cs)| cs.iter().map(move |d| (id, d)))
            .map(|(id, d)| DeadlineWrite { case_id: *id, deadline: d, next_fire_at: d.next_fire_at(&cal, &escalation) })
            .collect();
        tx.insert_deadlines(&writes).await?;
        tx.commit().await?;
        from = to;
        if from.is_multiple_of(50_000) || from == target {
            let rate = (from - start) as f64 / t0.elapsed().as_secs_f64();
            eprintln!("  {from} cases ({rate:.0}/s)");
        }
    }
    println!("{} cases in the database ({} added in {:.0} s)", target, target - start, t0.elapsed().as_secs_f64());
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn sign_in(base: &str) -> Result<String> {
    let token = "0123456789abcdef0123456789abcdef";
    // The answer is a redirect carrying the cookie: not followed.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", format!("csrf={token}"))
        .form(&[
            ("csrf", token),
            ("username", "dispatcher"),
            ("password", chuishao_app::admin::accounts::DEMO_PASSWORD),
        ])
        .send()
        .await?;
    let sid = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("sid=").map(|s| s.split(';').next().unwrap_or("").to_string()))
        .context("no session cookie: did the demo users get created?")?;
    Ok(sid)
}

async fn time_page(http: &reqwest::Client, base: &str, sid: &str, paths: &[String]) -> Result<(f64, f64, u16)> {
    let mut times = Vec::with_capacity(paths.len());
    let mut status = 0;
    for p in paths {
        let t = Instant::now();
        let r = http.get(format!("{base}{p}")).header("cookie", format!("sid={sid}")).send().await?;
        status = r.status().as_u16();
        let _ = r.bytes().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99), status))
}

fn rss_mb(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

async fn measure(
    base: String,
    cases: u64,
    requests: usize,
    clients: usize,
    seconds: u64,
    pid: Option<u32>,
) -> Result<()> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(256).build()?;
    let sid = sign_in(&base).await?;
    let pick = |k: usize| mix(k as u64 + 77);
    // Case ids are dense: random ones across every case.
    let ids: Vec<u64> = (0..requests).map(|k| 1 + pick(k) % cases.max(1)).collect();
    let rss_before = pid.and_then(rss_mb);
    println!("| page | requests | p50 | p99 | status |");
    println!("|---|---|---|---|---|");
    let rows: Vec<(&str, Vec<String>)> = vec![
        ("dispatcher board `/console/board`", vec!["/console/board".to_string(); requests]),
        (
            "working queue, filtered `/console/board?queue=working&category=C0101&urgency=urgent`",
            vec!["/console/board?queue=working&category=C0101&urgency=urgent".to_string(); requests],
        ),
        ("overdue queue `/console/board?queue=overdue`", vec!["/console/board?queue=overdue".to_string(); requests]),
        ("case page `/console/cases/{id}`, random ids", ids.iter().map(|id| format!("/console/cases/{id}")).collect()),
    ];
    for (name, paths) in rows {
        let (p50, p99, status) = time_page(&http, &base, &sid, &paths).await?;
        println!("| {name} | {} | {p50:.1} ms | {p99:.1} ms | {status} |", paths.len());
    }
    // The tracking page for random codes across every generated case.
    let stop = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, base) = (http.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut errors = 0u64;
            let mut k = c as u64 * 1_000_003;
            while Instant::now() < stop {
                k += 1;
                let t = Instant::now();
                match http.get(format!("{base}/t/{}", code(mix(k) % cases))).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        times.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (times, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (times, e) = t.await?;
        all.extend(times);
        errors += e;
    }
    all.sort();
    println!(
        "| tracking page `/t/{{code}}`, random codes, {clients} clients | {} ({:.0}/s, {errors} errors) | {:.1} ms | {:.1} ms | 200 |",
        all.len(),
        all.len() as f64 / seconds as f64,
        percentile(&all, 0.5),
        percentile(&all, 0.99)
    );
    if let Some(pid) = pid {
        println!(
            "RSS of the serving process: {:.0} MB before the tracking run, {:.0} MB after",
            rss_before.unwrap_or(0.0),
            rss_mb(pid).unwrap_or(0.0)
        );
    }
    Ok(())
}

pub async fn run(cfg: &crate::config::Config, args: BenchScaleArgs) -> Result<()> {
    match args.mode {
        Mode::Generate { cases } => generate(cfg, cases).await,
        Mode::Measure { base, cases, requests, clients, seconds, pid } => {
            measure(base, cases, requests, clients, seconds, pid).await
        }
    }
}

/// The `received` event of a generated case, complete (so `audit verify` folds it).
fn received_payload(row: &NewCaseRow) -> String {
    let event = CaseEvent::Received {
        source: chuishao_domain::cases::Source::parse(&row.source).unwrap_or(chuishao_domain::cases::Source::Web),
        category_code: row.category_code.clone(),
        urgency: Urgency::parse(&row.urgency).unwrap_or(Urgency::Normal),
        description: row.description.clone(),
        lat: row.lat,
        lon: row.lon,
        address: row.address.clone(),
        location_org_id: row.grid_id.or(row.community_id).or(row.subdistrict_id).map(chuishao_domain::ids::OrgId),
        location_path: Some(row.location_path.clone()),
    };
    serde_json::to_string(&event).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_codes_are_tracking_codes_and_distinct() {
        let a = super::code(0);
        let b = super::code(999_999);
        assert!(chuishao_domain::ids::TrackingCode::parse(&a).is_some(), "{a}");
        assert!(chuishao_domain::ids::TrackingCode::parse(&b).is_some(), "{b}");
        assert_ne!(a, b);
    }
}
