//! The whistle's rules: who may do what from which state, and what it changes.

use super::{
    NewWhistle, RaisedUnit, SummonedUnit, UnitStatus, Whistle, WhistleCommand, WhistleEvent, WhistleKind,
    WhistleStatus, acts_for_raiser, acts_for_unit,
};
use crate::access::Actor;
use crate::ids::OrgId;
use crate::{DomainError, Millis};

/// A check-in farther than this from the place is flagged (and needs a note).
pub const FAR_METRES: f64 = 500.0;
/// Most units one whistle may summon.
pub const MAX_UNITS: usize = 30;
/// Most photo references one report may carry.
pub const MAX_PHOTOS: usize = 20;

use crate::cases::{MAX_TEXT, text};

fn coords(lat: f64, lon: f64) -> Result<(), DomainError> {
    if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
        return Err(DomainError::invalid("lat", "must be between -90 and 90"));
    }
    if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
        return Err(DomainError::invalid("lon", "must be between -180 and 180"));
    }
    Ok(())
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().min(1.0).asin()
}

/// Checks a new whistle and answers with its `raised` event.
pub fn raise(w: &NewWhistle) -> Result<WhistleEvent, DomainError> {
    text("title", &w.title)?;
    if w.description.chars().count() > MAX_TEXT {
        return Err(DomainError::invalid("description", "is too long"));
    }
    text("address", &w.address)?;
    coords(w.lat, w.lon)?;
    if w.units.is_empty() {
        return Err(DomainError::invalid("units", "summon at least one department or stationed unit"));
    }
    if w.units.len() > MAX_UNITS {
        return Err(DomainError::invalid("units", format!("at most {MAX_UNITS}")));
    }
    for (i, (org, task, _)) in w.units.iter().enumerate() {
        if !matches!(org.kind, crate::org::OrgKind::Department | crate::org::OrgKind::StationedUnit) {
            return Err(DomainError::invalid("units", format!("{} is not a department or stationed unit", org.code)));
        }
        if org.id == w.raised_by.id {
            return Err(DomainError::invalid("units", "a unit cannot summon itself"));
        }
        if w.units[..i].iter().any(|(o, _, _)| o.id == org.id) {
            return Err(DomainError::invalid("units", format!("{} is summoned twice", org.code)));
        }
        text("task", task)?;
    }
    Ok(WhistleEvent::Raised {
        kind: w.kind,
        raised_by: w.raised_by.clone(),
        title: w.title.trim().to_string(),
        description: w.description.clone(),
        case_ids: w.case_ids.clone(),
        lat: w.lat,
        lon: w.lon,
        address: w.address.trim().to_string(),
        units: w
            .units
            .iter()
            .map(|(org, task, due_at)| RaisedUnit { org: org.clone(), task: task.clone(), due_at: *due_at })
            .collect(),
        check_in_within: w.check_in_within,
    })
}

fn illegal(_w: &Whistle, action: &str, state: String) -> DomainError {
    DomainError::IllegalTransition { action: action.into(), state }
}

fn unit_index(w: &Whistle, code: &str) -> Result<usize, DomainError> {
    w.units
        .iter()
        .position(|u| u.org.code == code)
        .ok_or_else(|| DomainError::invalid("unit_code", format!("{code} is not summoned by this whistle")))
}

