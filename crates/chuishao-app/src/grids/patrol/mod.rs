//! Street people and patrols (巡查): who answers for each street, and patrols that walk a
//! street, record a track, tick the checklist and report problems as cases.

mod demo;
mod patrols;
mod people;

pub use patrols::{
    ChecklistTickView, FindingView, PatrolListQuery, PatrolProblemInput, PatrolView, TrackPointInput, TrackPointView,
};
pub use people::{CouncilView, PersonRefView, StreetListView, StreetPeopleInput, StreetRefView, StreetView};

use crate::grids::Grids;
use crate::{AppError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::org::path_within;
use chuishao_domain::patrol::{Checklist, DEFAULT_PATROL_PERIOD_MS};
use std::sync::Arc;

/// The shipped checklist: "ten haves, ten have-nots" (十有十无).
pub const DEMO_CHECKLIST: &str = include_str!("../../../../../data/patrol_checklist.toml");

/// The patrol checklist and the period after which a street counts as unpatrolled.
#[derive(Clone)]
pub struct PatrolSettings {
    checklist: Arc<Checklist>,
    period_ms: i64,
}

impl Default for PatrolSettings {
    fn default() -> Self {
        let checklist = match Checklist::parse_toml(DEMO_CHECKLIST) {
            Ok(c) => c,
            // The shipped file is tested; an empty list would only refuse every tick.
            Err(_) => Checklist { name_zh: String::new(), name_en: String::new(), items: vec![] },
        };
        PatrolSettings { checklist: Arc::new(checklist), period_ms: DEFAULT_PATROL_PERIOD_MS }
    }
}

impl<'a> Grids<'a> {
    /// The patrol checklist in use.
    pub fn patrol_checklist(&self) -> &'a Checklist {
        &self.app.patrol.checklist
    }

    pub fn patrol_period_ms(&self) -> i64 {
        self.patrol.period_ms
    }
}

/// Whether some binding of `actor` with one of `roles` (any role when empty) lies on the same
/// branch of the tree as `community_path`: above it (covers it) or inside it (a grid in it).
pub(crate) fn related(actor: &Actor, roles: &[Role], community_path: &str) -> bool {
    actor.bindings.iter().any(|b| {
        (roles.is_empty() || roles.contains(&b.role))
            && (path_within(community_path, &b.org_path) || path_within(&b.org_path, community_path))
    })
}

/// Streets outside the actor's roles are not found, as cases are.
pub(crate) fn check_visible(actor: &Actor, community_path: &str) -> Result<()> {
    if related(actor, &[], community_path) { Ok(()) } else { Err(AppError::NotFound("street")) }
}

impl crate::App {
    /// Replaces the patrol checklist with a TOML file's text (see `data/patrol_checklist.toml`).
    pub fn with_patrol_checklist(mut self, toml_text: &str) -> Result<Self> {
        self.patrol.checklist = Arc::new(Checklist::parse_toml(toml_text)?);
        Ok(self)
    }

    /// Sets the default period after which a street not patrolled is flagged.
    pub fn with_patrol_period_ms(mut self, period_ms: i64) -> Self {
        self.patrol.period_ms = period_ms.max(1);
        self
    }
}
