//! Live tracking (过程直播): a per-node hub that tails the event log and pushes each public
//! timeline entry to the subscribers of its case. On PostgreSQL the tail wakes on `NOTIFY`
//! from a trigger on `events`, so an event committed through any node reaches subscribers on
//! every node; on SQLite (one process) it polls. Subscribers continue from the sequence
//! number their page was rendered at, so nothing between render and subscribe is lost.
//!
//! The same tail keeps this node's cache of public views honest (see
//! [`super::view_cache`]): each committed case event drops its case's cached view before
//! the event is handed to subscribers.

use crate::cases::{PublicTimelineEntry, status_words};
use crate::residents::Residents;
use crate::time::rfc3339;
use crate::{App, AppError, Result};
use chuishao_domain::cases::{CaseEvent, CaseStatus};
use chuishao_domain::ids::TrackingCode;
use chuishao_store::PublicEventRow;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// How often the tail looks without a wake-up (SQLite), and the safety net on PostgreSQL.
const POLL: Duration = Duration::from_millis(200);
const PG_SAFETY_POLL: Duration = Duration::from_secs(2);
/// Updates buffered per case for a slow subscriber before it must catch up from the log.
const CHANNEL_CAPACITY: usize = 64;

/// One public update of a case: the new timeline line and the status after it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LiveUpdate {
    pub seq: i64,
    pub tracking_code: String,
    pub status: &'static str,
    pub status_zh: &'static str,
    pub status_en: &'static str,
    pub entry: PublicTimelineEntry,
}

type Subscribers = HashMap<String, broadcast::Sender<Arc<LiveUpdate>>>;

/// A whistle event committed (on any node): what the live whistle boards follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhistleChange {
    pub seq: i64,
    pub whistle_id: i64,
    /// Where the whistle takes place: a board shows the whistles placed under its subdistrict.
    pub place_path: String,
}

/// Whistle changes buffered for a slow board before it recomputes anyway.
const WHISTLE_CHANNEL_CAPACITY: usize = 256;

/// The node's hub. Cheap to clone; the tail starts with the first subscription.
#[derive(Clone)]
pub struct LiveHub {
    subs: Arc<Mutex<Subscribers>>,
    started: Arc<tokio::sync::OnceCell<()>>,
    whistles: broadcast::Sender<WhistleChange>,
    /// The log's head whenever it grew: what the staff boards follow.
    changes: broadcast::Sender<i64>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            subs: Arc::default(),
            started: Arc::default(),
            whistles: broadcast::channel(WHISTLE_CHANNEL_CAPACITY).0,
            changes: broadcast::channel(16).0,
        }
    }
}

impl std::fmt::Debug for LiveHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveHub").finish_non_exhaustive()
    }
}