/// Checks a command against the whistle and the actor at `now`; answers with its events.
/// Order: version, permission, state, fields (as for cases).
pub fn decide(
    w: &Whistle,
    actor: &Actor,
    cmd: &WhistleCommand,
    expected_version: i64,
    now: Millis,
) -> Result<Vec<WhistleEvent>, DomainError> {
    if expected_version != w.version {
        return Err(DomainError::VersionConflict { expected: expected_version, current: w.version });
    }
    let action = cmd.action();
    let unit_of = |code: &str| -> Result<&SummonedUnit, DomainError> {
        let u = &w.units[unit_index(w, code)?];
        if !acts_for_unit(actor, &u.org) {
            return Err(DomainError::Forbidden(format!("{} may not act for {}", actor.username, u.org.code)));
        }
        Ok(u)
    };
    let for_raiser = || -> Result<(), DomainError> {
        if acts_for_raiser(actor, &w.raised_by) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!("only the raiser {} may {action}", w.raised_by.code)))
        }
    };
    let open = || -> Result<(), DomainError> {
        if w.status == WhistleStatus::Open {
            Ok(())
        } else {
            Err(illegal(w, action, format!("whistle {}", w.status.as_str())))
        }
    };
    let unit_state = |u: &SummonedUnit, ok: bool| -> Result<(), DomainError> {
        if ok { Ok(()) } else { Err(illegal(w, action, format!("unit {} {}", u.org.code, u.status.as_str()))) }
    };
    Ok(match cmd {
        WhistleCommand::Acknowledge { unit } => {
            let u = unit_of(unit)?;
            open()?;
            unit_state(u, u.status == UnitStatus::Summoned)?;
            vec![WhistleEvent::Acknowledged { unit: unit.clone() }]
        }
        WhistleCommand::CheckIn { unit, lat, lon, note } => {
            let u = unit_of(unit)?;
            open()?;
            unit_state(u, u.status == UnitStatus::Acknowledged)?;
            coords(*lat, *lon)?;
            if let Some(n) = note {
                text("note", n)?;
            }
            let d = distance_m(w.lat, w.lon, *lat, *lon);
            let far = d > FAR_METRES;
            if far && note.is_none() {
                return Err(DomainError::invalid(
                    "note",
                    format!("checking in {d:.0} m from the place (more than {FAR_METRES:.0} m) needs a note"),
                ));
            }
            vec![WhistleEvent::CheckedIn {
                unit: unit.clone(),
                lat: *lat,
                lon: *lon,
                distance_m: (d * 10.0).round() / 10.0,
                far,
                late: now > u.due_at,
                note: note.clone(),
            }]
        }
        WhistleCommand::Reply { unit, text: body } => {
            let u = unit_of(unit)?;
            open()?;
            if w.kind != WhistleKind::Routine {
                return Err(illegal(w, action, format!("a {} whistle (check in on site)", w.kind.as_str())));
            }
            unit_state(u, u.status == UnitStatus::Acknowledged)?;
            text("text", body)?;
            vec![WhistleEvent::Replied { unit: unit.clone(), text: body.clone(), late: now > u.due_at }]
        }
        WhistleCommand::ReportDone { unit, report, photos } => {
            let u = unit_of(unit)?;
            open()?;
            unit_state(u, matches!(u.status, UnitStatus::CheckedIn | UnitStatus::Replied))?;
            text("report", report)?;
            if photos.len() > MAX_PHOTOS || photos.iter().any(|p| p.trim().is_empty() || p.len() > 2000) {
                return Err(DomainError::invalid("photos", format!("at most {MAX_PHOTOS} non-empty references")));
            }
            vec![WhistleEvent::ReportedDone { unit: unit.clone(), report: report.clone(), photos: photos.clone() }]
        }
        WhistleCommand::Confirm => {
            for_raiser()?;
            open()?;
            if let Some(u) = w.units.iter().find(|u| u.status != UnitStatus::Done) {
                return Err(illegal(w, action, format!("unit {} still {}", u.org.code, u.status.as_str())));
            }
            vec![WhistleEvent::Confirmed]
        }
        WhistleCommand::Rate { unit, score, reason } => {
            for_raiser()?;
            let u = &w.units[unit_index(w, unit)?];
            if w.status == WhistleStatus::Cancelled {
                return Err(illegal(w, action, "whistle cancelled".into()));
            }
            unit_state(u, u.status == UnitStatus::Done)?;
            if u.rating.is_some() {
                return Err(illegal(w, action, format!("unit {} already rated", u.org.code)));
            }
            if !(1..=5).contains(score) {
                return Err(DomainError::invalid("score", "a whole number from 1 to 5"));
            }
            let reason = reason.as_ref().filter(|r| !r.trim().is_empty());
            if *score < 4 && reason.is_none() {
                return Err(DomainError::invalid("reason", "is required for a rating below 4"));
            }
            if let Some(r) = reason {
                text("reason", r)?;
            }
            vec![WhistleEvent::Rated { unit: unit.clone(), score: *score as u8, reason: reason.cloned() }]
        }
        WhistleCommand::Cancel { reason } => {
            for_raiser()?;
            open()?;
            text("reason", reason)?;
            vec![WhistleEvent::Cancelled { reason: reason.clone() }]
        }
    })
}

