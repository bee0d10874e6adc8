//! The whistle (吹哨报到): a subdistrict (or a department) summons departments or their
//! stationed units to a place; each summoned unit acknowledges, checks in on site (or, for a
//! routine whistle, replies in writing), and reports its part done; the raiser confirms and
//! rates each unit.
//!
//! ```text
//! per unit:  summoned → acknowledged → checked_in ─┐
//!                                  └→ replied ─────┴→ done → (rated)
//! whistle:   open → closed (every unit done + confirm) | cancelled
//! ```
//!
//! As with cases, `decide` checks version, permission, state and fields and answers with
//! `WhistleEvent`s; `apply` folds them. Check-in deadlines are computed by the application
//! with the working-day calendar and passed in; the timer worker fires `check_in_overdue`
//! and an automatic supervision (督办) for a unit that has not checked in by then.

mod lifecycle;
#[cfg(test)]
mod tests;

pub use lifecycle::{
    FAR_METRES, apply, decide, distance_m, execute, fire_overdue, from_raised, next_fire_at, raise, retime_check_in,
    supervision_due,
};

use crate::Millis;
use crate::access::{Actor, Role};
use crate::ids::{OrgId, WhistleId};
use crate::org::OrgKind;
use chuishao_calendar::Allowance;
use serde::{Deserialize, Serialize};

/// What kind of whistle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhistleKind {
    /// 日常吹哨: a residents' problem the subdistrict cannot solve alone.
    Routine,
    /// 综合执法吹哨: joint enforcement.
    JointEnforcement,
    /// 应急吹哨: an emergency.
    Emergency,
}

impl WhistleKind {
    pub const ALL: [WhistleKind; 3] = [WhistleKind::Routine, WhistleKind::JointEnforcement, WhistleKind::Emergency];
    pub fn as_str(self) -> &'static str {
        match self {
            WhistleKind::Routine => "routine",
            WhistleKind::JointEnforcement => "joint_enforcement",
            WhistleKind::Emergency => "emergency",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        WhistleKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How long a summoned unit has to check in, per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhistlePolicy {
    pub routine: Allowance,
    pub joint_enforcement: Allowance,
    pub emergency: Allowance,
}

impl Default for WhistlePolicy {
    fn default() -> Self {
        WhistlePolicy {
            routine: Allowance::WorkingDays(1),
            joint_enforcement: Allowance::working_hours(2),
            emergency: Allowance::WallMs(30 * 60_000),
        }
    }
}

impl WhistlePolicy {
    /// Parses a deployment's whistle policy (TOML): any of `routine`, `joint_enforcement`,
    /// `emergency`, each an allowance like the deadline policy's (`1wd`, `2wh`, `2h`, `30m`);
    /// kinds left out keep their default. Unknown keys and bad values are refused, naming them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut p = WhistlePolicy::default();
        for (key, value) in &table {
            let kind = WhistleKind::parse(key).ok_or_else(|| {
                format!("unknown key {key:?} (write {})", WhistleKind::ALL.map(|k| k.as_str()).join(", "))
            })?;
            let text = value.as_str().ok_or_else(|| format!("{key}: write a string like \"30m\" or \"1wd\""))?;
            let a = crate::deadlines::parse_allowance(text).map_err(|e| format!("{key}: {e}"))?;
            match kind {
                WhistleKind::Routine => p.routine = a,
                WhistleKind::JointEnforcement => p.joint_enforcement = a,
                WhistleKind::Emergency => p.emergency = a,
            }
        }
        Ok(p)
    }

    pub fn check_in_allowance(&self, kind: WhistleKind) -> Allowance {
        match kind {
            WhistleKind::Routine => self.routine,
            WhistleKind::JointEnforcement => self.joint_enforcement,
            WhistleKind::Emergency => self.emergency,
        }
    }
}

/// A check-in allowance as stored with a whistle: the calendar's `Allowance`, serialisable.
/// It is also the supervision period: a unit still out is supervised again each time it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckInWithin {
    WallMs(i64),
    WorkingMs(i64),
    WorkingDays(i64),
}

impl From<Allowance> for CheckInWithin {
    fn from(a: Allowance) -> Self {
        match a {
            Allowance::WallMs(ms) => CheckInWithin::WallMs(ms),
            Allowance::WorkingMs(ms) => CheckInWithin::WorkingMs(ms),
            Allowance::WorkingDays(d) => CheckInWithin::WorkingDays(d),
        }
    }
}

