//! `chuishao bench-timer`: one timer tick over a large database. `--cases` open cases each
//! carry a resolution clock falling due days later; before each measured tick, `--due` of them
//! are given an emergency clock that has already run out, so the tick fires a warning, an
//! overdue event and a supervision for each (three chained events per case). Results in
//! docs/benchmarks.md.

use anyhow::{Context, Result};
use chuishao_app::{App, Clock};
use chuishao_domain::category::UrgencyTier;
use chuishao_domain::deadlines::{Deadline, DeadlineKind, DeadlinePolicy};
use chuishao_store::{DeadlineWrite, IntakeRecord, NewCaseRow, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchTimerArgs {
    /// Database to fill; default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    bench_database_url: Option<String>,
    /// Open cases, each with a running clock.
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Clocks due per measured tick.
    #[arg(long, default_value_t = 100)]
    due: u64,
    /// Measured ticks.
    #[arg(long, default_value_t = 20)]
    rounds: u64,
}

/// The bench's instant: Monday 2 November 2026, 10:00 +08:00.
struct FixedClock;
const NOW: i64 = 1_793_584_800_000;

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        NOW
    }
}

fn err(e: chuishao_app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

pub async fn run(args: BenchTimerArgs) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let url = match &args.bench_database_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}", dir.path().join("bench-timer.db").display()),
    };
    let store = Store::open(&url).await?;
    store.migrate(NOW).await?;
    let app = App::new(store.clone(), Arc::new(FixedClock));
    app.admin().import_orgs(&chuishao_app::demo::demo_orgs()).await.map_err(err)?;
    let grid = app.admin().org_by_code("110199001001001").await.map_err(err)?.context("grid")?;
    let cal = app.calendar().current();
    let policy = DeadlinePolicy::default();

    let started = Instant::now();
    let record = |i: u64| IntakeRecord {
        row: NewCaseRow {
            tracking_code: format!("T{i:09}"),
            source: "api".into(),
            category_code: None,
            urgency: "normal".into(),
            description: format!("timer bench case {i}"),
            lat: None,
            lon: None,
            address: None,
            location_path: grid.path.clone(),
            subdistrict_id: None,
            community_id: None,
            grid_id: Some(grid.id.0),
            created_by: None,
            created_at: NOW,
        },
        reporter_name: None,
        reporter_phone: None,
        reporter_key_id: None,
        event_kind: "received",
        event_payload: "{\"type\":\"received\"}".into(),
        actor_id: None,
        idempotency: None,
    };
    let normal = Deadline::start(DeadlineKind::Resolution, UrgencyTier::Normal, NOW, &cal, &policy)?;
    let next = normal.next_fire_at(&cal, &policy.escalation);
    let mut ids = Vec::with_capacity(args.cases as usize);
    let batch = 2_000u64;
    for from in (0..args.cases).step_by(batch as usize) {
        let records: Vec<IntakeRecord> = (from..(from + batch).min(args.cases)).map(record).collect();
        let new_ids = store.insert_intake_batch(&records).await?;
        let writes: Vec<DeadlineWrite<'_>> =
            new_ids.iter().map(|id| DeadlineWrite { case_id: id.0, deadline: &normal, next_fire_at: next }).collect();
        let mut tx = store.begin().await?;
        tx.insert_deadlines(&writes).await?;
        tx.commit().await?;
        ids.extend(new_ids.into_iter().map(|id| id.0));
    }
    let fill = started.elapsed();

    let emergency =
        Deadline::start(DeadlineKind::Resolution, UrgencyTier::Emergency, NOW - 3 * 3_600_000, &cal, &policy)?;
    let mut times = Vec::new();
    for round in 0..args.rounds {
        let from = (round * args.due) as usize;
        let chosen = &ids[from..(from + args.due as usize).min(ids.len())];
        let mut tx = store.begin().await?;
        for id in chosen {
            let w = DeadlineWrite {
                case_id: *id,
                deadline: &emergency,
                next_fire_at: emergency.next_fire_at(&cal, &policy.escalation),
            };
            tx.replace_case_deadlines(*id, std::slice::from_ref(&w)).await?;
        }
        tx.commit().await?;
        let t = Instant::now();
        let report = app.calendar().timer_tick(NOW).await.map_err(err)?;
        times.push(t.elapsed());
        anyhow::ensure!(
            // Caught up past the deadline: overdue only (the overtaken warning is not fired).
            report.overdue as u64 == chosen.len() as u64 && report.warnings == 0,
            "round {round}: expected {} firings, got {report:?}",
            chosen.len()
        );
    }
    let idle = Instant::now();
    let report = app.calendar().timer_tick(NOW).await.map_err(err)?;
    let idle = idle.elapsed();
    anyhow::ensure!(report == Default::default(), "nothing should be due: {report:?}");
    times.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times.get(times.len() / 2).copied().unwrap_or_default();
    let max = times.last().copied().unwrap_or_default();
    println!(
        "engine: {:?}; {} open cases with clocks (filled in {:.1} s)",
        store.engine(),
        args.cases,
        fill.as_secs_f64()
    );
    println!("| ticks | due per tick | median ms | max ms | idle tick ms |");
    println!("|---:|---:|---:|---:|---:|");
    println!("| {} | {} | {:.2} | {:.2} | {:.2} |", times.len(), args.due, ms(median), ms(max), ms(idle));
    let chain = store.verify_chain().await?;
    println!("audit chain: {} events, intact: {}", chain.events_checked, chain.first_break.is_none());
    store.close().await;
    Ok(())
}
