//! Streets' people and patrols (巡查): who answers for a street (街巷长, 巷管家, the street
//! council), and the rules of a patrol — a track of timestamped points, a ticked checklist,
//! problems found, then finished. A street not patrolled within a period is flagged.
//!
//! Pure: every instant is passed in.

use crate::{DomainError, Millis};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most people in one duty list of a street (chiefs, stewards, council members).
pub const MAX_PEOPLE_PER_DUTY: usize = 20;
/// Most track points one request may add.
pub const MAX_POINTS_PER_REQUEST: usize = 500;
/// Most track points one patrol may hold.
pub const MAX_TRACK_POINTS: usize = 5000;
/// How far ahead of the server's clock a device's timestamp may be (clock skew).
pub const CLOCK_SKEW_MS: Millis = 60_000;
/// The default period after which an unpatrolled street is flagged: one day.
pub const DEFAULT_PATROL_PERIOD_MS: Millis = 86_400_000;

/// What someone does on a street.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 街巷长: the official who answers for the street.
    Chief,
    /// 巷管家: a resident volunteer who looks after an alley.
    Steward,
    /// The council's chair (one of the chiefs).
    CouncilChief,
    CouncilSecretary,
    CouncilMember,
}

impl Duty {
    pub const ALL: [Duty; 5] =
        [Duty::Chief, Duty::Steward, Duty::CouncilChief, Duty::CouncilSecretary, Duty::CouncilMember];

    pub fn as_str(self) -> &'static str {
        match self {
            Duty::Chief => "chief",
            Duty::Steward => "steward",
            Duty::CouncilChief => "council_chief",
            Duty::CouncilSecretary => "council_secretary",
            Duty::CouncilMember => "council_member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Duty::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// A street's council (街巷理事会): a chair who is one of the street's chiefs, a secretary,
/// and members.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Council {
    pub chief: String,
    pub secretary: Option<String>,
    pub members: Vec<String>,
}

/// Everyone assigned to a street, by username.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StreetPeople {
    pub chiefs: Vec<String>,
    pub stewards: Vec<String>,
    pub council: Option<Council>,
}

impl StreetPeople {
    /// Checks the assignment's shape; returns every problem as (field, reason).
    pub fn check(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (field, list) in [("chiefs", &self.chiefs), ("stewards", &self.stewards)] {
            check_list(field, list, &mut out);
        }
        if let Some(c) = &self.council {
            if !self.chiefs.contains(&c.chief) {
                out.push(("council.chief", format!("{} must be one of the street's chiefs", c.chief)));
            }
            check_list("council.members", &c.members, &mut out);
            if let Some(s) = &c.secretary
                && *s == c.chief
            {
                out.push(("council.secretary", "the secretary cannot be the chair".into()));
            }
            if c.members.iter().any(|m| *m == c.chief || Some(m) == c.secretary.as_ref()) {
                out.push(("council.members", "the chair and the secretary are not listed again as members".into()));
            }
        }
        out
    }

    /// The (username, duty) pairs to store.
    pub fn assignments(&self) -> Vec<(String, Duty)> {
        let mut out: Vec<(String, Duty)> = self.chiefs.iter().map(|u| (u.clone(), Duty::Chief)).collect();
        out.extend(self.stewards.iter().map(|u| (u.clone(), Duty::Steward)));
        if let Some(c) = &self.council {
            out.push((c.chief.clone(), Duty::CouncilChief));
            out.extend(c.secretary.iter().map(|u| (u.clone(), Duty::CouncilSecretary)));
            out.extend(c.members.iter().map(|u| (u.clone(), Duty::CouncilMember)));
        }
        out
    }

    /// Rebuilds the assignment from stored (username, duty) pairs.
    pub fn from_assignments(rows: &[(String, Duty)]) -> Self {
        let mut p = StreetPeople::default();
        let mut council = Council::default();
        let mut has_council = false;
        for (u, d) in rows {
            match d {
                Duty::Chief => p.chiefs.push(u.clone()),
                Duty::Steward => p.stewards.push(u.clone()),
                Duty::CouncilChief => {
                    has_council = true;
                    council.chief = u.clone();
                }
                Duty::CouncilSecretary => council.secretary = Some(u.clone()),
                Duty::CouncilMember => council.members.push(u.clone()),
            }
        }
        if has_council {
            p.council = Some(council);
        }
        p
    }
}

fn check_list(field: &'static str, list: &[String], out: &mut Vec<(&'static str, String)>) {
    if list.len() > MAX_PEOPLE_PER_DUTY {
        out.push((field, format!("at most {MAX_PEOPLE_PER_DUTY} people")));
    }
    let mut seen = BTreeSet::new();
    for u in list {
        if !seen.insert(u) {
            out.push((field, format!("{u} is listed twice")));
        }
    }
}