impl From<CheckInWithin> for Allowance {
    fn from(a: CheckInWithin) -> Self {
        match a {
            CheckInWithin::WallMs(ms) => Allowance::WallMs(ms),
            CheckInWithin::WorkingMs(ms) => Allowance::WorkingMs(ms),
            CheckInWithin::WorkingDays(d) => Allowance::WorkingDays(d),
        }
    }
}

/// Where a whistle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhistleStatus {
    Open,
    Closed,
    Cancelled,
}

impl WhistleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WhistleStatus::Open => "open",
            WhistleStatus::Closed => "closed",
            WhistleStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [WhistleStatus::Open, WhistleStatus::Closed, WhistleStatus::Cancelled].into_iter().find(|x| x.as_str() == s)
    }
}

/// Where one summoned unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    Summoned,
    Acknowledged,
    CheckedIn,
    Replied,
    Done,
}

impl UnitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Summoned => "summoned",
            UnitStatus::Acknowledged => "acknowledged",
            UnitStatus::CheckedIn => "checked_in",
            UnitStatus::Replied => "replied",
            UnitStatus::Done => "done",
        }
    }
    /// Whether the unit has not yet checked in (or replied).
    pub fn awaiting_check_in(self) -> bool {
        matches!(self, UnitStatus::Summoned | UnitStatus::Acknowledged)
    }
}

/// An organisation taking part in a whistle (the raiser or a summoned unit), resolved by the
/// application from the org tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub id: OrgId,
    pub code: String,
    pub kind: OrgKind,
    pub path: String,
}

/// One summoned unit and how it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummonedUnit {
    pub org: OrgRef,
    pub task: String,
    pub status: UnitStatus,
    /// When the unit must have checked in.
    pub due_at: Millis,
    pub acknowledged_at: Option<Millis>,
    /// When it checked in on site (or replied).
    pub checked_in_at: Option<Millis>,
    pub late: bool,
    /// Checked in farther than `FAR_METRES` from the place.
    pub far: bool,
    pub distance_m: Option<f64>,
    pub done_at: Option<Millis>,
    /// Set by the timer worker when the check-in deadline passed without a check-in.
    pub overdue_at: Option<Millis>,
    /// The supervision level reached (0–3).
    pub supervisions: u32,
    /// When a unit still out is next supervised again (the next level).
    #[serde(default)]
    pub next_supervision_at: Option<Millis>,
    pub rating: Option<u8>,
}

/// The state of a whistle the rules read and write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Whistle {
    pub id: WhistleId,
    pub kind: WhistleKind,
    pub status: WhistleStatus,
    pub raised_by: OrgRef,
    pub raised_at: Millis,
    pub lat: f64,
    pub lon: f64,
    pub units: Vec<SummonedUnit>,
    pub version: i64,
    /// The check-in allowance the units were given (absent on whistles raised before it was
    /// recorded: the kind's policy default then applies).
    #[serde(default)]
    pub check_in_within: Option<CheckInWithin>,
}

impl Whistle {
    /// The whistle's scope for access checks; `place_path` is the path of the place it takes
    /// place in (empty when it could not be placed).
    pub fn scope<'a>(&'a self, place_path: &'a str) -> crate::access::WhistleScope<'a> {
        crate::access::WhistleScope {
            raiser_path: &self.raised_by.path,
            place_path: Some(place_path).filter(|p| !p.is_empty()),
            unit_paths: self.units.iter().map(|u| u.org.path.as_str()).collect(),
        }
    }

    /// The check-in allowance the units were given (the kind's default under `policy` for a
    /// whistle raised before it was recorded).
    pub fn allowance(&self, policy: &WhistlePolicy) -> Allowance {
        self.check_in_within.map_or_else(|| policy.check_in_allowance(self.kind), Allowance::from)
    }

    /// Whether unit `u`'s check-in deadline counts working time across a year without an
    /// official schedule (computed from the statutory rules): it may move when that year is
    /// imported.
    pub fn provisional(&self, u: &SummonedUnit, cal: &chuishao_calendar::Calendar, policy: &WhistlePolicy) -> bool {
        !matches!(self.allowance(policy), Allowance::WallMs(_)) && cal.provisional_between(self.raised_at, u.due_at)
    }
}

/// A new whistle, checked and resolved by the application.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWhistle {
    pub kind: WhistleKind,
    pub raised_by: OrgRef,
    pub title: String,
    pub description: String,
    pub case_ids: Vec<i64>,
    pub lat: f64,
    pub lon: f64,
    pub address: String,
    /// `(unit, task, check-in due instant)`.
    pub units: Vec<(OrgRef, String, Millis)>,
    /// The allowance the due instants were computed with (also the supervision period).
    pub check_in_within: Option<CheckInWithin>,
}

