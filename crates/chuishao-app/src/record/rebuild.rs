//! Rebuilding projections from the log: every case and whistle folded from its events alone
//! and compared, field by field, with its stored row (`chuishao audit verify`).

use crate::Result;
use crate::ops::Ops;
use chuishao_domain::cases::{Case, CaseEvent};
use chuishao_domain::ids::OrgId;
use chuishao_domain::org::OrgKind;
use chuishao_domain::record::{Record, Recorded, StreamKind};
use chuishao_domain::whistle::{Whistle, WhistleEvent};
use chuishao_store::EventRecord;
use serde::Serialize;
use std::collections::HashMap;

/// Records per page read from the log and the projection.
const PAGE: i64 = 2000;

/// One stored projection row that disagrees with its record's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionMismatch {
    pub stream: StreamKind,
    pub id: i64,
    /// What differs: the fields by name (`status`, `units`…), or why the row cannot be
    /// compared (no events, no row, an unreadable row or event).
    pub fields: Vec<String>,
}

impl std::fmt::Display for ProjectionMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.stream.as_str(), self.id, self.fields.join(", "))
    }
}

/// The result of rebuilding every projection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectionReport {
    /// Records folded and compared, per kind.
    pub checked: Vec<(StreamKind, u64)>,
    pub mismatches: Vec<ProjectionMismatch>,
}

/// The names of the top-level fields where two serialisations differ.
fn differing_fields<T: Serialize>(stored: &T, folded: &T) -> Vec<String> {
    let (Ok(a), Ok(b)) = (serde_json::to_value(stored), serde_json::to_value(folded)) else {
        return vec!["unserialisable state".into()];
    };
    match (a, b) {
        (serde_json::Value::Object(a), serde_json::Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).cloned().collect()
        }
        (a, b) if a != b => vec!["state".into()],
        _ => Vec::new(),
    }
}

/// Events of one page grouped by record id, in order.
fn by_stream(events: Vec<EventRecord>) -> Vec<(i64, Vec<EventRecord>)> {
    let mut out: Vec<(i64, Vec<EventRecord>)> = Vec::new();
    for e in events {
        match out.last_mut() {
            Some((id, list)) if *id == e.stream_id => list.push(e),
            _ => out.push((e.stream_id, vec![e])),
        }
    }
    out
}

/// Folds one record's stored events: the state, or why it cannot be folded.
fn fold_events<R: Record>(
    events: &[EventRecord],
    mut upcast: impl FnMut(&mut R::Event),
) -> std::result::Result<R, String> {
    let mut parsed = Vec::with_capacity(events.len());
    for e in events {
        let mut ev: R::Event =
            serde_json::from_str(&e.payload).map_err(|x| format!("event {} unreadable: {x}", e.seq))?;
        upcast(&mut ev);
        parsed.push(ev);
    }
    R::fold(events.iter().zip(&parsed).map(|(r, event)| Recorded {
        stream_id: r.stream_id,
        version: r.stream_version,
        at: r.created_at,
        event,
    }))
    .ok_or_else(|| "events do not fold (no creating event first)".to_string())
}

/// Compares folded and stored states of one page: `(id, stored)` rows against `(id, events)`.
fn compare_page<T: Serialize>(
    stream: StreamKind,
    stored: Vec<(i64, std::result::Result<T, String>)>,
    streams: Vec<(i64, Vec<EventRecord>)>,
    fold: impl Fn(&[EventRecord]) -> std::result::Result<T, String>,
    out: &mut Vec<ProjectionMismatch>,
) -> u64 {
    let mut events: HashMap<i64, Vec<EventRecord>> = streams.into_iter().collect();
    let mut checked = 0;
    let mut report = |id: i64, fields: Vec<String>| {
        if !fields.is_empty() {
            out.push(ProjectionMismatch { stream, id, fields });
        }
    };
    for (id, row) in stored {
        checked += 1;
        let Some(evs) = events.remove(&id) else {
            report(id, vec!["a stored row without events".into()]);
            continue;
        };
        match (row, fold(&evs)) {
            (Ok(row), Ok(folded)) => report(id, differing_fields(&row, &folded)),
            (Err(why), _) => report(id, vec![format!("unreadable row: {why}")]),
            (_, Err(why)) => report(id, vec![why]),
        }
    }
    let mut orphans: Vec<i64> = events.into_keys().collect();
    orphans.sort_unstable();
    for id in orphans {
        report(id, vec!["events without a stored row".into()]);
    }
    checked
}