/// Where a patrol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatrolStatus {
    Ongoing,
    Finished,
}

impl PatrolStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PatrolStatus::Ongoing => "ongoing",
            PatrolStatus::Finished => "finished",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ongoing" => Some(PatrolStatus::Ongoing),
            "finished" => Some(PatrolStatus::Finished),
            _ => None,
        }
    }
}

/// A patrol as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patrol {
    pub patroller_id: i64,
    pub status: PatrolStatus,
    pub started_at: Millis,
    /// Number of stored track points and the instant of the last one.
    pub points: usize,
    pub last_point_at: Option<Millis>,
}

/// One track point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    pub at: Millis,
    pub lat: f64,
    pub lon: f64,
}

impl Patrol {
    /// Only the patroller acts on their patrol, and only while it is ongoing.
    pub fn check_can_act(&self, actor_id: i64, action: &str) -> Result<(), DomainError> {
        if actor_id != self.patroller_id {
            return Err(DomainError::Forbidden("only the patroller acts on a patrol".into()));
        }
        if self.status != PatrolStatus::Ongoing {
            return Err(DomainError::IllegalTransition { action: action.into(), state: self.status.as_str().into() });
        }
        Ok(())
    }

    /// Checks points to add at `now`: a bounded count, coordinates in range, instants in
    /// order, none before the patrol started or the last stored point, none in the future.
    pub fn check_points(&self, points: &[TrackPoint], now: Millis) -> Result<(), DomainError> {
        if points.is_empty() {
            return Err(DomainError::invalid("points", "at least one point"));
        }
        if points.len() > MAX_POINTS_PER_REQUEST {
            return Err(DomainError::invalid("points", format!("at most {MAX_POINTS_PER_REQUEST} points per request")));
        }
        if self.points + points.len() > MAX_TRACK_POINTS {
            return Err(DomainError::invalid(
                "points",
                format!("a patrol holds at most {MAX_TRACK_POINTS} points ({} stored)", self.points),
            ));
        }
        let mut prev = self.last_point_at.unwrap_or(self.started_at).max(self.started_at);
        for (i, p) in points.iter().enumerate() {
            if !p.lat.is_finite() || !(-90.0..=90.0).contains(&p.lat) {
                return Err(DomainError::invalid("points", format!("point {i}: lat must be between -90 and 90")));
            }
            if !p.lon.is_finite() || !(-180.0..=180.0).contains(&p.lon) {
                return Err(DomainError::invalid("points", format!("point {i}: lon must be between -180 and 180")));
            }
            if p.at < prev {
                return Err(DomainError::invalid(
                    "points",
                    format!("point {i}: time goes backwards (before the patrol's start or an earlier point)"),
                ));
            }
            if p.at > now + CLOCK_SKEW_MS {
                return Err(DomainError::invalid("points", format!("point {i}: time is in the future")));
            }
            prev = p.at;
        }
        Ok(())
    }
}

/// Whether a street whose last finished patrol was at `last` is overdue at `now`.
pub fn unpatrolled(last: Option<Millis>, now: Millis, period_ms: Millis) -> bool {
    last.is_none_or(|t| now - t > period_ms)
}

/// A checklist item kind: something the street should have (有) or should not have (无).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Have,
    HaveNot,
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub id: String,
    pub kind: ItemKind,
    pub zh: String,
    pub en: String,
}

/// The patrol checklist (a data file, see `data/patrol_checklist.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    pub name_zh: String,
    pub name_en: String,
    #[serde(rename = "item")]
    pub items: Vec<ChecklistItem>,
}

