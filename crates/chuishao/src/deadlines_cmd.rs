//! Deadlines in the binary: configuration from the environment, the timer worker's start and
//! stop, and `chuishao calendar …` (deadline look-ups, importing and exporting years).

use anyhow::{Context, Result, bail};
use chuishao_app::App;
use chuishao_app::calendar::{DueQuery, SupervisionTarget};
use chuishao_calendar::WorkingHours;
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum CalendarCommand {
    /// Print when something is due, as RFC 3339 in +08:00, followed by ` provisional` when the
    /// working time counted crosses a year without an official schedule.
    Due(DueArgs),
    /// Import (or replace) a year's official holidays and adjusted working days from a TOML
    /// file (format: data/calendar/2026.toml). Stored in the database for every node; running
    /// clocks that depend on the year are re-timed.
    Import {
        file: String,
        /// Refuse the file unless it is for this year.
        #[arg(long)]
        year: Option<i32>,
    },
    /// Re-time the running clocks computed across YEAR on the calendar in use (the import does
    /// this; run it after a node stopped within 30 s of an import elsewhere).
    Retime { year: i32 },
    /// Print a year (official or provisional) as TOML.
    Export { year: i32 },
    /// List each supported year as official or provisional, and the working hours.
    Show,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("allowance").required(true).multiple(false)))]
pub struct DueArgs {
    /// The start instant, RFC 3339 (e.g. 2026-02-13T10:00:00+08:00).
    #[arg(long)]
    from: String,
    /// Whole working days: the same clock time on the N-th following working day.
    #[arg(long, group = "allowance")]
    working_days: Option<i64>,
    /// Working hours, counted only inside working time.
    #[arg(long, group = "allowance")]
    working_hours: Option<f64>,
    /// Wall-clock hours, 24×7.
    #[arg(long, group = "allowance")]
    hours: Option<f64>,
}

/// Applies the configuration's deadline settings (`[deadlines]`, `[whistles]`; the
/// environment was laid over them when the configuration was read) and the calendar years
/// imported into the database.
pub async fn configure(app: &App, cfg: &crate::config::Config) -> Result<()> {
    let policy = cfg.deadline_policy().map_err(|e| anyhow::anyhow!("deadlines.policy: {e}"))?;
    app.calendar().set_deadline_policy(policy);
    let whistles = cfg.whistle_policy().map_err(|e| anyhow::anyhow!("whistles.policy: {e}"))?;
    app.calendar().set_whistle_policy(whistles);
    let to = &cfg.deadlines.supervise_to;
    let target = SupervisionTarget::parse(to.trim())
        .with_context(|| format!("deadlines.supervise_to {to:?}: write superior or district"))?;
    app.calendar().set_supervision_target(target);
    let hours = WorkingHours::parse(&cfg.deadlines.working_hours)
        .map_err(|e| anyhow::anyhow!("deadlines.working_hours: {e}"))?;
    app.calendar().set_working_hours(hours);
    app.calendar().load_calendar().await.map_err(|e| anyhow::anyhow!("loading the calendar: {e}"))?;
    Ok(())
}

pub async fn run(app: &App, command: CalendarCommand) -> Result<()> {
    let cal = app.calendar().current();
    match command {
        CalendarCommand::Due(args) => {
            let q = DueQuery {
                from: args.from,
                working_days: args.working_days,
                working_hours: args.working_hours,
                hours: args.hours,
            };
            match app.calendar().due(&q) {
                Ok(due) if due.provisional => println!("{} provisional", due.due_at),
                Ok(due) => println!("{}", due.due_at),
                Err(e) => bail!("{}", refusal(&e)),
            }
        }
        CalendarCommand::Import { file, year } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
            let imported = app
                .calendar()
                .import_official_year(&text, year)
                .await
                .map_err(|e| anyhow::anyhow!("{file}: {}", refusal(&e)))?;
            println!(
                "calendar year {} imported; {} running clocks and check-in deadlines re-timed",
                imported.year, imported.retimed
            );
        }
        CalendarCommand::Retime { year } => {
            let n = app.calendar().retime_clocks(&[year]).await.map_err(|e| anyhow::anyhow!("{e} [{}]", e.code()))?;
            println!("{n} running clocks and check-in deadlines re-timed");
        }
        CalendarCommand::Export { year } => match cal.year(year) {
            Some((y, provisional)) => {
                if provisional {
                    println!("# provisional: computed from the statutory rules, no official schedule imported");
                }
                print!("{}", y.export())
            }
            None => bail!("year {year} is outside the supported years 2000–2100"),
        },
        CalendarCommand::Show => {
            println!("years:");
            for (from, to, provisional) in year_runs(&cal) {
                let kind = if provisional { "provisional (statutory rules)" } else { "official" };
                match from == to {
                    true => println!("  {from} {kind}"),
                    false => println!("  {from}–{to} {kind}"),
                }
            }
            println!("working hours: {}", cal.hours().to_text());
        }
    }
    Ok(())
}

/// An error for the terminal: invalid options named as flags, otherwise the message and code.
fn refusal(e: &chuishao_app::AppError) -> String {
    match e {
        chuishao_app::AppError::Invalid(fields) => {
            let lines: Vec<String> =
                fields.iter().map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.message)).collect();
            lines.join("; ")
        }
        e => format!("{e} [{}]", e.code()),
    }
}

/// The supported years as runs of official or provisional years: (first, last, provisional).
/// Official years are listed one by one.
fn year_runs(cal: &chuishao_calendar::Calendar) -> Vec<(i32, i32, bool)> {
    let mut runs: Vec<(i32, i32, bool)> = Vec::new();
    for (y, provisional) in cal.year_kinds() {
        match runs.last_mut() {
            Some(r) if provisional && r.2 && r.1 + 1 == y.year => r.1 = y.year,
            _ => runs.push((y.year, y.year, provisional)),
        }
    }
    runs
}

/// Stops a background worker.
pub struct StopTimer(tokio::sync::watch::Sender<bool>);

impl StopTimer {
    pub fn stop(self) {
        let _ = self.0.send(true);
    }
}

/// Runs a worker loop on its own task until `StopTimer::stop` is called (or it is dropped);
/// the round in progress finishes first.
fn spawn_worker<F, Fut>(app: &App, run: F) -> (tokio::task::JoinHandle<()>, StopTimer)
where
    F: FnOnce(App, std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let stop = Box::pin(async move {
        let _ = rx.changed().await;
    });
    (tokio::spawn(run(app.clone(), stop)), StopTimer(tx))
}

/// Starts the timer worker (deadline warnings, overdue events, supervision).
pub fn spawn_timer_worker(app: &App) -> (tokio::task::JoinHandle<()>, StopTimer) {
    spawn_worker(app, |app, stop| async move { app.calendar().run_timer_worker(stop).await })
}

/// Starts the notification delivery worker.
pub fn spawn_delivery_worker(app: &App) -> (tokio::task::JoinHandle<()>, StopTimer) {
    spawn_worker(app, |app, stop| async move { app.ops().run_delivery_worker(stop).await })
}

/// Starts the cache watcher (organisations, categories, calendar changed on any node).
pub fn spawn_cache_watcher(app: &App) -> (tokio::task::JoinHandle<()>, StopTimer) {
    spawn_worker(app, |app, stop| async move { app.ops().run_cache_watcher(stop).await })
}