impl LiveHub {
    /// Subscribes to a case's updates. The tail is started (once) from the current end of the
    /// log, so the caller catches up on anything older with [`App::live_updates_after`].
    pub async fn subscribe(&self, app: &App, tracking_code: &str) -> Result<broadcast::Receiver<Arc<LiveUpdate>>> {
        self.start(app).await?;
        let mut subs = self.subs.lock().map_err(|_| AppError::Internal("live hub poisoned".into()))?;
        let tx = subs.entry(tracking_code.to_string()).or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0);
        Ok(tx.subscribe())
    }

    /// Follows whistle events committed on any node (same tail, same listener as the cases).
    /// Subscribe first, then read the current state: nothing committed in between is lost.
    pub async fn subscribe_whistles(&self, app: &App) -> Result<broadcast::Receiver<WhistleChange>> {
        let rx = self.whistles.subscribe();
        self.start(app).await?;
        Ok(rx)
    }

    /// Follows the event log's head: a value each time events were committed (on any node),
    /// for boards that refresh on any change. Slow receivers only miss intermediate heads.
    pub async fn subscribe_changes(&self, app: &App) -> Result<broadcast::Receiver<i64>> {
        let rx = self.changes.subscribe();
        self.start(app).await?;
        Ok(rx)
    }

    /// The public view of a case, from this node's cache while the case has not changed (the
    /// tail, started here if need be, drops it on every commit from any node).
    pub async fn public_case(
        &self,
        app: &App,
        tracking_code: &str,
    ) -> Result<crate::residents::view_cache::CachedView> {
        self.start(app).await?;
        app.cases().public_case_cached(tracking_code).await
    }

    /// Number of cases with at least one subscriber on this node.
    pub fn watched_cases(&self) -> usize {
        self.subs.lock().map(|s| s.len()).unwrap_or(0)
    }

    async fn start(&self, app: &App) -> Result<()> {
        self.started
            .get_or_try_init(|| async {
                let from = app.store.max_event_seq().await?;
                let listener = app.store.event_listener().await?;
                let hub = self.clone();
                let app = app.clone();
                tokio::spawn(async move { hub.tail(app, from, listener).await });
                Ok::<(), AppError>(())
            })
            .await?;
        Ok(())
    }

    async fn tail(self, app: App, mut last: i64, mut listener: Option<chuishao_store::EventListener>) {
        let mut last_whistle = last;
        let mut last_head = last;
        let listens = listener.is_some();
        let mut relisten_at: Option<tokio::time::Instant> = None;
        loop {
            match listener.as_mut() {
                Some(l) => {
                    let failed = tokio::select! {
                        r = l.wait() => r.err(),
                        _ = tokio::time::sleep(PG_SAFETY_POLL) => None,
                    };
                    if let Some(e) = failed {
                        // Polling still reaches every node's commits, only less promptly,
                        // until the listener is back (the database restarted, say).
                        tracing::warn!(error = %e, "event listener failed; polling until it is back");
                        listener = None;
                        relisten_at = Some(tokio::time::Instant::now() + PG_SAFETY_POLL);
                    }
                }
                None => {
                    tokio::time::sleep(POLL).await;
                    if listens && relisten_at.is_some_and(|at| tokio::time::Instant::now() >= at) {
                        match app.store.event_listener().await {
                            Ok(l) => {
                                listener = l;
                                relisten_at = None;
                                tracing::info!("event listener back");
                            }
                            Err(_) => relisten_at = Some(tokio::time::Instant::now() + PG_SAFETY_POLL),
                        }
                    }
                }
            }
            // The log's head, read once per wake for the three followers below.
            let head = match app.store.max_event_seq().await {
                Ok(head) => Some(head),
                Err(e) => {
                    tracing::warn!(error = %e, "live tail could not read the log head");
                    None
                }
            };
            last_whistle = self.tail_whistles(&app, last_whistle, head).await;
            last_head = self.tail_head(last_head, head);
            if self.subs.lock().map(|s| s.is_empty()).unwrap_or(true) && app.public_views.is_empty() {
                // Nobody listens and nothing is cached: skip reading, but keep the position
                // current. Reads of views under way began before the events skipped over may
                // miss them: refused (position first, then the refusal).
                if let Some(head) = head {
                    last = last.max(head);
                    app.public_views.invalidate_all();
                }
                continue;
            }
            if head.is_some_and(|head| head <= last) {
                self.prune(); // nothing new to read
                continue;
            }
            loop {
                let rows = match app.store.case_events_after(last, 500).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::warn!(error = %e, "live tail could not read events");
                        break;
                    }
                };
                let n = rows.len();
                for row in rows {
                    last = row.seq;
                    // Before any subscriber can hold the event, no reader gets the old view.
                    app.public_views.invalidate(row.case_id);
                    let watched = self.subs.lock().map(|s| s.contains_key(&row.tracking_code)).unwrap_or(false);
                    if !watched {
                        continue;
                    }
                    match app.residents().live_update(&row).await {
                        Ok(Some(update)) => self.publish(update),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "live update failed"),
                    }
                }
                if n < 500 {
                    break;
                }
            }
            self.prune();
        }
    }

    /// Publishes the whistle events after `last` to the boards; returns the new position.
    /// Without a board watching, only the position moves.
    async fn tail_whistles(&self, app: &App, mut last: i64, head: Option<i64>) -> i64 {
        if self.whistles.receiver_count() == 0 {
            return head.map_or(last, |head| last.max(head));
        }
        loop {
            let rows = match app.store.whistle_events_after(last, 500).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "live tail could not read whistle events");
                    return last;
                }
            };
            let n = rows.len();
            for (seq, whistle_id, place_path) in rows {
                last = seq;
                let _ = self.whistles.send(WhistleChange { seq, whistle_id, place_path });
            }
            if n < 500 {
                return last;
            }
        }
    }

    /// Announces the log's head to the boards when it moved; returns the new position.
    fn tail_head(&self, last: i64, head: Option<i64>) -> i64 {
        match head {
            Some(head) if head > last => {
                if self.changes.receiver_count() > 0 {
                    let _ = self.changes.send(head);
                }
                head
            }
            _ => last,
        }
    }

    fn publish(&self, update: LiveUpdate) {
        if let Ok(subs) = self.subs.lock()
            && let Some(tx) = subs.get(&update.tracking_code)
        {
            let _ = tx.send(Arc::new(update));
        }
    }

    fn prune(&self) {
        if let Ok(mut subs) = self.subs.lock() {
            subs.retain(|_, tx| tx.receiver_count() > 0);
        }
    }
}

impl Residents<'_> {
    /// The public update an event makes, or `None` for an internal event.
    async fn live_update(&self, row: &PublicEventRow) -> Result<Option<LiveUpdate>> {
        let Ok(event) = serde_json::from_str::<CaseEvent>(&row.payload) else { return Ok(None) };
        let Some(w) = self.public_event_words(&event).await? else {
            return Ok(None);
        };
        let status = CaseStatus::parse(&row.status).ok_or_else(|| AppError::Internal("status".into()))?;
        let (status_zh, status_en) = status_words(status);
        Ok(Some(LiveUpdate {
            seq: row.seq,
            tracking_code: row.tracking_code.clone(),
            status: status.as_str(),
            status_zh,
            status_en,
            entry: PublicTimelineEntry {
                at: rfc3339(row.created_at),
                kind: row.kind.clone(),
                text_zh: w.zh,
                text_en: w.en,
            },
        }))
    }

    /// A case's public updates after `after_seq` (to catch up before following live).
    pub async fn live_updates_after(&self, tracking_code: &str, after_seq: i64) -> Result<Vec<LiveUpdate>> {
        let code = TrackingCode::parse(tracking_code).ok_or(AppError::NotFound("case"))?;
        let row = self.store.case_by_tracking_code(code.as_str()).await?.ok_or(AppError::NotFound("case"))?;
        let mut out = Vec::new();
        for e in self.store.stream_events("case", row.id).await?.into_iter().filter(|e| e.seq > after_seq) {
            let r = PublicEventRow {
                seq: e.seq,
                stream: e.stream,
                kind: e.kind,
                payload: e.payload,
                created_at: e.created_at,
                case_id: row.id,
                tracking_code: row.tracking_code.clone(),
                status: row.status.clone(),
            };
            if let Some(u) = self.live_update(&r).await? {
                out.push(u);
            }
        }
        Ok(out)
    }
}
