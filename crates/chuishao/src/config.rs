//! One configuration for a deployment: defaults that run with no file, then a TOML file
//! (`--config FILE`, `CHUISHAO_CONFIG`), then `CHUISHAO_*` environment variables, then the
//! command line. Every setting lives in [`Config`]; `chuishao.example.toml` documents them all
//! and `chuishao config check FILE` validates a file, naming the bad key.
//!
//! Environment variables are laid over the file's table before it is read, so one reader
//! (serde with unknown keys refused, through `serde_path_to_error` for the key's path) checks
//! both, and an error names the variable when the value came from one.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting of a deployment. Sections mirror the file's tables.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: Server,
    pub database: Database,
    pub log: Log,
    pub limits: Limits,
    pub photos: Photos,
    pub geo: Geo,
    pub deadlines: Deadlines,
    pub whistles: Whistles,
    pub patrol: Patrol,
    pub notifications: Notifications,
    pub privacy: Privacy,
}

/// Listen addresses, the photo directory and who may tell us the client's address.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// The HTTP address (`host:port`).
    pub listen: String,
    /// The Prometheus address (`host:port`, path `/metrics`); empty: no metrics listener.
    pub metrics_listen: String,
    /// Residents' and result photos (shared between nodes).
    pub photo_dir: PathBuf,
    /// Load balancers and reverse proxies whose `X-Forwarded-For` is believed: addresses or
    /// CIDR blocks (`10.0.0.0/8`). Empty: the peer's address is the client's.
    pub trusted_proxies: Vec<String>,
    /// Mark every cookie `Secure` (browsers then send them over HTTPS and to localhost only).
    /// Set false only for a console served over plain HTTP on an intranet address;
    /// `serve --demo` leaves it off.
    pub secure_cookies: bool,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: "127.0.0.1:8080".into(),
            metrics_listen: String::new(),
            photo_dir: "chuishao-photos".into(),
            trusted_proxies: Vec::new(),
            secure_cookies: true,
        }
    }
}

/// The database.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Database {
    /// `sqlite://FILE` or `postgres://user:password@host/db`.
    pub url: String,
}

impl Default for Database {
    fn default() -> Self {
        Database { url: "sqlite://chuishao.db".into() }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("url", &redact_url(&self.url)).finish()
    }
}

/// A database URL with its password replaced, for logs and `Debug`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    // `?password=` in the query is redacted too.
    let path = path.map(|p| match p.split_once('?') {
        Some((db, q)) => {
            let q: Vec<String> = q
                .split('&')
                .map(|kv| if kv.starts_with("password=") { "password=***".to_string() } else { kv.to_string() })
                .collect();
            format!("{db}?{}", q.join("&"))
        }
        None => p.to_string(),
    });
    match path {
        Some(p) => format!("{scheme}://{authority}/{p}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// Logging.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Log {
    /// A `tracing` filter, e.g. `info,sqlx=warn`.
    pub filter: String,
    /// One JSON object per line instead of text.
    pub json: bool,
}

impl Default for Log {
    fn default() -> Self {
        Log { filter: "info,sqlx=warn".into(), json: false }
    }
}

/// Per-client limits on public writes (per node, keyed on the client address).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub report_burst: f64,
    pub report_per_minute: f64,
    pub callback_burst: f64,
    pub callback_per_minute: f64,
    /// Failed sign-ins from one address (any names): a burst, then per minute.
    pub login_burst: f64,
    pub login_per_minute: f64,
}

impl Default for Limits {
    fn default() -> Self {
        let d = chuishao_http::Limits::default();
        Limits {
            report_burst: d.report.burst,
            report_per_minute: d.report.per_minute,
            callback_burst: d.callback.burst,
            callback_per_minute: d.callback.per_minute,
            login_burst: d.login.burst,
            login_per_minute: d.login.per_minute,
        }
    }
}