/// The instant the timer worker must next look at unit `u`: its check-in deadline until it is
/// found overdue, then its next supervision; none once it has checked in or the whistle is no
/// longer open.
pub fn next_fire_at(w: &Whistle, u: &SummonedUnit) -> Option<Millis> {
    if w.status != WhistleStatus::Open || !u.status.awaiting_check_in() {
        return None;
    }
    match u.overdue_at {
        None => Some(u.due_at),
        Some(_) => u.next_supervision_at,
    }
}

/// Whether unit `u` is due for the timer worker at `now`.
pub fn supervision_due(w: &Whistle, u: &SummonedUnit, now: Millis) -> bool {
    next_fire_at(w, u).is_some_and(|at| now >= at)
}

/// The events the timer worker writes at `now` for unit `unit`: the first time its check-in
/// deadline has passed, `check_in_overdue`; then one supervision (督办) per level that has come
/// due, `(level, supervising organisation)` as the application computed them on the calendar
/// (level 1 at the deadline, 2 and 3 after working days overdue, as for case clocks). Each
/// level is recorded once; `next_at` is when the next level falls due (none after level 3).
/// Nothing when the unit is not due.
pub fn fire_overdue(
    w: &Whistle,
    unit: &str,
    now: Millis,
    levels: &[(u8, Option<OrgId>)],
    next_at: Option<Millis>,
) -> Vec<WhistleEvent> {
    let Some(u) = w.units.iter().find(|u| u.org.code == unit) else { return Vec::new() };
    if !supervision_due(w, u, now) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if u.overdue_at.is_none() {
        out.push(WhistleEvent::CheckInOverdue { unit: u.org.code.clone(), due_at: u.due_at });
    }
    let fresh: Vec<&(u8, Option<OrgId>)> = levels.iter().filter(|(l, _)| u32::from(*l) > u.supervisions).collect();
    for (i, (level, to_org_id)) in fresh.iter().enumerate() {
        let last = i + 1 == fresh.len();
        out.push(WhistleEvent::Supervised {
            unit: u.org.code.clone(),
            count: u32::from(*level),
            to_org_id: *to_org_id,
            // The unit and the level are the data; the application words the stored note
            // from the catalogue (`chuishao_i18n::whistles::supervision_note`).
            note: String::new(),
            next_at: if last { next_at.filter(|t| *t > now) } else { None },
            level: Some(*level),
        });
    }
    out
}

/// The event re-timing unit `unit`'s check-in deadline to `due_at` (recomputed by the
/// application on a changed calendar from the instant the whistle was raised), with
/// `next_supervision_at` the next supervision level's instant on the new deadline for a unit
/// already found overdue (ignored for a unit that is not). Nothing when the whistle is no
/// longer open, the unit has checked in (or replied), or neither instant moved.
pub fn retime_check_in(
    w: &Whistle,
    unit: &str,
    due_at: Millis,
    next_supervision_at: Option<Millis>,
) -> Option<WhistleEvent> {
    let u = w.units.iter().find(|u| u.org.code == unit)?;
    let next_supervision_at = next_supervision_at.filter(|_| u.overdue_at.is_some());
    if w.status != WhistleStatus::Open
        || !u.status.awaiting_check_in()
        || (u.due_at == due_at && u.next_supervision_at == next_supervision_at)
    {
        return None;
    }
    Some(WhistleEvent::CheckInRetimed { unit: u.org.code.clone(), from_due_at: u.due_at, due_at, next_supervision_at })
}

