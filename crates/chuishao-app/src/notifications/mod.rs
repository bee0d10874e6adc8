//! Notifications: outbox rows written with the events they announce, and the delivery worker
//! that sends them at least once — exponential backoff, a dead-letter state, an admin's retry —
//! to generic webhooks (signed with HMAC-SHA256) and to WeCom and DingTalk group robots.

use crate::ops::Ops;
use crate::time::rfc3339;
use crate::{AppError, Result};
use base64::Engine as _;
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::notifications::{Announcement, Channel, Format, Subscription, Wording, backoff_ms, judge};
use chuishao_store::DeliveryRow;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Deliveries leased per round.
const BATCH: i64 = 50;
/// How long a leased delivery stays invisible to other senders.
const LEASE_MS: i64 = 120_000;

/// The HTTP client and its timeout, shared by every clone of the `App`.
#[derive(Clone)]
pub struct NotifySettings {
    client: Arc<RwLock<reqwest::Client>>,
    pub(crate) wake: Arc<tokio::sync::Notify>,
}

/// A message's words from the catalogue: its title, and its note, reason or deadline.
pub(crate) fn wording(a: &Announcement<'_>) -> Wording {
    let detail = match a.detail_source() {
        Some(Ok(text)) => text.to_string(),
        Some(Err(clock)) => chuishao_i18n::notify::deadline_detail(clock),
        None => String::new(),
    };
    Wording { title: chuishao_i18n::notify::record_title(a.stream, a.stream_id, a.kind), detail }
}

fn client_with(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().timeout(timeout).build().unwrap_or_default()
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            client: Arc::new(RwLock::new(client_with(Duration::from_secs(10)))),
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }
}

fn hmac_sha256(key: &str, message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// HMAC-SHA256 of `message` under `key`, hex (the webhook signature).
pub fn sign_hex(key: &str, message: &[u8]) -> String {
    hex::encode(hmac_sha256(key, message))
}

fn sign_base64(key: &str, message: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key, message))
}

/// A new subscription, as an admin sends it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    pub name: String,
    /// `webhook`, `wecom` or `dingtalk`.
    pub channel: String,
    /// http(s) URL (a robot's full webhook URL with its key or access token).
    pub url: String,
    /// Webhooks: the HMAC-SHA256 key for `X-Chuishao-Signature`. DingTalk: the robot's signing
    /// secret (加签), if set.
    #[serde(default)]
    pub secret: Option<String>,
    /// Event kinds to send (e.g. `deadline_overdue`, `supervised`); empty or absent: all.
    #[serde(default)]
    pub event_kinds: Vec<String>,
    /// Only cases placed or handled under this organisation (code); absent: everywhere.
    #[serde(default)]
    pub org_code: Option<String>,
    /// Robots: `text` (default) or `markdown`.
    #[serde(default)]
    pub format: Option<String>,
}

/// A subscription as listed (the secret is never shown).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: i64,
    pub name: String,
    pub channel: &'static str,
    pub url: String,
    pub has_secret: bool,
    pub event_kinds: Vec<String>,
    pub org_path: String,
    pub format: &'static str,
    pub active: bool,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        SubscriptionView {
            id: s.id,
            channel: s.channel.as_str(),
            format: s.format.as_str(),
            has_secret: s.secret.is_some(),
            name: s.name,
            url: s.url,
            event_kinds: s.event_kinds,
            org_path: s.org_path,
            active: s.active,
        }
    }
}

/// A delivery as listed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub subscription_id: i64,
    pub channel: String,
    pub event_seq: i64,
    /// The case's id for a case's event, else 0.
    pub case_id: i64,
    /// The record the event belongs to: `case`, `whistle`, …
    pub stream: String,
    pub stream_id: i64,
    pub event_kind: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(r: DeliveryRow) -> Self {
        DeliveryView {
            id: r.id,
            subscription_id: r.subscription_id,
            channel: r.channel,
            event_seq: r.event_seq,
            case_id: r.case_id,
            stream: r.stream,
            stream_id: r.stream_id,
            event_kind: r.event_kind,
            state: r.state,
            attempts: r.attempts,
            next_attempt_at: rfc3339(r.next_attempt_at),
            last_status: r.last_status,
            last_error: r.last_error,
            created_at: rfc3339(r.created_at),
            delivered_at: r.delivered_at.map(rfc3339),
        }
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub failed: usize,
}

