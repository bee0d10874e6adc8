//! The `chuishao` binary: configuration, wiring and the command line.

mod bench;
mod bench_geo;
mod bench_residents;
mod bench_scale;
mod bench_timer;
mod config;
mod deadlines_cmd;
mod drill;
mod geo_cli;
mod ops_cmd;
mod privacy_cmd;
mod serve;
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
    /// Configuration file (TOML, see chuishao.example.toml); `CHUISHAO_*` variables override it.
    #[arg(long, global = true, env = "CHUISHAO_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Database URL: sqlite://FILE (created if missing) or postgres://user@host/db
    /// (overrides `database.url` and `CHUISHAO_DATABASE_URL`; default sqlite://chuishao.db).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server (migrates first).
    Serve {
        /// Address to listen on (overrides `server.listen` / `CHUISHAO_LISTEN`; default
        /// 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Prometheus listener, path /metrics (overrides `server.metrics_listen` /
        /// `CHUISHAO_METRICS_LISTEN`).
        #[arg(long)]
        metrics_listen: Option<String>,
        /// Log one JSON object per line (`log.json` / `CHUISHAO_LOG_JSON`).
        #[arg(long)]
        log_json: bool,
        /// Seed the demo district before serving (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Copy every table into a new, empty database (e.g. SQLite → PostgreSQL); sessions are
    /// dropped; ends with `audit verify` on the target.
    MigrateData(ops_cmd::MigrateDataArgs),
    /// Back up the database and photos to FILE while serving (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump from an exported snapshot). FILE is a tar archive.
    Backup { file: std::path::PathBuf },
    /// Restore FILE (from `backup`) into the empty database given by --database-url, photos
    /// into server.photo_dir; ends with `audit verify`.
    Restore { file: std::path::PathBuf },
    /// A million cases in a realistic mix, and the pages timed on them (docs/benchmarks.md).
    BenchScale(bench_scale::BenchScaleArgs),
    /// Drive two nodes behind a load balancer: functional checks, or load with a fault
    /// (deploy/cluster.sh runs it; docs/operations.md has the figures).
    Drill(drill::DrillArgs),
    /// Configuration files: check one, or show the settings in effect (secrets hidden).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Reporters' contact details: rotate the vault key, purge closed cases' details.
    Privacy {
        #[command(subcommand)]
        command: privacy_cmd::PrivacyCommand,
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
enum ConfigCommand {
    /// Validate a file (with the environment laid over it, as `serve` would); names the bad key.
    Check { file: std::path::PathBuf },
    /// Print the settings in effect, secrets redacted.
    Show,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute the whole hash chain and report the first break, if any.
    Verify,
}

fn now_ms() -> i64 {
    chuishao_app::Clock::now_ms(&SystemClock)
}

async fn open_store(cfg: &config::Config) -> Result<Store> {
    let url = &cfg.database.url;
    Store::open(url).await.with_context(|| format!("opening database {}", config::redact_url(url)))
}

async fn open_app(cfg: &config::Config) -> Result<App> {
    let store = open_store(cfg).await?;
    let applied = store.migrate(now_ms()).await.context("migrating the database")?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    let mut app = App::new(store, Arc::new(SystemClock))
        .with_geo_limits(cfg.geo_limits())
        .with_geo_fallback_m(cfg.geo.fallback_m)
        .with_patrol_period_ms((cfg.patrol.period_hours * 3_600_000.0) as i64)
        .with_public_policy(cfg.public_policy().map_err(|e| anyhow::anyhow!("privacy.redact_patterns: {e}"))?);
    if !cfg.patrol.checklist.is_empty() {
        let text = std::fs::read_to_string(&cfg.patrol.checklist)
            .with_context(|| format!("reading patrol.checklist {}", cfg.patrol.checklist))?;
        app = app.with_patrol_checklist(&text).map_err(|e| anyhow::anyhow!("patrol.checklist: {e}"))?;
    }
    app = app.with_contact_retention_days(cfg.privacy.contact_retention_days);
    match privacy_cmd::load_vault(cfg)? {
        Some(vault) => {
            app = app.with_vault(vault);
            // Rows from before the vault (or a plain deployment) are sealed on first start.
            let sealed = app.ops().seal_reporters(false).await.context("sealing reporter rows")?;
            if sealed > 0 {
                tracing::info!(sealed, "plain reporter rows sealed with the vault key");
            }
        }
        None => tracing::warn!("reporters' contact details are stored unencrypted: set privacy.vault_key_file"),
    }
    app.set_delivery_timeout(std::time::Duration::from_secs(cfg.notifications.delivery_timeout_secs));
    deadlines_cmd::configure(&app, cfg).await?;
    Ok(app)
}

/// Logging to stderr: text, or one JSON object per line.
fn init_logging(cfg: &config::Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.log.filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if cfg.log.json {
        builder.json().with_current_span(false).init();
    } else {
        builder.init();
    }
}

async fn seed_demo(app: &App) -> Result<()> {
    let r = app.ops().seed_demo().await.map_err(|e| anyhow::anyhow!("seeding the demo district: {e:?}"))?;
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

/// `chuishao config check FILE`: exit 0 with a summary, or 1 naming the bad key.
fn config_check(file: &std::path::Path) -> Result<()> {
    match config::Config::load_process(Some(file)) {
        Ok(loaded) => {
            let env = if loaded.from_env.is_empty() {
                String::new()
            } else {
                format!(" (with {} from the environment)", loaded.from_env.join(", "))
            };
            println!("{}: ok{env}", file.display());
            Ok(())
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
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
    let cli = Cli::parse();
    if let Command::Config { command: ConfigCommand::Check { file } } = &cli.command {
        return config_check(file);
    }
    let mut cfg = config::Config::load_process(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?.config;
    if let Some(url) = &cli.database_url {
        cfg.database.url = url.clone();
    }
    if let Command::Serve { listen, metrics_listen, log_json, .. } = &cli.command {
        if let Some(l) = listen {
            cfg.server.listen = l.clone();
        }
        if let Some(m) = metrics_listen {
            cfg.server.metrics_listen = m.clone();
        }
        cfg.log.json |= *log_json;
        cfg.check().map_err(|(key, m)| anyhow::anyhow!("command line: {key}: {m}"))?;
    }
    init_logging(&cfg);
    let cfg = cfg;
    match cli.command {
        Command::Serve { demo, .. } => serve::run(&cfg, demo).await?,
        Command::Config { command: ConfigCommand::Show } => println!("{cfg:#?}"),
        Command::MigrateData(args) => ops_cmd::migrate_data(args).await?,
        Command::Drill(args) => drill::run(args).await?,
        Command::BenchScale(args) => bench_scale::run(&cfg, args).await?,
        Command::Backup { file } => ops_cmd::backup(&cfg, file).await?,
        Command::Restore { file } => ops_cmd::restore(&cfg, file).await?,
        Command::Config { command: ConfigCommand::Check { .. } } => {}
        Command::Migrate => {
            let store = open_store(&cfg).await?;
            let n = store.migrate(now_ms()).await?;
            println!("{n} migrations applied; schema version {}", store.schema_version().await?);
        }
        Command::Demo => seed_demo(&open_app(&cfg).await?).await?,
        Command::Privacy { command } => privacy_cmd::run(&cfg, command).await?,
        Command::Users { command } => {
            let app = open_app(&cfg).await?;
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
                    app.admin().create_user(&username, &display, &parsed).await.map_err(app_err)?;
                    println!("created user {username}");
                }
                UsersCommand::CreateToken { username, label } => {
                    let token = app.admin().create_token(&username, &label).await.map_err(app_err)?;
                    println!("API token for {username} (shown once; keep it secret):");
                    println!("{token}");
                }
                UsersCommand::SetPassword { username } => {
                    let mut input = String::new();
                    std::io::stdin().read_to_string(&mut input)?;
                    let password = input.lines().next().unwrap_or("");
                    app.admin().set_password(&username, password).await.map_err(app_err)?;
                    println!("password set for {username}");
                }
                UsersCommand::List => {
                    for (u, roles) in app.admin().users_with_roles().await.map_err(app_err)? {
                        let roles: Vec<String> =
                            roles.iter().map(|b| format!("{}@{}", b.role.as_str(), b.org_id)).collect();
                        println!("{}\t{}\t{}", u.username, u.display_name, roles.join(","));
                    }
                }
                UsersCommand::Admin(command) => users_admin_cmd::run(&app, command).await?,
            }
        }
        Command::ImportOrgs { file } => {
            let app = open_app(&cfg).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
            let nodes: Vec<chuishao_domain::org::NewOrgNode> =
                serde_json::from_str(&text).with_context(|| format!("parsing {file}"))?;
            let n = app.admin().import_orgs(&nodes).await.map_err(app_err)?;
            println!("{n} organisations created ({} already present)", nodes.len() - n);
        }
        Command::ImportCategories { file } => {
            let app = open_app(&cfg).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?;
            let (active, retired) = app.admin().import_catalogue(&text).await.map_err(app_err)?;
            println!("{active} categories active, {retired} retired");
        }
        Command::Audit { command: AuditCommand::Verify } => {
            // Read-only: the store as it is (no migrations), the app only to fold streams.
            let app = App::new(open_store(&cfg).await?, Arc::new(SystemClock));
            let r = app.ops().verify_chain().await.map_err(app_err)?;
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
            // Every projection rebuilt from the log and compared with its stored row.
            let p = app.ops().verify_projections().await.map_err(app_err)?;
            let counts: Vec<String> = p.checked.iter().map(|(k, n)| format!("{n} {}", k.as_str())).collect();
            if p.mismatches.is_empty() {
                println!("projections match the log: {} rebuilt", counts.join(", "));
            } else {
                for m in &p.mismatches {
                    eprintln!("projection DISAGREES with the log: {m}");
                }
                eprintln!("{} of {} rows disagree with the log", p.mismatches.len(), counts.join(", "));
                std::process::exit(1);
            }
        }
        Command::Bench(args) => bench::run(args).await?,
        Command::Import { what } => geo_cli::import(&open_app(&cfg).await?, what).await?,
        Command::Export { what } => geo_cli::export(&open_app(&cfg).await?, what).await?,
        Command::BenchGeo(args) => bench_geo::run(args).await?,
        Command::BenchTimer(args) => bench_timer::run(args).await?,
        Command::Calendar { command } => deadlines_cmd::run(&open_app(&cfg).await?, command).await?,
        Command::BenchResidents(args) => bench_residents::run(args).await?,
    }
    Ok(())
}