impl Ops<'_> {
    /// Folds every case and every whistle from its events and compares the result with the
    /// stored row; names each row that disagrees and the fields that differ. Events written
    /// before a payload carried everything the fold needs (a handler's kind and path, a
    /// case's place) are completed from the org tree first.
    pub async fn verify_projections(&self) -> Result<ProjectionReport> {
        let mut report = ProjectionReport::default();
        let units = self.unit_places().await?;
        let upcast_case = |e: &mut CaseEvent| e.upcast(|id| units.get(&id).cloned());

        let (mut after, mut checked) = (0i64, 0u64);
        let max_events = self.store.stream_max_id(StreamKind::Case.as_str()).await?;
        loop {
            let upto = after + PAGE;
            let (rows, max_rows) = self.store.cases_between(after, upto).await?;
            let events = self.store.stream_events_between(StreamKind::Case.as_str(), after, upto).await?;
            let stored = rows.iter().map(|r| (r.id, r.to_domain().map_err(|e| e.to_string()))).collect();
            let fold = |evs: &[EventRecord]| fold_events::<Case>(evs, upcast_case);
            checked += compare_page(StreamKind::Case, stored, by_stream(events), fold, &mut report.mismatches);
            after = upto;
            if after >= max_rows.max(max_events) {
                break;
            }
        }
        report.checked.push((StreamKind::Case, checked));

        let (mut after, mut checked) = (0i64, 0u64);
        let max_events = self.store.stream_max_id(StreamKind::Whistle.as_str()).await?;
        loop {
            let upto = after + PAGE;
            let (rows, max_rows) = self.store.whistles_between(after, upto).await?;
            let events = self.store.stream_events_between(StreamKind::Whistle.as_str(), after, upto).await?;
            let stored = rows.iter().map(|r| (r.id, stored_whistle(r))).collect();
            let fold =
                |evs: &[EventRecord]| fold_events::<Whistle>(evs, |_: &mut WhistleEvent| {}).map(StoredWhistle::of);
            checked += compare_page(StreamKind::Whistle, stored, by_stream(events), fold, &mut report.mismatches);
            after = upto;
            if after >= max_rows.max(max_events) {
                break;
            }
        }
        report.checked.push((StreamKind::Whistle, checked));
        Ok(report)
    }

    /// Every org node's kind and path, by id (to complete old events).
    async fn unit_places(&self) -> Result<HashMap<OrgId, (OrgKind, String)>> {
        Ok(self.store.list_orgs(None).await?.into_iter().map(|n| (n.id, (n.kind, n.path))).collect())
    }
}

/// A whistle's projection: the folded state (JSON) and the row's own `status` and `version`
/// columns (lists and scopes filter on them), so an edit to either is seen.
#[derive(Serialize)]
struct StoredWhistle {
    #[serde(flatten)]
    state: Whistle,
    status_column: String,
    version_column: i64,
}

impl StoredWhistle {
    fn of(w: Whistle) -> Self {
        StoredWhistle { status_column: w.status.as_str().to_string(), version_column: w.version, state: w }
    }
}

fn stored_whistle(row: &chuishao_store::WhistleRow) -> std::result::Result<StoredWhistle, String> {
    let state: Whistle = serde_json::from_str(&row.state).map_err(|e| format!("state: {e}"))?;
    Ok(StoredWhistle { state, status_column: row.status.clone(), version_column: row.version })
}
