//! The event log and its hash chain.
//!
//! Every event of every stream (cases now; whistles and accounts later) gets the next global
//! sequence number and a hash over its content and the previous event's hash. Editing,
//! deleting or reordering any stored event breaks the chain from that point on, which
//! [`Store::verify_chain`] reports. The chain head lives in `audit_head`; appending locks it
//! (PostgreSQL `for update`; on SQLite the write transaction is already exclusive).

use crate::{Conn, Result, Store, Tx, run};
use sha2::{Digest, Sha256};

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub stream: &'a str,
    pub stream_id: i64,
    pub stream_version: i64,
    pub kind: &'a str,
    /// The event as JSON.
    pub payload: String,
    pub actor_id: Option<i64>,
    pub created_at: i64,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct EventRecord {
    pub seq: i64,
    pub stream: String,
    pub stream_id: i64,
    pub stream_version: i64,
    pub kind: String,
    pub payload: String,
    pub actor_id: Option<i64>,
    pub created_at: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub events_checked: i64,
    /// The first event whose hash or link does not match, if any, with the reason.
    pub first_break: Option<(i64, String)>,
}

/// The chain hash of one event: SHA-256 over the previous hash and every stored field,
/// separated by the ASCII unit separator so fields cannot be shifted into each other.
pub fn event_hash(prev_hash: &str, e: &NewEvent<'_>, seq: i64) -> String {
    let mut h = Sha256::new();
    let actor = e.actor_id.map(|a| a.to_string()).unwrap_or_default();
    for part in [
        prev_hash,
        &seq.to_string(),
        e.stream,
        &e.stream_id.to_string(),
        &e.stream_version.to_string(),
        e.kind,
        &actor,
        &e.created_at.to_string(),
        &e.payload,
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

const EVENT_COLUMNS: &str =
    "seq, stream, stream_id, stream_version, kind, payload, actor_id, created_at, prev_hash, hash";

impl Tx {
    /// Appends events in order, chaining each to the last. Returns their sequence numbers.
    pub async fn append_events(&mut self, events: &[NewEvent<'_>]) -> Result<Vec<i64>> {
        if events.is_empty() {
            return Ok(vec![]);
        }
        let head_sql = match self.conn() {
            Conn::Sqlite(_) => "select seq, hash from audit_head where id = 1",
            Conn::Postgres(_) => "select seq, hash from audit_head where id = 1 for update",
        };
        run!(self.conn(), conn => {
            let (mut seq, mut prev): (i64, String) = sqlx::query_as(head_sql).fetch_one(&mut *conn).await?;
            let mut rows = Vec::with_capacity(events.len());
            for e in events {
                seq += 1;
                let hash = event_hash(&prev, e, seq);
                rows.push((seq, e, std::mem::replace(&mut prev, hash.clone()), hash));
            }
            // One multi-row insert per chunk: one round trip however many events a batch has.
            for chunk in rows.chunks(EVENT_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new(
                    "insert into events (seq, stream, stream_id, stream_version, kind, payload, actor_id, created_at, prev_hash, hash) ",
                );
                qb.push_values(chunk, |mut b, (seq, e, prev_hash, hash)| {
                    b.push_bind(*seq)
                        .push_bind(e.stream)
                        .push_bind(e.stream_id)
                        .push_bind(e.stream_version)
                        .push_bind(e.kind)
                        .push_bind(e.payload.as_str())
                        .push_bind(e.actor_id)
                        .push_bind(e.created_at)
                        .push_bind(prev_hash.as_str())
                        .push_bind(hash.as_str());
                });
                qb.build().execute(&mut *conn).await?;
            }
            sqlx::query("update audit_head set seq = $1, hash = $2 where id = 1")
                .bind(seq)
                .bind(&prev)
                .execute(&mut *conn)
                .await?;
            Ok(rows.iter().map(|r| r.0).collect())
        })
    }
}

/// Events per insert statement (10 parameters each, well under every engine's limit).
const EVENT_CHUNK: usize = 200;

impl Store {
    /// A stream's events in order.
    pub async fn stream_events(&self, stream: &str, stream_id: i64) -> Result<Vec<EventRecord>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!(
                "select {EVENT_COLUMNS} from events where stream = $1 and stream_id = $2 order by seq"
            ))
            .bind(stream)
            .bind(stream_id)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// The largest id of stream `stream` in the log (0 when it has none).
    pub async fn stream_max_id(&self, stream: &str) -> Result<i64> {
        let mut c = self.read().await?;
        let max: Option<i64> = run!(c.conn(), conn => {
            sqlx::query_scalar("select max(stream_id) from events where stream = $1")
                .bind(stream)
                .fetch_one(&mut *conn)
                .await?
        });
        Ok(max.unwrap_or(0))
    }

    /// The events of the `stream` records with ids in `(after, upto]`, by record then order.
    pub async fn stream_events_between(&self, stream: &str, after: i64, upto: i64) -> Result<Vec<EventRecord>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!(
                "select {EVENT_COLUMNS} from events where stream = $1 and stream_id > $2 and stream_id <= $3
                 order by stream_id, seq"
            ))
            .bind(stream)
            .bind(after)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// Walks the whole chain in pages and recomputes every hash; also checks the head.
    pub async fn verify_chain(&self) -> Result<AuditReport> {
        let mut c = self.read().await?;
        let mut prev = "0".repeat(64);
        let mut expected_seq = 1i64;
        let mut checked = 0i64;
        loop {
            let page: Vec<EventRecord> = run!(c.conn(), conn => {
                sqlx::query_as(&format!("select {EVENT_COLUMNS} from events where seq >= $1 order by seq limit 5000"))
                    .bind(expected_seq)
                    .fetch_all(&mut *conn)
                    .await?
            });
            if page.is_empty() {
                break;
            }
            for r in &page {
                let fail = |why: &str| {
                    Ok(AuditReport { events_checked: checked, first_break: Some((r.seq, why.to_string())) })
                };
                if r.seq != expected_seq {
                    return fail("a sequence number is missing before this event");
                }
                if r.prev_hash != prev {
                    return fail("the link to the previous event does not match");
                }
                let e = NewEvent {
                    stream: &r.stream,
                    stream_id: r.stream_id,
                    stream_version: r.stream_version,
                    kind: &r.kind,
                    payload: r.payload.clone(),
                    actor_id: r.actor_id,
                    created_at: r.created_at,
                };
                if event_hash(&prev, &e, r.seq) != r.hash {
                    return fail("the event's content does not match its hash");
                }
                prev = r.hash.clone();
                expected_seq += 1;
                checked += 1;
            }
        }
        let (head_seq, head_hash): (i64, String) = run!(c.conn(), conn => {
            sqlx::query_as("select seq, hash from audit_head where id = 1").fetch_one(&mut *conn).await?
        });
        if head_seq != checked || head_hash != prev {
            return Ok(AuditReport {
                events_checked: checked,
                first_break: Some((
                    head_seq,
                    "the chain head does not match the last event (events removed from the end?)".into(),
                )),
            });
        }
        Ok(AuditReport { events_checked: checked, first_break: None })
    }
}
