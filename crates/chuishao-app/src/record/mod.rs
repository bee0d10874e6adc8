//! The one append path of every record (`chuishao_domain::record::Record`).
//!
//! [`append`] takes what use cases decided — per record, the folded state, the version the
//! stored projection had when it was read, and the new events with the version each is
//! recorded at — and in the caller's transaction: writes the projection (refusing with a
//! version conflict, 409, when it moved), appends the events to the hash-chained log, and
//! writes the outbox rows of the subscriptions that want them, each naming its record's kind
//! and id. The caller commits. Nothing else builds the log's rows for a record.
//!
//! [`rebuild`] is the other direction: it folds every stream of a kind from nothing and
//! compares the result with the stored projection (`chuishao audit verify`).

mod rebuild;

pub use rebuild::{ProjectionMismatch, ProjectionReport};

use crate::time::rfc3339;
use crate::{AppError, Result};
use chuishao_domain::DomainError;
use chuishao_domain::notifications::{Announcement, render};
use chuishao_domain::record::{Record, RecordId, StreamKind};
use chuishao_store::{NewDelivery, NewEvent, Tx};
use std::future::Future;

/// A record whose state is kept in a projection (its table) beside its events.
pub(crate) trait Stored: Record + Send + Sync {
    /// Writes the projections of `changes`. Answers the first change whose stored version is
    /// no longer its `expected` (nothing is committed then: the caller's transaction fails).
    fn save<'a>(
        tx: &'a mut Tx,
        changes: &'a [Change<Self>],
        now: i64,
    ) -> impl Future<Output = Result<Option<&'a Change<Self>>>> + Send + 'a;

    /// The org paths an event concerns, for subscriptions scoped to part of the tree.
    fn scope_paths(state: &Self, event: &Self::Event) -> Vec<String>;
}

/// One record's change: its state after the events, the version its projection had, and the
/// events with the version each is recorded at.
#[derive(Debug, Clone)]
pub(crate) struct Change<R: Record> {
    pub state: R,
    pub expected: i64,
    pub events: Vec<(i64, R::Event)>,
}

impl<R: Record> Change<R> {
    /// A change whose events are all recorded at the state's version.
    pub fn at_version(state: R, expected: i64, events: Vec<R::Event>) -> Self {
        let v = state.version();
        Change { state, expected, events: events.into_iter().map(|e| (v, e)).collect() }
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Writes `changes` (projections, events, outbox rows) in `tx`; answers the events' sequence
/// numbers in order. A projection that moved since it was read is a version conflict.
pub(crate) async fn append<R: Stored>(
    tx: &mut Tx,
    changes: &[Change<R>],
    actor_id: Option<i64>,
    now: i64,
) -> Result<Vec<i64>> {
    if let Some(c) = R::save(tx, changes, now).await? {
        return Err(DomainError::VersionConflict { expected: c.expected, current: c.expected + 1 }.into());
    }
    let mut payloads = Vec::new();
    for c in changes {
        for (_, e) in &c.events {
            payloads.push(serde_json::to_string(e).map_err(internal)?);
        }
    }
    let mut payloads = payloads.into_iter();
    let mut rows: Vec<NewEvent<'_>> = Vec::with_capacity(payloads.len());
    for c in changes {
        for (version, e) in &c.events {
            rows.push(NewEvent {
                stream: R::KIND.as_str(),
                stream_id: c.state.id().raw(),
                stream_version: *version,
                kind: R::event_kind(e),
                payload: payloads.next().unwrap_or_default(),
                actor_id,
                created_at: now,
            });
        }
    }
    let seqs = tx.append_events(&rows).await?;
    let mut announced = Vec::with_capacity(seqs.len());
    let mut seq = seqs.iter();
    for c in changes {
        for (_, e) in &c.events {
            let Some(s) = seq.next() else { break };
            announced.push(Announced {
                seq: *s,
                stream_id: c.state.id().raw(),
                kind: R::event_kind(e),
                data: serde_json::to_value(e).map_err(internal)?,
                paths: R::scope_paths(&c.state, e),
            });
        }
    }
    announce(tx, R::KIND, &announced, now).await?;
    Ok(seqs)
}

/// One fact of a stream that keeps no projection and announces nothing (reads of a
/// reporter's contact, account changes, "me too", Open311 updates, patrols' start and finish),
/// chained into the log like every event; answers its sequence number.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn log_fact(
    tx: &mut Tx,
    stream: StreamKind,
    stream_id: i64,
    version: i64,
    kind: &str,
    payload: String,
    actor_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let seqs = tx
        .append_events(&[NewEvent {
            stream: stream.as_str(),
            stream_id,
            stream_version: version,
            kind,
            payload,
            actor_id,
            created_at: now,
        }])
        .await?;
    seqs.first().copied().ok_or_else(|| internal("the log answered no sequence number"))
}

/// An appended event, as the outbox needs it.
pub(crate) struct Announced {
    pub seq: i64,
    pub stream_id: i64,
    pub kind: &'static str,
    pub data: serde_json::Value,
    pub paths: Vec<String>,
}

/// Writes the outbox rows of the subscriptions that want `events` of stream `stream`, in the
/// caller's transaction (intake, which appends through the store's group commit, calls it
/// directly).
pub(crate) async fn announce(tx: &mut Tx, stream: StreamKind, events: &[Announced], now: i64) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let subs = tx.active_subscriptions().await?;
    if subs.is_empty() {
        return Ok(());
    }
    let at = rfc3339(now);
    let mut rows = Vec::new();
    for e in events {
        let paths: Vec<&str> = e.paths.iter().map(String::as_str).collect();
        for s in subs.iter().filter(|s| s.matches(e.kind, &paths)) {
            let a = Announcement { seq: e.seq, stream, stream_id: e.stream_id, kind: e.kind, data: &e.data, at: &at };
            rows.push(NewDelivery {
                subscription_id: s.id,
                event_seq: e.seq,
                stream: stream.as_str(),
                stream_id: e.stream_id,
                event_kind: e.kind.to_string(),
                body: render(s, &a, &crate::notifications::wording(&a)),
            });
        }
    }
    tx.enqueue_deliveries(&rows, now).await?;
    Ok(())
}