/// Decoding uploaded photos (see `chuishao_app::residents::photos`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Photos {
    /// Pixels in one photo (width × height, read from its header before decoding).
    pub max_pixels: u64,
    /// Mebibytes the decoder may allocate for one photo.
    pub max_alloc_mb: u64,
    /// Photos decoded at once on this node.
    pub decode_slots: u64,
    /// Seconds a photo waits for a decoding slot before the request gets 503.
    pub queue_wait_secs: u64,
}

impl Default for Photos {
    fn default() -> Self {
        let d = chuishao_http::PhotoLimits::default();
        Photos {
            max_pixels: d.max_pixels,
            max_alloc_mb: d.max_alloc_bytes / (1024 * 1024),
            decode_slots: d.decode_slots as u64,
            queue_wait_secs: d.queue_wait.as_secs(),
        }
    }
}

/// Geometry imports and locating.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Geo {
    /// Vertices in one imported feature (all rings and parts).
    pub max_vertices_per_feature: u64,
    /// Features in one import.
    pub max_features: u64,
    /// Bytes of one import file.
    pub max_file_bytes: u64,
    /// 属地兜底: a point this close to a community (and in no grid) belongs to it; 0 = off.
    pub fallback_m: f64,
}

impl Default for Geo {
    fn default() -> Self {
        let d = chuishao_geo::Limits::default();
        Geo {
            max_vertices_per_feature: d.max_vertices_per_feature as u64,
            max_features: d.max_features as u64,
            max_file_bytes: d.max_bytes,
            fallback_m: chuishao_app::grids::geo::DEFAULT_FALLBACK_M,
        }
    }
}

/// Deadlines: working hours, escalation and the allowances per tier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Deadlines {
    pub working_hours: String,
    /// `superior` or `district`.
    pub supervise_to: String,
    /// Keys of the deadline policy (`normal = "7wd"`, `warning_percent = 80`, …).
    pub policy: BTreeMap<String, toml::Value>,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            working_hours: "09:00-12:00,13:30-17:30".into(),
            supervise_to: "superior".into(),
            policy: BTreeMap::new(),
        }
    }
}

/// Whistles' default check-in times per kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Whistles {
    pub policy: BTreeMap<String, toml::Value>,
}

/// Patrols.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Patrol {
    /// A street with no finished patrol within this many hours is flagged.
    pub period_hours: f64,
    /// A checklist TOML file (format: data/patrol_checklist.toml); empty: the built-in one.
    pub checklist: String,
}

impl Default for Patrol {
    fn default() -> Self {
        Patrol { period_hours: 24.0, checklist: String::new() }
    }
}

/// Outgoing notifications.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Notifications {
    /// Seconds a delivery may take before it counts as failed.
    pub delivery_timeout_secs: u64,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications { delivery_timeout_secs: 10 }
    }
}

/// What the public sees of cases, and reporters' data at rest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Privacy {
    /// Sources whose cases Open311 lists publicly (hotline and staff-entered cases are not by
    /// default; a dispatcher may list or unlist a case).
    pub public_sources: Vec<String>,
    /// Extra regular expressions whose matches are hidden in public text, besides the
    /// built-in phone, ID-card, e-mail, plate and bank-card patterns.
    pub redact_patterns: Vec<String>,
    /// The reporter vault's key file (one `ID=64 hex digits` per line, the last seals). Empty:
    /// on SQLite `DATABASE_FILE.vault.keys`, made on first start; on PostgreSQL none
    /// (contact details stored plain, with a warning). Never inside the database's backups.
    pub vault_key_file: String,
    /// Days after a case ends (closed, rejected, merged) its reporter's contact details are
    /// removed by the timer worker (and `chuishao privacy purge`); 0: kept for ever.
    pub contact_retention_days: u32,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            public_sources: chuishao_app::residents::public_text::DEFAULT_LISTED_SOURCES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            redact_patterns: Vec::new(),
            vault_key_file: String::new(),
            contact_retention_days: chuishao_app::vault::DEFAULT_RETENTION_DAYS,
        }
    }
}