/// Folds an event at `at` into the whistle. `raised` builds it (id from `w`).
pub fn apply(w: &mut Whistle, e: &WhistleEvent, at: Millis) {
    let unit = |w: &mut Whistle, code: &str| w.units.iter().position(|u| u.org.code == code);
    match e {
        WhistleEvent::Raised { kind, raised_by, lat, lon, units, check_in_within, .. } => {
            w.kind = *kind;
            w.check_in_within = *check_in_within;
            w.status = WhistleStatus::Open;
            w.raised_by = raised_by.clone();
            w.raised_at = at;
            w.lat = *lat;
            w.lon = *lon;
            w.units = units
                .iter()
                .map(|u| SummonedUnit {
                    org: u.org.clone(),
                    task: u.task.clone(),
                    status: UnitStatus::Summoned,
                    due_at: u.due_at,
                    acknowledged_at: None,
                    checked_in_at: None,
                    late: false,
                    far: false,
                    distance_m: None,
                    done_at: None,
                    overdue_at: None,
                    supervisions: 0,
                    next_supervision_at: None,
                    rating: None,
                })
                .collect();
        }
        WhistleEvent::Acknowledged { unit: c } => {
            if let Some(i) = unit(w, c) {
                w.units[i].status = UnitStatus::Acknowledged;
                w.units[i].acknowledged_at = Some(at);
            }
        }
        WhistleEvent::CheckedIn { unit: c, distance_m, far, late, .. } => {
            if let Some(i) = unit(w, c) {
                let u = &mut w.units[i];
                u.status = UnitStatus::CheckedIn;
                u.checked_in_at = Some(at);
                u.late = *late;
                u.far = *far;
                u.distance_m = Some(*distance_m);
            }
        }
        WhistleEvent::Replied { unit: c, late, .. } => {
            if let Some(i) = unit(w, c) {
                let u = &mut w.units[i];
                u.status = UnitStatus::Replied;
                u.checked_in_at = Some(at);
                u.late = *late;
            }
        }
        WhistleEvent::ReportedDone { unit: c, .. } => {
            if let Some(i) = unit(w, c) {
                w.units[i].status = UnitStatus::Done;
                w.units[i].done_at = Some(at);
            }
        }
        WhistleEvent::Confirmed => w.status = WhistleStatus::Closed,
        WhistleEvent::Rated { unit: c, score, .. } => {
            if let Some(i) = unit(w, c) {
                w.units[i].rating = Some(*score);
            }
        }
        WhistleEvent::Cancelled { .. } => w.status = WhistleStatus::Cancelled,
        WhistleEvent::CheckInOverdue { unit: c, .. } => {
            if let Some(i) = unit(w, c) {
                w.units[i].overdue_at = Some(at);
            }
        }
        WhistleEvent::Supervised { unit: c, count, next_at, .. } => {
            if let Some(i) = unit(w, c) {
                w.units[i].supervisions = *count;
                w.units[i].next_supervision_at = *next_at;
            }
        }
        WhistleEvent::CheckInRetimed { unit: c, due_at, next_supervision_at, .. } => {
            if let Some(i) = unit(w, c) {
                let u = &mut w.units[i];
                u.due_at = *due_at;
                u.next_supervision_at = if u.overdue_at.is_some() { *next_supervision_at } else { None };
            }
        }
    }
}

/// Decides and folds: the new state (version +1) and the events, or the refusal.
pub fn execute(
    w: &Whistle,
    actor: &Actor,
    cmd: &WhistleCommand,
    expected_version: i64,
    now: Millis,
) -> Result<(Whistle, Vec<WhistleEvent>), DomainError> {
    let events = decide(w, actor, cmd, expected_version, now)?;
    let mut next = w.clone();
    for e in &events {
        apply(&mut next, e, now);
    }
    next.version += 1;
    Ok((next, events))
}

/// A fresh whistle from its `raised` event (version 1).
pub fn from_raised(id: crate::ids::WhistleId, e: &WhistleEvent, at: Millis) -> Whistle {
    let mut w = Whistle {
        id,
        kind: WhistleKind::Routine,
        status: WhistleStatus::Open,
        raised_by: super::OrgRef {
            id: OrgId(0),
            code: String::new(),
            kind: crate::org::OrgKind::District,
            path: String::new(),
        },
        raised_at: at,
        lat: 0.0,
        lon: 0.0,
        units: Vec::new(),
        version: 1,
        check_in_within: None,
    };
    apply(&mut w, e, at);
    w
}