/// What an actor asks to happen to a whistle. Unit actions name the unit by its org code.
#[derive(Debug, Clone, PartialEq)]
pub enum WhistleCommand {
    Acknowledge { unit: String },
    CheckIn { unit: String, lat: f64, lon: f64, note: Option<String> },
    Reply { unit: String, text: String },
    ReportDone { unit: String, report: String, photos: Vec<String> },
    Confirm,
    Rate { unit: String, score: i64, reason: Option<String> },
    Cancel { reason: String },
}

impl WhistleCommand {
    pub fn action(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Which action the command is.
    pub fn kind(&self) -> Action {
        match self {
            WhistleCommand::Acknowledge { .. } => Action::Acknowledge,
            WhistleCommand::CheckIn { .. } => Action::CheckIn,
            WhistleCommand::Reply { .. } => Action::Reply,
            WhistleCommand::ReportDone { .. } => Action::ReportDone,
            WhistleCommand::Confirm => Action::Confirm,
            WhistleCommand::Rate { .. } => Action::Rate,
            WhistleCommand::Cancel { .. } => Action::Cancel,
        }
    }
}

/// A whistle action by name (what `POST /api/v1/whistles/{id}/transitions` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Acknowledge,
    CheckIn,
    Reply,
    ReportDone,
    Confirm,
    Rate,
    Cancel,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Acknowledge,
        Action::CheckIn,
        Action::Reply,
        Action::ReportDone,
        Action::Confirm,
        Action::Rate,
        Action::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::CheckIn => "check_in",
            Action::Reply => "reply",
            Action::ReportDone => "report_done",
            Action::Confirm => "confirm",
            Action::Rate => "rate",
            Action::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether the action names the summoned unit acting (or rated).
    pub fn names_unit(self) -> bool {
        !matches!(self, Action::Confirm | Action::Cancel)
    }
}

/// The action names, as the API spells them.
pub const ACTIONS: [&str; 7] = ["acknowledge", "check_in", "reply", "report_done", "confirm", "rate", "cancel"];

/// One fact in a whistle's history (stream `whistle` of the event log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WhistleEvent {
    Raised {
        kind: WhistleKind,
        raised_by: OrgRef,
        title: String,
        description: String,
        case_ids: Vec<i64>,
        lat: f64,
        lon: f64,
        address: String,
        units: Vec<RaisedUnit>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check_in_within: Option<CheckInWithin>,
    },
    Acknowledged {
        unit: String,
    },
    CheckedIn {
        unit: String,
        lat: f64,
        lon: f64,
        distance_m: f64,
        far: bool,
        late: bool,
        note: Option<String>,
    },
    Replied {
        unit: String,
        text: String,
        late: bool,
    },
    ReportedDone {
        unit: String,
        report: String,
        photos: Vec<String>,
    },
    Confirmed,
    Rated {
        unit: String,
        score: u8,
        reason: Option<String>,
    },
    Cancelled {
        reason: String,
    },
    /// The check-in deadline passed without a check-in (timer worker).
    CheckInOverdue {
        unit: String,
        due_at: Millis,
    },
    /// Automatic supervision of a unit that has not checked in (timer worker).
    Supervised {
        unit: String,
        count: u32,
        to_org_id: Option<OrgId>,
        note: String,
        /// When the unit is supervised again (the next level) if it still has not checked in.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_at: Option<Millis>,
        /// The supervision level (1–3); absent on supervisions recorded before levels, when
        /// `count` counted check-in periods.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<u8>,
    },
    /// A unit's check-in deadline recomputed on a changed calendar (an official year imported
    /// over a provisional one): `from_due_at` was the deadline, `due_at` is. What has fired
    /// stays fired; `next_supervision_at` is when a unit already found overdue is next
    /// supervised, recomputed from the new deadline (none while it is not overdue).
    CheckInRetimed {
        unit: String,
        from_due_at: Millis,
        due_at: Millis,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_supervision_at: Option<Millis>,
    },
}

/// A unit as summoned in the `raised` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaisedUnit {
    pub org: OrgRef,
    pub task: String,
    pub due_at: Millis,
}