impl Ops<'_> {
    fn http(&self) -> reqwest::Client {
        match self.notify.client.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Wakes the delivery worker (after a commit that wrote outbox rows).
    pub(crate) fn wake_delivery(&self) {
        self.notify.wake.notify_one();
    }

    fn require_admin(actor: &Actor) -> Result<()> {
        if actor.has_role(Role::Admin) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("{} may not manage notifications", actor.username)))
        }
    }

    /// An admin adds a subscription.
    pub async fn create_subscription(&self, actor: &Actor, input: &SubscriptionInput) -> Result<SubscriptionView> {
        Self::require_admin(actor)?;
        let mut errors = Vec::new();
        let channel = Channel::parse(&input.channel);
        if channel.is_none() {
            errors.push(crate::FieldError { field: "channel".into(), message: "webhook, wecom or dingtalk".into() });
        }
        if !(input.url.starts_with("http://") || input.url.starts_with("https://")) || input.url.len() > 2000 {
            errors.push(crate::FieldError { field: "url".into(), message: "an http(s) URL".into() });
        }
        if input.name.trim().is_empty() || input.name.chars().count() > 200 {
            errors.push(crate::FieldError { field: "name".into(), message: "1–200 characters".into() });
        }
        let format = match (channel, input.format.as_deref()) {
            (Some(Channel::Webhook), _) => Some(Format::Json),
            (_, None) => Some(Format::Text),
            (_, Some(f)) => Format::parse(f).filter(|f| *f != Format::Json),
        };
        if format.is_none() {
            errors.push(crate::FieldError { field: "format".into(), message: "text or markdown".into() });
        }
        let org_path = match &input.org_code {
            Some(code) => match self.admin().org_by_code(code).await? {
                Some(n) => n.path.clone(),
                None => {
                    errors.push(crate::FieldError { field: "org_code".into(), message: "unknown organisation".into() });
                    String::new()
                }
            },
            None => "/".into(),
        };
        if input.event_kinds.iter().any(|k| k.is_empty() || k.contains(',') || k == "*") {
            errors.push(crate::FieldError { field: "event_kinds".into(), message: "event kind names".into() });
        }
        let (Some(channel), Some(format), true) = (channel, format, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let mut s = Subscription {
            id: 0,
            name: input.name.trim().to_string(),
            channel,
            url: input.url.clone(),
            secret: input.secret.clone().filter(|s| !s.is_empty()),
            event_kinds: input.event_kinds.clone(),
            org_path,
            format,
            active: true,
        };
        let mut tx = self.store.begin().await?;
        s.id = tx.insert_subscription(&s, self.now_ms()).await?;
        tx.commit().await?;
        Ok(s.into())
    }

    /// Every subscription (admin).
    pub async fn list_subscriptions(&self, actor: &Actor) -> Result<Vec<SubscriptionView>> {
        Self::require_admin(actor)?;
        Ok(self.store.subscriptions().await?.into_iter().map(Into::into).collect())
    }

    /// Deliveries, newest first (admin); `state` filters.
    pub async fn list_deliveries(
        &self,
        actor: &Actor,
        state: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<DeliveryView>> {
        Self::require_admin(actor)?;
        if let Some(s) = state
            && !matches!(s, "pending" | "delivered" | "dead")
        {
            return Err(AppError::invalid("state", "pending, delivered or dead"));
        }
        let limit = limit.unwrap_or(50);
        if !(1..=500).contains(&limit) {
            return Err(AppError::invalid("limit", "1–500"));
        }
        Ok(self.store.list_deliveries(state, limit).await?.into_iter().map(Into::into).collect())
    }

    /// An admin puts a failed or dead delivery back in the queue with fresh attempts.
    pub async fn retry_delivery(&self, actor: &Actor, id: i64) -> Result<()> {
        Self::require_admin(actor)?;
        if !self.store.retry_delivery(id, self.now_ms()).await? {
            return Err(AppError::NotFound("pending or dead delivery"));
        }
        self.wake_delivery();
        Ok(())
    }

    async fn send(&self, d: &DeliveryRow, now: i64) -> (Option<u16>, std::result::Result<(), String>) {
        let Some(channel) = Channel::parse(&d.channel) else { return (None, Err("unknown channel".into())) };
        let mut url = d.url.clone();
        let mut req = self.http().post(&url).header("content-type", "application/json");
        match (channel, &d.secret) {
            (Channel::Webhook, secret) => {
                req = req
                    .header("x-chuishao-delivery", d.id.to_string())
                    .header("x-chuishao-event", d.event_kind.as_str());
                if let Some(key) = secret {
                    req = req.header("x-chuishao-signature", format!("sha256={}", sign_hex(key, d.body.as_bytes())));
                }
            }
            (Channel::Dingtalk, Some(secret)) => {
                // DingTalk 加签: timestamp and base64(HMAC-SHA256("{timestamp}\n{secret}")).
                let sign = sign_base64(secret, format!("{now}\n{secret}").as_bytes());
                let sign = sign.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
                url = format!("{url}{}timestamp={now}&sign={sign}", if url.contains('?') { '&' } else { '?' });
                req = self.http().post(&url).header("content-type", "application/json");
            }
            _ => {}
        }
        match req.body(d.body.clone()).send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                let body = res.text().await.unwrap_or_default();
                (Some(status), judge(channel, status, &body))
            }
            Err(e) if e.is_timeout() => (None, Err("timed out".into())),
            Err(e) => (None, Err(format!("could not send: {e}"))),
        }
    }

    /// Sends every delivery due at `now` once; failures are retried later with exponential
    /// backoff and dead-lettered after the last attempt.
    pub async fn deliver_due(&self, now: i64) -> Result<DeliveryReport> {
        let mut report = DeliveryReport::default();
        loop {
            let batch = self.store.lease_deliveries(now, LEASE_MS, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            let n = batch.len();
            let mut sends = tokio::task::JoinSet::new();
            for (i, d) in batch.iter().cloned().enumerate() {
                let app = self.app.clone();
                sends.spawn(async move { (i, app.ops().send(&d, now).await) });
            }
            let mut results = vec![(None, Err("not sent".to_string())); n];
            while let Some(done) = sends.join_next().await {
                if let Ok((i, r)) = done {
                    results[i] = r;
                }
            }
            for (d, (status, outcome)) in batch.iter().zip(results) {
                let attempts = u32::try_from(d.attempts + 1).unwrap_or(u32::MAX);
                let m = &chuishao_metrics::metrics().deliveries;
                match &outcome {
                    Ok(()) => {
                        report.delivered += 1;
                        m.inc(&["delivered"]);
                    }
                    Err(e) => {
                        report.failed += 1;
                        m.inc(&[if attempts >= chuishao_domain::notifications::MAX_ATTEMPTS {
                            "dead"
                        } else {
                            "failed"
                        }]);
                        tracing::info!(delivery = d.id, attempts, error = %e, "notification delivery failed");
                    }
                }
                self.store.record_attempt(d.id, now, status, outcome, now + backoff_ms(attempts)).await?;
            }
            if (n as i64) < BATCH {
                break;
            }
        }
        Ok(report)
    }

    /// Runs the delivery worker until `shutdown` completes.
    pub async fn run_delivery_worker(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let pause = match self.deliver_due(self.now_ms()).await {
                Ok(_) => self.calendar().pause_until(self.store.next_delivery_at().await),
                Err(e) => {
                    tracing::warn!(error = %e, "delivery worker: round failed; retrying");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.notify.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("delivery worker stopped");
    }
}

impl crate::App {
    /// Sets how long a delivery may take before it counts as failed (default 10 s).
    pub fn set_delivery_timeout(&self, timeout: Duration) {
        if let Ok(mut c) = self.notify.client.write() {
            *c = client_with(timeout);
        }
    }
}