/// Where each environment variable goes in the file's table. Values are read with the type the
/// setting has (numbers, `true`/`false`, comma-separated lists); `Table` variables name a TOML
/// file whose table becomes the setting.
pub const ENV: &[(&str, &str)] = &[
    ("CHUISHAO_LISTEN", "server.listen"),
    ("CHUISHAO_METRICS_LISTEN", "server.metrics_listen"),
    ("CHUISHAO_PHOTO_DIR", "server.photo_dir"),
    ("CHUISHAO_TRUSTED_PROXIES", "server.trusted_proxies"),
    ("CHUISHAO_SECURE_COOKIES", "server.secure_cookies"),
    ("CHUISHAO_DATABASE_URL", "database.url"),
    ("CHUISHAO_LOG", "log.filter"),
    ("CHUISHAO_LOG_JSON", "log.json"),
    ("CHUISHAO_REPORT_BURST", "limits.report_burst"),
    ("CHUISHAO_REPORT_PER_MINUTE", "limits.report_per_minute"),
    ("CHUISHAO_CALLBACK_BURST", "limits.callback_burst"),
    ("CHUISHAO_CALLBACK_PER_MINUTE", "limits.callback_per_minute"),
    ("CHUISHAO_LOGIN_BURST", "limits.login_burst"),
    ("CHUISHAO_LOGIN_PER_MINUTE", "limits.login_per_minute"),
    ("CHUISHAO_PHOTO_MAX_PIXELS", "photos.max_pixels"),
    ("CHUISHAO_PHOTO_MAX_ALLOC_MB", "photos.max_alloc_mb"),
    ("CHUISHAO_PHOTO_DECODE_SLOTS", "photos.decode_slots"),
    ("CHUISHAO_PHOTO_QUEUE_WAIT_SECS", "photos.queue_wait_secs"),
    ("CHUISHAO_GEO_MAX_VERTICES", "geo.max_vertices_per_feature"),
    ("CHUISHAO_GEO_MAX_FEATURES", "geo.max_features"),
    ("CHUISHAO_GEO_MAX_FILE_BYTES", "geo.max_file_bytes"),
    ("CHUISHAO_GEO_FALLBACK_M", "geo.fallback_m"),
    ("CHUISHAO_WORKING_HOURS", "deadlines.working_hours"),
    ("CHUISHAO_SUPERVISE_TO", "deadlines.supervise_to"),
    ("CHUISHAO_DEADLINE_POLICY", "deadlines.policy"),
    ("CHUISHAO_WHISTLE_POLICY", "whistles.policy"),
    ("CHUISHAO_PATROL_PERIOD_HOURS", "patrol.period_hours"),
    ("CHUISHAO_PATROL_CHECKLIST", "patrol.checklist"),
    ("CHUISHAO_DELIVERY_TIMEOUT_SECS", "notifications.delivery_timeout_secs"),
    ("CHUISHAO_PUBLIC_SOURCES", "privacy.public_sources"),
    ("CHUISHAO_VAULT_KEY_FILE", "privacy.vault_key_file"),
    ("CHUISHAO_CONTACT_RETENTION_DAYS", "privacy.contact_retention_days"),
];

/// A setting that is wrong, named by its key (`limits.report_burst`) or by the environment
/// variable it came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{source_name}: {key}: {message}")]
pub struct ConfigError {
    /// The file, or `environment`, or `command line`.
    pub source_name: String,
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(source_name: &str, key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { source_name: source_name.to_string(), key: key.into(), message: message.into() }
    }
}

/// Where each setting came from, for `config check`.
#[derive(Debug, Default, Clone)]
pub struct Loaded {
    pub config: Config,
    /// Environment variables that were applied.
    pub from_env: Vec<&'static str>,
}

fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let mut v = table.get(parts.next()?)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