impl Checklist {
    /// Parses and checks a checklist file (TOML).
    pub fn parse_toml(text: &str) -> Result<Self, DomainError> {
        let c: Checklist =
            toml::from_str(text).map_err(|e| DomainError::invalid("checklist", e.message().to_string()))?;
        if c.items.is_empty() || c.items.len() > 100 {
            return Err(DomainError::invalid("checklist", "between 1 and 100 items"));
        }
        let mut seen = BTreeSet::new();
        for it in &c.items {
            if it.id.is_empty() || it.id.len() > 40 || !it.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(DomainError::invalid("checklist", format!("item id {:?}: 1–40 of a-z 0-9 _", it.id)));
            }
            if !seen.insert(&it.id) {
                return Err(DomainError::invalid("checklist", format!("item id {} twice", it.id)));
            }
        }
        Ok(c)
    }

    /// Checks ticks (item id → satisfied) against the list and merges them into `current`.
    pub fn tick(
        &self,
        current: &BTreeMap<String, bool>,
        ticks: &BTreeMap<String, bool>,
    ) -> Result<BTreeMap<String, bool>, DomainError> {
        if ticks.is_empty() {
            return Err(DomainError::invalid("ticks", "at least one item"));
        }
        if let Some(unknown) = ticks.keys().find(|k| !self.items.iter().any(|i| &i.id == *k)) {
            return Err(DomainError::invalid("ticks", format!("no checklist item {unknown}")));
        }
        let mut out = current.clone();
        out.extend(ticks.iter().map(|(k, v)| (k.clone(), *v)));
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn patrol(points: usize, last: Option<Millis>) -> Patrol {
        Patrol { patroller_id: 7, status: PatrolStatus::Ongoing, started_at: 1000, points, last_point_at: last }
    }

    #[test]
    fn the_shipped_checklist_parses() {
        let c = Checklist::parse_toml(include_str!("../../../data/patrol_checklist.toml")).unwrap();
        assert_eq!(c.items.len(), 20);
        assert_eq!(c.items.iter().filter(|i| i.kind == ItemKind::Have).count(), 10);
        let ticks = BTreeMap::from([(c.items[0].id.clone(), true)]);
        assert_eq!(c.tick(&BTreeMap::new(), &ticks).unwrap().len(), 1);
        assert!(c.tick(&BTreeMap::new(), &BTreeMap::from([("nope".to_string(), true)])).is_err());
        assert!(Checklist::parse_toml("name_zh = 'x'\nname_en = 'x'\nitem = []").is_err());
    }

    #[test]
    fn council_rules() {
        let ok = StreetPeople {
            chiefs: vec!["a".into()],
            stewards: vec!["b".into(), "c".into()],
            council: Some(Council { chief: "a".into(), secretary: Some("b".into()), members: vec!["c".into()] }),
        };
        assert!(ok.check().is_empty());
        assert_eq!(StreetPeople::from_assignments(&ok.assignments()), ok);
        let mut bad = ok.clone();
        bad.council.as_mut().unwrap().chief = "z".into();
        bad.stewards.push("b".into());
        let fields: Vec<_> = bad.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["stewards", "council.chief"]);
    }

    #[test]
    fn only_the_patroller_acts_while_ongoing() {
        let mut p = patrol(0, None);
        assert!(p.check_can_act(7, "finish").is_ok());
        assert!(matches!(p.check_can_act(8, "finish"), Err(DomainError::Forbidden(_))));
        p.status = PatrolStatus::Finished;
        assert!(matches!(p.check_can_act(7, "finish"), Err(DomainError::IllegalTransition { .. })));
    }

    #[test]
    fn points_are_bounded_and_in_order() {
        let p = patrol(MAX_TRACK_POINTS - 1, Some(2000));
        let pt = |at| TrackPoint { at, lat: 39.9, lon: 116.4 };
        assert!(p.check_points(&[pt(2000)], 3000).is_ok());
        assert!(p.check_points(&[pt(2000), pt(2001)], 3000).is_err(), "over the patrol's bound");
        assert!(p.check_points(&[pt(1999)], 3000).is_err(), "before the last point");
        assert!(p.check_points(&[pt(3000 + CLOCK_SKEW_MS + 1)], 3000).is_err(), "future");
        assert!(p.check_points(&[TrackPoint { at: 2500, lat: f64::NAN, lon: 116.0 }], 3000).is_err());
        assert!(p.check_points(&[], 3000).is_err());
    }

    proptest! {
        #[test]
        fn accepted_points_never_go_backwards(times in proptest::collection::vec(0i64..10_000, 1..50),
                                              lat in -100.0f64..100.0, now in 0i64..20_000) {
            let p = patrol(0, None);
            let pts: Vec<TrackPoint> = times.iter().map(|&at| TrackPoint { at, lat, lon: 116.0 }).collect();
            if p.check_points(&pts, now).is_ok() {
                prop_assert!(pts.windows(2).all(|w| w[0].at <= w[1].at));
                prop_assert!(pts.iter().all(|x| x.at >= p.started_at && x.at <= now + CLOCK_SKEW_MS));
                prop_assert!((-90.0..=90.0).contains(&lat));
            }
        }

        #[test]
        fn unpatrolled_is_monotonic_in_time(last in 0i64..1_000_000, now in 0i64..2_000_000, later in 0i64..1_000_000,
                                            period in 1i64..500_000) {
            // Once flagged, a street stays flagged until someone patrols it.
            if unpatrolled(Some(last), now, period) {
                prop_assert!(unpatrolled(Some(last), now + later, period));
            }
            prop_assert!(unpatrolled(None, now, period));
        }
    }
}
