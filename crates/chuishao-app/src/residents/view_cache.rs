//! A per-node cache of the public view of cases (the tracking page and its JSON), so a case
//! watched by many residents costs the database nothing between its changes.
//!
//! Entries are keyed by tracking code and dropped by case id when the case changes: at once
//! after a commit through this node, and by the live tail (see [`super::live`]) for commits
//! through any node, *before* the tail hands the event to this node's subscribers. So once a
//! subscriber holds an update, no reader on this node is served the view from before it.
//!
//! The race that matters: a reader misses, reads the database, and inserts — while an
//! invalidation for the same case passes in between. A generation counter closes it: the
//! reader notes the generation before reading, and its insert is refused if the case was
//! invalidated after that (or if the record of recent invalidations was cut short since).
//! The cache holds at most [`MAX_ENTRIES`] views; past that an arbitrary one makes room.

use crate::cases::PublicCaseView;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Most views held per node.
pub const MAX_ENTRIES: usize = 10_000;
/// Most remembered invalidations before the record is cut (and in-flight reads refused).
const MAX_RECENT: usize = 4_096;

/// A cached view and the sequence number of its case's latest event (where live updates
/// continue).
pub type CachedView = (Arc<PublicCaseView>, i64);

struct Entry {
    case_id: i64,
    view: Arc<PublicCaseView>,
    seq: i64,
}

#[derive(Default)]
struct Inner {
    by_code: HashMap<String, Entry>,
    code_of: HashMap<i64, String>,
    /// Bumped by every invalidation.
    generation: u64,
    /// Case id → the generation its last invalidation made (only those after `floor`).
    recent: HashMap<i64, u64>,
    /// Reads started before this generation may not insert: their invalidations were forgotten.
    floor: u64,
}

/// The cache. Cheap to clone; clones share it.
#[derive(Clone, Default)]
pub struct PublicViewCache {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for PublicViewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicViewCache").field("len", &self.len()).finish()
    }
}

/// A read in progress: taken before the database is read, handed back to [`PublicViewCache::insert`].
#[derive(Debug, Clone, Copy)]
pub struct ReadTicket(u64);

