//! The `chuishao` binary: configuration, wiring and the command line.

mod bench;
mod bench_geo;
mod bench_residents;
mod bench_timer;
mod deadlines_cmd;
mod geo_cli;
mod users_admin_cmd;

use anyhow::{Context, Result, bail};
use chuishao_app::{App, SystemClock};
use chuishao_domain::access::Role;
use chuishao_store::Store;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "chuishao", version, about = "吹哨 Chuishao — urban grassroots governance: cases, whistles, grids")]
struct Cli {
    /// Database URL: sqlite://FILE (created if missing) or postgres://user@host/db.
    #[arg(long, global = true, env = "CHUISHAO_DATABASE_URL", default_value = "sqlite://chuishao.db")]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (migrates first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "CHUISHAO_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Seed the demo district before serving (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Seed the demo district (idempotent).
    Demo,
    /// Manage users and API tokens.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Import the organisation tree from JSON (a list of nodes, parents in any order).
    ImportOrgs { file: String },
    /// Replace the category catalogue from a TOML file (see data/categories.toml).
    ImportCategories { file: String },
    /// Audit-chain tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Measure case submission over HTTP against a bare insert (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// Import geometry (`chuishao import geo FILE`).
    Import {
        #[command(subcommand)]
        what: geo_cli::ImportCommand,
    },
    /// Export geometry (`chuishao export geo [FILE]`).
    Export {
        #[command(subcommand)]
        what: geo_cli::ExportCommand,
    },
    /// Measure grid lookups and geometry import at 100,000 grids (see docs/benchmarks.md).
    BenchGeo(bench_geo::BenchGeoArgs),
    /// Working-day calendar: when is something due, import or export a year.
    Calendar {
        #[command(subcommand)]
        command: deadlines_cmd::CalendarCommand,
    },
    /// Measure one timer tick over a million open cases (see docs/benchmarks.md).
    BenchTimer(bench_timer::BenchTimerArgs),
    /// Measure the tracking page, its JSON and live fan-out (see docs/benchmarks.md).
    BenchResidents(bench_residents::BenchResidentsArgs),
}