impl WhistleEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            WhistleEvent::Raised { .. } => "whistle_raised",
            WhistleEvent::Acknowledged { .. } => "whistle_acknowledged",
            WhistleEvent::CheckedIn { .. } => "whistle_checked_in",
            WhistleEvent::Replied { .. } => "whistle_replied",
            WhistleEvent::ReportedDone { .. } => "whistle_reported_done",
            WhistleEvent::Confirmed => "whistle_confirmed",
            WhistleEvent::Rated { .. } => "whistle_rated",
            WhistleEvent::Cancelled { .. } => "whistle_cancelled",
            WhistleEvent::CheckInOverdue { .. } => "whistle_check_in_overdue",
            WhistleEvent::Supervised { .. } => "whistle_supervised",
            WhistleEvent::CheckInRetimed { .. } => "whistle_check_in_retimed",
        }
    }

    /// The summoned unit (code) the event is about, if it is about one.
    pub fn unit(&self) -> Option<&str> {
        match self {
            WhistleEvent::Acknowledged { unit }
            | WhistleEvent::CheckedIn { unit, .. }
            | WhistleEvent::Replied { unit, .. }
            | WhistleEvent::ReportedDone { unit, .. }
            | WhistleEvent::Rated { unit, .. }
            | WhistleEvent::CheckInOverdue { unit, .. }
            | WhistleEvent::Supervised { unit, .. }
            | WhistleEvent::CheckInRetimed { unit, .. } => Some(unit),
            WhistleEvent::Raised { .. } | WhistleEvent::Confirmed | WhistleEvent::Cancelled { .. } => None,
        }
    }

    /// Written by the timer worker or the re-timing pass: does not bump the version.
    pub fn is_system(&self) -> bool {
        matches!(
            self,
            WhistleEvent::CheckInOverdue { .. } | WhistleEvent::Supervised { .. } | WhistleEvent::CheckInRetimed { .. }
        )
    }
}

impl crate::record::Record for Whistle {
    const KIND: crate::record::StreamKind = crate::record::StreamKind::Whistle;
    type Id = WhistleId;
    type Command = WhistleCommand;
    type Event = WhistleEvent;

    fn id(&self) -> WhistleId {
        self.id
    }

    fn version(&self) -> i64 {
        self.version
    }

    fn decide(
        w: &Whistle,
        command: &WhistleCommand,
        actor: &Actor,
        now: Millis,
    ) -> Result<Vec<WhistleEvent>, crate::DomainError> {
        lifecycle::decide(w, actor, command, w.version, now)
    }

    fn apply(state: Option<Whistle>, e: &crate::record::Recorded<'_, WhistleEvent>) -> Option<Whistle> {
        let mut w = match (state, e.event) {
            (None, WhistleEvent::Raised { .. }) => from_raised(WhistleId(e.stream_id), e.event, e.at),
            (None, _) | (Some(_), WhistleEvent::Raised { .. }) => return None,
            (Some(mut w), event) => {
                apply(&mut w, event, e.at);
                w
            }
        };
        w.version = e.version;
        Some(w)
    }

    fn event_kind(e: &WhistleEvent) -> &'static str {
        e.kind()
    }

    fn is_system(e: &WhistleEvent) -> bool {
        e.is_system()
    }
}

/// Roles that act for the raiser (confirm, rate, cancel) when their binding covers it.
pub const RAISER_ROLES: &[Role] = &[Role::Admin, Role::Dispatcher, Role::SubdistrictLeader];
/// Roles that act for a summoned unit when their binding covers it.
pub const UNIT_ROLES: &[Role] = &[Role::Admin, Role::DepartmentStaff];

/// Whether `actor` may act for the raiser `raiser` (a department's own staff raise for it).
pub fn acts_for_raiser(actor: &Actor, raiser: &OrgRef) -> bool {
    actor.bindings.iter().any(|b| {
        crate::org::path_within(&raiser.path, &b.org_path)
            && (RAISER_ROLES.contains(&b.role)
                || (b.role == Role::DepartmentStaff
                    && matches!(raiser.kind, OrgKind::Department | OrgKind::StationedUnit)))
    })
}

/// Whether `actor` may act for the summoned unit `unit`.
pub fn acts_for_unit(actor: &Actor, unit: &OrgRef) -> bool {
    actor.bindings.iter().any(|b| UNIT_ROLES.contains(&b.role) && crate::org::path_within(&unit.path, &b.org_path))
}

/// Whether `actor` may raise a whistle for `raiser`: a subdistrict or township (its leaders or
/// dispatchers), a department (its staff), or the district.
pub fn may_raise(actor: &Actor, raiser: &OrgRef) -> bool {
    matches!(
        raiser.kind,
        OrgKind::Subdistrict | OrgKind::Township | OrgKind::Department | OrgKind::StationedUnit | OrgKind::District
    ) && acts_for_raiser(actor, raiser)
}