fn set(table: &mut toml::Table, path: &str, value: toml::Value) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut t = table;
    for p in &parts[..parts.len() - 1] {
        let entry = t.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let Some(next) = entry.as_table_mut() else { return };
        t = next;
    }
    if let Some(last) = parts.last() {
        t.insert(last.to_string(), value);
    }
}

/// An environment variable's text as the type the setting has by default.
fn env_value(var: &str, path: &str, text: &str, defaults: &toml::Table) -> Result<toml::Value, ConfigError> {
    let bad = |m: String| ConfigError::new("environment", var, m);
    Ok(match lookup(defaults, path) {
        Some(toml::Value::Integer(_)) => {
            toml::Value::Integer(text.trim().parse().map_err(|_| bad(format!("{text:?}: write a whole number")))?)
        }
        Some(toml::Value::Float(_)) => {
            toml::Value::Float(text.trim().parse().map_err(|_| bad(format!("{text:?}: write a number")))?)
        }
        Some(toml::Value::Boolean(_)) => match text.trim() {
            "true" | "1" | "yes" => toml::Value::Boolean(true),
            "false" | "0" | "no" | "" => toml::Value::Boolean(false),
            _ => return Err(bad(format!("{text:?}: write true or false"))),
        },
        Some(toml::Value::Array(_)) => toml::Value::Array(
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| toml::Value::String(s.into())).collect(),
        ),
        Some(toml::Value::Table(_)) => {
            // A TOML file holding the table.
            let file = text.trim();
            let body = std::fs::read_to_string(file).map_err(|e| bad(format!("reading {file}: {e}")))?;
            let t: toml::Table = toml::from_str(&body).map_err(|e| bad(format!("{file}: {}", e.message())))?;
            toml::Value::Table(t)
        }
        _ => toml::Value::String(text.to_string()),
    })
}