#[derive(Subcommand, Debug)]
enum UsersCommand {
    /// Create a user with roles, each given as ROLE@ORG_CODE (e.g. dispatcher@110199).
    Create {
        username: String,
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Issue an API token; the token is the last line of output. Shown once, stored hashed.
    CreateToken {
        username: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Set a password, read from standard input (first line).
    SetPassword { username: String },
    /// List users.
    List,
    #[command(flatten)]
    Admin(users_admin_cmd::AdminCommand),
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute the whole hash chain and report the first break, if any.
    Verify,
}

fn now_ms() -> i64 {
    chuishao_app::Clock::now_ms(&SystemClock)
}

async fn open_app(url: &str) -> Result<App> {
    let store = Store::open(url).await.with_context(|| format!("opening database {url}"))?;
    let applied = store.migrate(now_ms()).await.context("migrating the database")?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    let app = App::new(store, Arc::new(SystemClock));
    deadlines_cmd::configure(&app).await?;
    Ok(app)
}

async fn seed_demo(app: &App) -> Result<()> {
    let r = app.seed_demo().await.map_err(|e| anyhow::anyhow!("seeding the demo district: {e:?}"))?;
    println!(
        "demo district ready: {} organisations, {} users, {} categories, {} cases, {} whistles created",
        r.orgs_created, r.users_created, r.categories, r.cases_created, r.whistles_created
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

fn app_err(e: chuishao_app::AppError) -> anyhow::Error {
    match e {
        chuishao_app::AppError::Invalid(fields) => {
            let lines: Vec<String> = fields.iter().map(|f| format!("  {}: {}", f.field, f.message)).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CHUISHAO_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { listen, demo } => {
            let app = open_app(&cli.database_url).await?;
            if demo {
                seed_demo(&app).await?;
            }
            let listener =
                tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("listening on {listen}"))?;
            let addr = listener.local_addr()?;
            println!("Chuishao listening on http://{addr}  (API: http://{addr}/api/v1/openapi.json)");
            if demo {
                println!("get a token with: chuishao users create-token dispatcher");
            }
            let store = app.store.clone();
            let (timer, stop_timer) = deadlines_cmd::spawn_timer_worker(&app);
            let (delivery, stop_delivery) = deadlines_cmd::spawn_delivery_worker(&app);
            chuishao_http::serve(listener, app, async move {
                shutdown_signal().await;
                stop_timer.stop();
                stop_delivery.stop();
            })
            .await?;
            timer.await.ok();
            delivery.await.ok();
            store.close().await;
        }
        Command::Migrate => {
            let store = Store::open(&cli.database_url).await?;
            let n = store.migrate(now_ms()).await?;
            println!("{n} migrations applied; schema version {}", store.schema_version().await?);
        }
        Command::Demo => seed_demo(&open_app(&cli.database_url).await?).await?,
        Command::Users { command } => {
            let app = open_app(&cli.database_url).await?;
            match command {
                UsersCommand::Create { username, display_name, roles } => {
                    let mut parsed = Vec::new();
                    for r in &roles {
                        let Some((role, org)) = r.split_once('@') else { bail!("role {r:?}: write ROLE@ORG_CODE") };
                        let role = Role::parse(role).with_context(|| {
                            format!("unknown role {role:?}; one of {}", Role::ALL.map(|r| r.as_str()).join(", "))
                        })?;
                        parsed.push((role, org));
                    }
                    let display = if display_name.is_empty() { username.clone() } else { display_name };
                    app.create_user(&username, &display, &parsed).await.map_err(app_err)?;
                    println!("created user {username}");
                }
                UsersCommand::CreateToken { username, label } => {
                    let token = app.create_token(&username, &label).await.map_err(app_err)?;
                    println!("API token for {username} (shown once; keep it secret):");
                    println!("{token}");
                }
                UsersCommand::SetPassword { username } => {
                    let mut input = String::new();
                    std::io::stdin().read_to_string(&mut input)?;
                    let password = input.lines().next().unwrap_or("");
                    app.set_password(&username, password).await.map_err(app_err)?;
                    println!("password set for {username}");
                }
                UsersCommand::List => {
                    for u in app.store.list_users().await? {
                        let roles = app.store.role_bindings(chuishao_domain::ids::UserId(u.id)).await?;
                        let roles: Vec<String> =
                            roles.iter().map(|b| format!("{}@{}", b.role.as_str(), b.org_id)).collect();
                        println!("{}\t{}\t{}", u.username, u.display_name, roles.join(","));
                    }
                }
                UsersCommand::Admin(command) => users_admin_cmd::run(&app, command).await?,
            }
        }
        Command::ImportOrgs { file } => {
            let app = open_app(&cli.database_url).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
            let nodes: Vec<chuishao_domain::org::NewOrgNode> =
                serde_json::from_str(&text).with_context(|| format!("parsing {file}"))?;
            let n = app.import_orgs(&nodes).await.map_err(app_err)?;
            println!("{n} organisations created ({} already present)", nodes.len() - n);
        }
        Command::ImportCategories { file } => {
            let app = open_app(&cli.database_url).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
            let (active, retired) = app.import_catalogue(&text).await.map_err(app_err)?;
            println!("{active} categories active, {retired} retired");
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let store = Store::open(&cli.database_url).await?;
            let r = store.verify_chain().await?;
            match r.first_break {
                None => println!("audit chain intact: {} events verified", r.events_checked),
                Some((seq, why)) => {
                    eprintln!(
                        "audit chain BROKEN at event {seq}: {why} ({} events verified before it)",
                        r.events_checked
                    );
                    std::process::exit(1);
                }
            }
        }
        Command::Bench(args) => bench::run(args).await?,
        Command::Import { what } => geo_cli::import(&open_app(&cli.database_url).await?, what).await?,
        Command::Export { what } => geo_cli::export(&open_app(&cli.database_url).await?, what).await?,
        Command::BenchGeo(args) => bench_geo::run(args).await?,
        Command::BenchTimer(args) => bench_timer::run(args).await?,
        Command::Calendar { command } => deadlines_cmd::run(&open_app(&cli.database_url).await?, command).await?,
        Command::BenchResidents(args) => bench_residents::run(args).await?,
    }
    Ok(())
}