impl PublicViewCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain maps behind: still consistent enough
        // to drop everything and go on.
        self.inner.lock().unwrap_or_else(|poisoned| {
            self.inner.clear_poison();
            let mut g = poisoned.into_inner();
            g.by_code.clear();
            g.code_of.clear();
            g.floor = g.generation + 1;
            g.generation += 1;
            g
        })
    }

    /// The cached view of a tracking code.
    pub fn get(&self, tracking_code: &str) -> Option<CachedView> {
        let hit = self.lock().by_code.get(tracking_code).map(|e| (e.view.clone(), e.seq));
        chuishao_metrics::metrics().view_cache.inc(&[if hit.is_some() { "hit" } else { "miss" }]);
        hit
    }

    /// Call before reading the database on a miss.
    pub fn begin_read(&self) -> ReadTicket {
        ReadTicket(self.lock().generation)
    }

    /// Keeps a view read from the database, unless its case changed since `ticket` was taken.
    /// Returns whether it was kept.
    pub fn insert(&self, ticket: ReadTicket, case_id: i64, view: Arc<PublicCaseView>, seq: i64) -> bool {
        let mut g = self.lock();
        if ticket.0 < g.floor || g.recent.get(&case_id).is_some_and(|&at| at > ticket.0) {
            return false;
        }
        if g.by_code.len() >= MAX_ENTRIES
            && !g.by_code.contains_key(&view.tracking_code)
            && let Some(code) = g.by_code.keys().next().cloned()
            && let Some(old) = g.by_code.remove(&code)
        {
            g.code_of.remove(&old.case_id);
        }
        let code = view.tracking_code.clone();
        g.code_of.insert(case_id, code.clone());
        g.by_code.insert(code, Entry { case_id, view, seq });
        true
    }

    /// Drops a case's view: it changed (committed). Reads already under way will not insert.
    pub fn invalidate(&self, case_id: i64) {
        let mut g = self.lock();
        g.generation += 1;
        let generation = g.generation;
        if let Some(code) = g.code_of.remove(&case_id) {
            g.by_code.remove(&code);
        }
        if g.recent.len() >= MAX_RECENT {
            g.recent.clear();
            g.floor = generation;
        }
        g.recent.insert(case_id, generation);
    }

    /// Drops everything, and refuses every read under way (the tail skipped events unread).
    pub fn invalidate_all(&self) {
        let mut g = self.lock();
        g.generation += 1;
        g.floor = g.generation;
        g.recent.clear();
        g.by_code.clear();
        g.code_of.clear();
    }

    /// Number of views held.
    pub fn len(&self) -> usize {
        self.lock().by_code.len()
    }

    /// Whether no view is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn view(code: &str, status: &'static str) -> Arc<PublicCaseView> {
        Arc::new(PublicCaseView {
            tracking_code: code.into(),
            status,
            status_zh: "",
            status_en: "",
            category: None,
            approx_lat: None,
            approx_lon: None,
            subdistrict: None,
            community: None,
            place_en: vec![],
            handler_unit: None,
            description: String::new(),
            address: None,
            description_en: String::new(),
            address_en: None,
            created_at: String::new(),
            closed_at: None,
            timeline: vec![],
            result_photos: vec![],
        })
    }

    #[test]
    fn a_view_stays_until_its_case_changes() {
        let c = PublicViewCache::default();
        let t = c.begin_read();
        assert!(c.insert(t, 1, view("AAAAAAAAAA", "received"), 5));
        assert!(c.insert(c.begin_read(), 2, view("BBBBBBBBBB", "received"), 6));
        assert_eq!(c.get("AAAAAAAAAA").unwrap().1, 5);
        c.invalidate(1);
        assert!(c.get("AAAAAAAAAA").is_none());
        assert!(c.get("BBBBBBBBBB").is_some(), "other cases stay");
        c.invalidate_all();
        assert!(c.is_empty());
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_kept() {
        let c = PublicViewCache::default();
        // The reader starts, the case changes (and is announced), then the old read arrives.
        let stale = c.begin_read();
        c.invalidate(1);
        assert!(!c.insert(stale, 1, view("AAAAAAAAAA", "received"), 5));
        assert!(c.get("AAAAAAAAAA").is_none());
        // Another case's change does not refuse it.
        let t = c.begin_read();
        c.invalidate(2);
        assert!(c.insert(t, 1, view("AAAAAAAAAA", "registered"), 7));
        // Reads begun before invalidate_all are refused.
        let before = c.begin_read();
        c.invalidate_all();
        assert!(!c.insert(before, 3, view("CCCCCCCCCC", "received"), 8));
    }

    #[test]
    fn forgetting_invalidations_refuses_the_reads_they_might_concern() {
        let c = PublicViewCache::default();
        let old = c.begin_read();
        c.invalidate(1);
        for id in 100..(100 + MAX_RECENT as i64) {
            c.invalidate(id);
        }
        // Case 1's invalidation may have been forgotten: the old read must not insert.
        assert!(!c.insert(old, 1, view("AAAAAAAAAA", "received"), 5));
        assert!(c.insert(c.begin_read(), 1, view("AAAAAAAAAA", "registered"), 9));
    }

    #[test]
    fn the_cache_is_bounded() {
        let c = PublicViewCache::default();
        for id in 0..(MAX_ENTRIES as i64 + 50) {
            let code = format!("{id:0>10}");
            assert!(c.insert(c.begin_read(), id, view(&code, "received"), id));
        }
        assert_eq!(c.len(), MAX_ENTRIES);
        let g = c.lock();
        assert_eq!(g.code_of.len(), MAX_ENTRIES, "the id index follows the entries");
    }
}