impl Config {
    /// Reads a file's text (or nothing) with the environment laid over it, and checks it.
    pub fn load(file: Option<(&str, &str)>, env: &dyn Fn(&str) -> Option<String>) -> Result<Loaded, ConfigError> {
        let source_name = file.map_or("defaults", |(name, _)| name);
        let mut table: toml::Table = match file {
            Some((name, text)) => toml::from_str(text).map_err(|e| {
                let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
                let at = line.map(|l| format!("line {l}")).unwrap_or_else(|| "syntax".into());
                ConfigError::new(name, at, e.message().trim().to_string())
            })?,
            None => toml::Table::new(),
        };
        let defaults =
            toml::Table::try_from(Config::default()).map_err(|e| ConfigError::new("defaults", "", e.to_string()))?;
        let mut from_env = Vec::new();
        for (var, path) in ENV {
            if let Some(text) = env(var) {
                // An empty variable leaves the setting alone, except where empty means something.
                if text.trim().is_empty() && !matches!(lookup(&defaults, path), Some(toml::Value::String(_))) {
                    continue;
                }
                set(&mut table, path, env_value(var, path, &text, &defaults)?);
                from_env.push(*var);
            }
        }
        let config: Config = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let key = e.path().to_string();
            let var = ENV.iter().find(|(v, p)| *p == key && from_env.contains(v)).map(|(v, _)| *v);
            let message = e.into_inner().message().trim().to_string();
            match var {
                Some(v) => ConfigError::new("environment", v, message),
                None => ConfigError::new(source_name, key, message),
            }
        })?;
        config.check().map_err(|(key, message)| match ENV.iter().find(|(v, p)| *p == key && from_env.contains(v)) {
            Some((v, _)) => ConfigError::new("environment", *v, message),
            None => ConfigError::new(source_name, key, message),
        })?;
        Ok(Loaded { config, from_env })
    }

    /// Reads the file at `path` (if any) and the process environment.
    pub fn load_process(path: Option<&Path>) -> Result<Loaded, ConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        match path {
            Some(p) => {
                let name = p.display().to_string();
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError::new(&name, "file", format!("cannot read: {e}")))?;
                Config::load(Some((&name, &text)), &env)
            }
            None => Config::load(None, &env),
        }
    }

    /// Checks values serde cannot: addresses, URLs, policies. The key comes first.
    pub fn check(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_string(), m));
        check_addr(&self.server.listen).or_else(|m| err("server.listen", m))?;
        if !self.server.metrics_listen.is_empty() {
            check_addr(&self.server.metrics_listen).or_else(|m| err("server.metrics_listen", m))?;
            if self.server.metrics_listen == self.server.listen {
                return err("server.metrics_listen", "must differ from server.listen".into());
            }
        }
        if let Err(e) = chuishao_http::TrustedProxies::parse(&self.server.trusted_proxies) {
            return err("server.trusted_proxies", e);
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return err("database.url", format!("{:?}: write sqlite://FILE or postgres://…", redact_url(url)));
        }
        if !self.log.filter.is_empty() && tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return err("log.filter", format!("{:?} is not a log filter (e.g. info,sqlx=warn)", self.log.filter));
        }
        let rates = [
            ("limits.report_burst", self.limits.report_burst),
            ("limits.report_per_minute", self.limits.report_per_minute),
            ("limits.callback_burst", self.limits.callback_burst),
            ("limits.callback_per_minute", self.limits.callback_per_minute),
            ("limits.login_burst", self.limits.login_burst),
            ("limits.login_per_minute", self.limits.login_per_minute),
        ];
        for (k, v) in rates {
            if !(v.is_finite() && v >= 1.0) {
                return err(k, format!("{v}: must be at least 1"));
            }
        }
        for (k, v) in [
            ("photos.max_pixels", self.photos.max_pixels),
            ("photos.max_alloc_mb", self.photos.max_alloc_mb),
            ("photos.decode_slots", self.photos.decode_slots),
            ("photos.queue_wait_secs", self.photos.queue_wait_secs),
            ("geo.max_vertices_per_feature", self.geo.max_vertices_per_feature),
            ("geo.max_features", self.geo.max_features),
            ("geo.max_file_bytes", self.geo.max_file_bytes),
        ] {
            if v == 0 {
                return err(k, "must be positive".into());
            }
        }
        if !(self.geo.fallback_m.is_finite() && self.geo.fallback_m >= 0.0) {
            return err("geo.fallback_m", format!("{}: must be 0 or more metres", self.geo.fallback_m));
        }
        chuishao_calendar::WorkingHours::parse(&self.deadlines.working_hours)
            .map_err(|e| ("deadlines.working_hours".to_string(), e.to_string()))?;
        if chuishao_app::calendar::SupervisionTarget::parse(&self.deadlines.supervise_to).is_none() {
            return err(
                "deadlines.supervise_to",
                format!("{:?}: write superior or district", self.deadlines.supervise_to),
            );
        }
        self.deadline_policy().map_err(|e| ("deadlines.policy".to_string(), e))?;
        self.whistle_policy().map_err(|e| ("whistles.policy".to_string(), e))?;
        if !(self.patrol.period_hours.is_finite() && self.patrol.period_hours > 0.0) {
            return err("patrol.period_hours", "must be positive".into());
        }
        if !self.patrol.checklist.is_empty() {
            let text = std::fs::read_to_string(&self.patrol.checklist)
                .map_err(|e| ("patrol.checklist".to_string(), format!("reading {}: {e}", self.patrol.checklist)))?;
            chuishao_domain::patrol::Checklist::parse_toml(&text)
                .map_err(|e| ("patrol.checklist".to_string(), e.to_string()))?;
        }
        if self.notifications.delivery_timeout_secs == 0 {
            return err("notifications.delivery_timeout_secs", "must be positive".into());
        }
        for s in &self.privacy.public_sources {
            if chuishao_domain::cases::Source::parse(s).is_none() {
                return err("privacy.public_sources", format!("{s:?}: one of web, open311, hotline, patrol, api"));
            }
        }
        self.public_policy().map_err(|e| ("privacy.redact_patterns".to_string(), e))?;
        Ok(())
    }

    /// The deadline policy the `[deadlines.policy]` table describes.
    pub fn deadline_policy(&self) -> Result<chuishao_domain::deadlines::DeadlinePolicy, String> {
        chuishao_domain::deadlines::DeadlinePolicy::parse(&table_text(&self.deadlines.policy))
    }

    /// The whistle policy the `[whistles.policy]` table describes.
    pub fn whistle_policy(&self) -> Result<chuishao_domain::whistle::WhistlePolicy, String> {
        chuishao_domain::whistle::WhistlePolicy::parse(&table_text(&self.whistles.policy))
    }

    /// The public text policy `[privacy]` describes.
    pub fn public_policy(&self) -> Result<chuishao_app::residents::public_text::PublicPolicy, String> {
        Ok(chuishao_app::residents::public_text::PublicPolicy {
            redactor: chuishao_app::residents::public_text::Redactor::new(&self.privacy.redact_patterns)?,
            listed_sources: self.privacy.public_sources.clone(),
        })
    }

    /// The rate limits for the HTTP layer.
    pub fn http_limits(&self) -> chuishao_http::Limits {
        let l = &self.limits;
        chuishao_http::Limits {
            report: chuishao_http::Rate { burst: l.report_burst, per_minute: l.report_per_minute },
            callback: chuishao_http::Rate { burst: l.callback_burst, per_minute: l.callback_per_minute },
            login: chuishao_http::Rate { burst: l.login_burst, per_minute: l.login_per_minute },
        }
    }

    /// The limits on decoding uploaded photos.
    pub fn photo_limits(&self) -> chuishao_http::PhotoLimits {
        let p = &self.photos;
        chuishao_http::PhotoLimits {
            max_pixels: p.max_pixels,
            max_alloc_bytes: p.max_alloc_mb.saturating_mul(1024 * 1024),
            decode_slots: usize::try_from(p.decode_slots).unwrap_or(usize::MAX).min(1024),
            queue_wait: std::time::Duration::from_secs(p.queue_wait_secs),
        }
    }

    /// The geometry import limits.
    pub fn geo_limits(&self) -> chuishao_geo::Limits {
        chuishao_geo::Limits {
            max_vertices_per_feature: usize::try_from(self.geo.max_vertices_per_feature).unwrap_or(usize::MAX),
            max_features: usize::try_from(self.geo.max_features).unwrap_or(usize::MAX),
            max_bytes: self.geo.max_file_bytes,
            ..chuishao_geo::Limits::default()
        }
    }
}

/// A flat table of scalars as TOML text (the policies' parsers read text).
fn table_text(t: &BTreeMap<String, toml::Value>) -> String {
    let mut out = String::new();
    for (k, v) in t {
        let value = match v {
            toml::Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            // Nested values are no policy's: the parser names the key.
            _ => "{}".into(),
        };
        out.push_str(&format!("{} = {value}\n", serde_json::to_string(k).unwrap_or_default()));
    }
    out
}

fn check_addr(s: &str) -> Result<(), String> {
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!("{s:?}: write host:port (e.g. 127.0.0.1:8080)")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::load(Some(("test.toml", text)), &no_env).map(|l| l.config)
    }

    #[test]
    fn the_shipped_example_is_accepted_and_matches_the_defaults_where_it_says_so() {
        let text = include_str!("../../../chuishao.example.toml");
        let c = load(text).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.geo.max_vertices_per_feature, Geo::default().max_vertices_per_feature);
        // Every key the example sets is a real setting (deny_unknown_fields proves it) and
        // every section of the configuration appears in it.
        let table: toml::Table = toml::from_str(text).unwrap();
        for section in toml::Table::try_from(Config::default()).unwrap().keys() {
            assert!(table.contains_key(section), "the example misses [{section}]");
        }
    }

    #[test]
    fn an_unknown_key_or_a_bad_value_is_named() {
        let e = load("[server]\nlisten = \"127.0.0.1:8080\"\nlistn = \"x\"\n").unwrap_err();
        assert_eq!(e.key, "server.listn");
        assert!(e.message.contains("unknown field `listn`"), "{e}");
        let e = load("[limits]\nreport_burst = \"many\"\n").unwrap_err();
        assert_eq!(e.key, "limits.report_burst", "{e}");
        let e = load("[limits]\nreport_burst = 0\n").unwrap_err();
        assert_eq!(e.key, "limits.report_burst", "{e}");
        let e = load("[deadlines.policy]\nnormal = \"7xd\"\n").unwrap_err();
        assert_eq!(e.key, "deadlines.policy", "{e}");
        let e = load("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert_eq!(e.key, "server.trusted_proxies", "{e}");
        let e = load("[server]\nlisten = \"nowhere\"\n").unwrap_err();
        assert_eq!(e.key, "server.listen", "{e}");
        let e = load("[database]\nurl = \"mysql://x\"\n").unwrap_err();
        assert_eq!(e.key, "database.url", "{e}");
        let e = load("[geo\n").unwrap_err();
        assert_eq!(e.key, "line 1", "{e}");
        let e = load("wat = 1\n").unwrap_err();
        assert_eq!(e.key, "wat", "{e}");
    }

    #[test]
    fn the_environment_overrides_the_file_and_is_named_when_wrong() {
        let env = |k: &str| match k {
            "CHUISHAO_LISTEN" => Some("0.0.0.0:9000".to_string()),
            "CHUISHAO_TRUSTED_PROXIES" => Some("127.0.0.1, 10.0.0.0/8".to_string()),
            "CHUISHAO_LOG_JSON" => Some("true".to_string()),
            "CHUISHAO_GEO_MAX_VERTICES" => Some("200000".to_string()),
            _ => None,
        };
        let l = Config::load(Some(("f.toml", "[server]\nlisten = \"127.0.0.1:1\"\n")), &env).unwrap();
        assert_eq!(l.config.server.listen, "0.0.0.0:9000");
        assert_eq!(l.config.server.trusted_proxies, vec!["127.0.0.1", "10.0.0.0/8"]);
        assert!(l.config.log.json);
        assert_eq!(l.config.geo.max_vertices_per_feature, 200_000);
        let slots = |k: &str| (k == "CHUISHAO_PHOTO_DECODE_SLOTS").then(|| "4".to_string());
        assert_eq!(Config::load(None, &slots).unwrap().config.photo_limits().decode_slots, 4);
        let none = |k: &str| (k == "CHUISHAO_PHOTO_MAX_PIXELS").then(|| "0".to_string());
        assert_eq!(Config::load(None, &none).unwrap_err().key, "CHUISHAO_PHOTO_MAX_PIXELS");
        let bad = |k: &str| (k == "CHUISHAO_REPORT_BURST").then(|| "lots".to_string());
        let e = Config::load(None, &bad).unwrap_err();
        assert_eq!((e.source_name.as_str(), e.key.as_str()), ("environment", "CHUISHAO_REPORT_BURST"));
        let zero = |k: &str| (k == "CHUISHAO_REPORT_BURST").then(|| "0".to_string());
        let e = Config::load(None, &zero).unwrap_err();
        assert_eq!(e.key, "CHUISHAO_REPORT_BURST");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let mut c = Config::default();
        c.database.url = "postgres://chuishao:s3cret@db.internal/chuishao?password=s3cret".into();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://chuishao:***@db.internal/chuishao"), "{shown}");
    }

    #[test]
    fn every_environment_variable_names_a_real_setting() {
        let defaults = toml::Table::try_from(Config::default()).unwrap();
        for (var, path) in ENV {
            assert!(lookup(&defaults, path).is_some(), "{var} → {path} is no setting");
        }
    }
}
