//! Activities: a community publishes one (kind, time, place, capacity, skills wanted);
//! volunteers and members sign up; on site the organiser's phone shows a rotating signed QR
//! code, and scanning it checks the person in (time and place recorded) and later out; the
//! organiser confirms each attendance, which becomes service hours in half-hour steps, and
//! records no-shows.
//!
//! ```text
//! per person: signed_up → checked_in → checked_out → confirmed (hours; adjustable)
//!                 │  └→ withdrawn          └────────────┘ (confirm without a check-out)
//!                 └→ no_show
//! activity:   published → closed (after its end, everyone confirmed or no-show) | cancelled
//! ```
//!
//! The QR token's signature is checked by the application (it holds the key); what reaches
//! the rules is the token's issue instant and nonce ([`Scan`]), checked here against its
//! validity, the activity's window, the place, and the person's earlier scans.

use super::{CommunityRef, MAX_NAME, MAX_NOTE, check_manages, coords, optional, required};
use crate::access::Actor;
use crate::ids::{ActivityId, MemberId, PartyOrgId, VolunteerId};
use crate::record::{Record, Recorded, StreamKind};
use crate::{DomainError, Millis};
use serde::{Deserialize, Serialize};

/// The kinds of activity (codes; the catalogue words them as `activity_kind.{code}`).
pub const ACTIVITY_KINDS: [&str; 7] =
    ["cleanup", "volunteer_service", "culture", "education", "health", "mediation", "other"];
/// How long a QR token stays valid after it is issued: the organiser's page shows a new one
/// well before.
pub const QR_VALIDITY_MS: Millis = 60_000;
/// How far a token's issue instant may lie ahead of the server's clock.
pub const QR_SKEW_MS: Millis = 10_000;
/// Check-in opens this long before the activity starts …
pub const CHECK_IN_OPENS_MS: Millis = 30 * 60_000;
/// … and check-out stays open this long after it ends.
pub const CHECK_OUT_GRACE_MS: Millis = 2 * 3_600_000;
/// A scan farther than this from the place is refused.
pub const FAR_METRES: f64 = 300.0;
/// Most people one activity takes.
pub const MAX_CAPACITY: u32 = 10_000;
/// Most half-hours one attendance is worth (a day).
pub const MAX_HALF_HOURS: u32 = 48;
/// Longest activity: a week.
pub const MAX_DURATION_MS: Millis = 7 * 86_400_000;
const HALF_HOUR_MS: Millis = 1_800_000;

/// Where an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Published,
    Closed,
    Cancelled,
}

impl ActivityStatus {
    pub const ALL: [ActivityStatus; 3] = [ActivityStatus::Published, ActivityStatus::Closed, ActivityStatus::Cancelled];
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Published => "published",
            ActivityStatus::Closed => "closed",
            ActivityStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where one person's attendance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatus {
    SignedUp,
    Withdrawn,
    CheckedIn,
    CheckedOut,
    Confirmed,
    NoShow,
}

impl AttendanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::SignedUp => "signed_up",
            AttendanceStatus::Withdrawn => "withdrawn",
            AttendanceStatus::CheckedIn => "checked_in",
            AttendanceStatus::CheckedOut => "checked_out",
            AttendanceStatus::Confirmed => "confirmed",
            AttendanceStatus::NoShow => "no_show",
        }
    }
}

/// Who signs up: a volunteer's account, and the party member (and their unit's organisation)
/// it belongs to, if any — so confirmed hours count for them too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub volunteer_id: VolunteerId,
    pub name: String,
    pub member_id: Option<MemberId>,
    pub party_org_id: Option<PartyOrgId>,
}

/// A scanned QR token whose signature the application has verified, with where the scanning
/// phone is.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub issued_at: Millis,
    pub nonce: String,
    pub lat: f64,
    pub lon: f64,
}

/// A scan as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub at: Millis,
    pub lat: f64,
    pub lon: f64,
    pub distance_m: f64,
    pub nonce: String,
}

/// One person's attendance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attendance {
    pub volunteer_id: VolunteerId,
    pub name: String,
    pub member_id: Option<MemberId>,
    pub party_org_id: Option<PartyOrgId>,
    pub status: AttendanceStatus,
    pub signed_up_at: Millis,
    pub check_in: Option<ScanRecord>,
    pub check_out: Option<ScanRecord>,
    /// Confirmed service, in half-hours (0 until confirmed).
    pub half_hours: u32,
    pub confirmed_at: Option<Millis>,
}

/// An activity to publish (its kind and skills already checked against the lists).
#[derive(Debug, Clone, PartialEq)]
pub struct NewActivity {
    pub community: CommunityRef,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub capacity: u32,
    pub skills: Vec<String>,
}

/// An activity with its sign-ups and attendance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: ActivityId,
    pub version: i64,
    pub community: CommunityRef,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub capacity: u32,
    pub skills: Vec<String>,
    pub organiser_id: i64,
    pub status: ActivityStatus,
    pub published_at: Millis,
    pub attendances: Vec<Attendance>,
    pub closed_at: Option<Millis>,
    pub cancel_reason: Option<String>,
}

impl Activity {
    /// People signed up and not withdrawn.
    pub fn taken(&self) -> usize {
        self.attendances.iter().filter(|a| a.status != AttendanceStatus::Withdrawn).count()
    }

    pub fn attendance(&self, v: VolunteerId) -> Option<&Attendance> {
        self.attendances.iter().find(|a| a.volunteer_id == v)
    }

    fn attendance_mut(&mut self, v: VolunteerId) -> Option<&mut Attendance> {
        self.attendances.iter_mut().find(|a| a.volunteer_id == v)
    }

    /// When check-in opens.
    pub fn check_in_opens_at(&self) -> Millis {
        self.starts_at - CHECK_IN_OPENS_MS
    }

    /// Great-circle distance of a point from the place, in metres.
    pub fn distance_m(&self, lat: f64, lon: f64) -> f64 {
        crate::whistle::distance_m(self.lat, self.lon, lat, lon)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActivityCommand {
    SignUp {
        participant: Participant,
    },
    Withdraw {
        volunteer_id: VolunteerId,
    },
    CheckIn {
        volunteer_id: VolunteerId,
        scan: Scan,
    },
    CheckOut {
        volunteer_id: VolunteerId,
        scan: Scan,
    },
    /// The organiser confirms an attendance: `half_hours`, or the time between check-in (not
    /// before the start) and check-out (or the end) in whole half-hours.
    Confirm {
        volunteer_id: VolunteerId,
        half_hours: Option<u32>,
    },
    /// The organiser corrects confirmed hours, with a reason.
    Adjust {
        volunteer_id: VolunteerId,
        half_hours: u32,
        reason: String,
    },
    NoShow {
        volunteer_id: VolunteerId,
    },
    /// After the end: everyone still only signed up is recorded a no-show.
    Close,
    Cancel {
        reason: String,
    },
}

impl ActivityCommand {
    pub fn action(&self) -> &'static str {
        match self {
            ActivityCommand::SignUp { .. } => "sign_up",
            ActivityCommand::Withdraw { .. } => "withdraw",
            ActivityCommand::CheckIn { .. } => "check_in",
            ActivityCommand::CheckOut { .. } => "check_out",
            ActivityCommand::Confirm { .. } => "confirm",
            ActivityCommand::Adjust { .. } => "adjust",
            ActivityCommand::NoShow { .. } => "no_show",
            ActivityCommand::Close => "close",
            ActivityCommand::Cancel { .. } => "cancel",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ActivityEvent {
    ActivityPublished {
        community: CommunityRef,
        kind: String,
        title: String,
        description: String,
        address: String,
        lat: f64,
        lon: f64,
        starts_at: Millis,
        ends_at: Millis,
        capacity: u32,
        skills: Vec<String>,
        organiser_id: i64,
    },
    ActivitySignedUp {
        volunteer_id: VolunteerId,
        name: String,
        member_id: Option<MemberId>,
        party_org_id: Option<PartyOrgId>,
    },
    ActivityWithdrawn {
        volunteer_id: VolunteerId,
    },
    ActivityCheckedIn {
        volunteer_id: VolunteerId,
        lat: f64,
        lon: f64,
        distance_m: f64,
        nonce: String,
    },
    ActivityCheckedOut {
        volunteer_id: VolunteerId,
        lat: f64,
        lon: f64,
        distance_m: f64,
        nonce: String,
    },
    /// Confirmed service hours: what later turns into points (the kindness exchange). Carries
    /// the member and organisation the hours count for.
    ActivityAttendanceConfirmed {
        volunteer_id: VolunteerId,
        member_id: Option<MemberId>,
        party_org_id: Option<PartyOrgId>,
        half_hours: u32,
    },
    ActivityHoursAdjusted {
        volunteer_id: VolunteerId,
        member_id: Option<MemberId>,
        party_org_id: Option<PartyOrgId>,
        half_hours: u32,
        reason: String,
    },
    ActivityNoShow {
        volunteer_id: VolunteerId,
    },
    ActivityClosed {
        no_shows: Vec<VolunteerId>,
    },
    ActivityCancelled {
        reason: String,
    },
}

/// Whole half-hours between two instants (none when `to` is not after `from`), capped.
pub fn half_hours_between(from: Millis, to: Millis) -> u32 {
    let n = (to - from).max(0) / HALF_HOUR_MS;
    u32::try_from(n).unwrap_or(u32::MAX).min(MAX_HALF_HOURS)
}

/// Checks a new activity at `now` by `actor`; answers its `published` event.
pub fn publish(actor: &Actor, n: &NewActivity, now: Millis) -> Result<ActivityEvent, DomainError> {
    check_manages(actor, &n.community)?;
    if !ACTIVITY_KINDS.contains(&n.kind.as_str()) {
        return Err(DomainError::invalid("kind", format!("one of {}", ACTIVITY_KINDS.join(", "))));
    }
    let title = required("title", &n.title, MAX_NAME)?;
    let description = optional("description", &n.description, MAX_NOTE)?;
    let address = required("address", &n.address, MAX_NAME)?;
    coords(n.lat, n.lon)?;
    if n.ends_at <= n.starts_at {
        return Err(DomainError::invalid("ends_at", "must be after starts_at"));
    }
    if n.ends_at - n.starts_at > MAX_DURATION_MS {
        return Err(DomainError::invalid("ends_at", "an activity lasts at most 7 days"));
    }
    if n.ends_at <= now {
        return Err(DomainError::invalid("ends_at", "must be in the future"));
    }
    if n.capacity == 0 || n.capacity > MAX_CAPACITY {
        return Err(DomainError::refused(
            "capacity",
            crate::error::Problem::OutOfRange { min: 1, max: i64::from(MAX_CAPACITY) },
            format!("between 1 and {MAX_CAPACITY}"),
        ));
    }
    Ok(ActivityEvent::ActivityPublished {
        community: n.community.clone(),
        kind: n.kind.clone(),
        title,
        description,
        address,
        lat: n.lat,
        lon: n.lon,
        starts_at: n.starts_at,
        ends_at: n.ends_at,
        capacity: n.capacity,
        skills: n.skills.clone(),
        organiser_id: actor.user_id.0,
    })
}

fn illegal(action: &str, state: &str) -> DomainError {
    DomainError::IllegalTransition { action: action.into(), state: state.into() }
}

/// Checks a scanned token against its validity and the place; answers the distance.
fn check_scan(a: &Activity, scan: &Scan, now: Millis) -> Result<f64, DomainError> {
    if scan.issued_at > now + QR_SKEW_MS {
        return Err(DomainError::rule("qr_forged", "the code was not issued by this activity's organiser"));
    }
    if now - scan.issued_at > QR_VALIDITY_MS {
        return Err(DomainError::rule("qr_expired", "the code has expired; scan the one on the organiser's phone now"));
    }
    coords(scan.lat, scan.lon)?;
    let d = a.distance_m(scan.lat, scan.lon);
    if d > FAR_METRES {
        return Err(DomainError::rule(
            "too_far",
            format!("{d:.0} m from the activity's place; scan within {FAR_METRES:.0} m"),
        ));
    }
    Ok(d)
}

fn decide(a: &Activity, c: &ActivityCommand, actor: &Actor, now: Millis) -> Result<Vec<ActivityEvent>, DomainError> {
    use ActivityCommand as C;
    use AttendanceStatus as S;
    let action = c.action();
    let organiser = || check_manages(actor, &a.community);
    let published = || {
        if a.status == ActivityStatus::Published { Ok(()) } else { Err(illegal(action, a.status.as_str())) }
    };
    let person = |v: VolunteerId| -> Result<&Attendance, DomainError> {
        a.attendance(v)
            .filter(|x| x.status != S::Withdrawn)
            .ok_or_else(|| DomainError::rule("not_signed_up", "this person has not signed up for the activity"))
    };
    Ok(match c {
        C::SignUp { participant } => {
            published()?;
            if now >= a.ends_at {
                return Err(DomainError::rule("activity_closed", "the activity has ended"));
            }
            if a.attendance(participant.volunteer_id).is_some_and(|x| x.status != S::Withdrawn) {
                return Err(DomainError::rule("already_signed_up", "already signed up for this activity"));
            }
            if a.taken() >= a.capacity as usize {
                return Err(DomainError::rule("activity_full", format!("all {} places are taken", a.capacity)));
            }
            vec![ActivityEvent::ActivitySignedUp {
                volunteer_id: participant.volunteer_id,
                name: participant.name.clone(),
                member_id: participant.member_id,
                party_org_id: participant.party_org_id,
            }]
        }
        C::Withdraw { volunteer_id } => {
            published()?;
            let p = person(*volunteer_id)?;
            if p.status != S::SignedUp {
                return Err(illegal(action, p.status.as_str()));
            }
            vec![ActivityEvent::ActivityWithdrawn { volunteer_id: *volunteer_id }]
        }
        C::CheckIn { volunteer_id, scan } => {
            published()?;
            let p = person(*volunteer_id)?;
            match p.status {
                S::SignedUp => {}
                S::NoShow => return Err(illegal(action, p.status.as_str())),
                _ => return Err(DomainError::rule("already_checked_in", "already checked in")),
            }
            if now < a.check_in_opens_at() {
                return Err(DomainError::rule("activity_not_open", "check-in opens 30 minutes before the start"));
            }
            if now > a.ends_at {
                return Err(DomainError::rule("activity_closed", "the activity has ended"));
            }
            let distance_m = check_scan(a, scan, now)?;
            vec![ActivityEvent::ActivityCheckedIn {
                volunteer_id: *volunteer_id,
                lat: scan.lat,
                lon: scan.lon,
                distance_m,
                nonce: scan.nonce.clone(),
            }]
        }
        C::CheckOut { volunteer_id, scan } => {
            published()?;
            let p = person(*volunteer_id)?;
            match p.status {
                S::CheckedIn => {}
                S::SignedUp => return Err(DomainError::rule("not_checked_in", "check in before checking out")),
                S::CheckedOut | S::Confirmed => {
                    return Err(DomainError::rule("already_checked_out", "already checked out"));
                }
                _ => return Err(illegal(action, p.status.as_str())),
            }
            if now > a.ends_at + CHECK_OUT_GRACE_MS {
                return Err(DomainError::rule("activity_closed", "the activity has ended"));
            }
            if p.check_in.as_ref().is_some_and(|s| s.nonce == scan.nonce) {
                return Err(DomainError::rule("qr_replayed", "this code was already used; scan the current one"));
            }
            let distance_m = check_scan(a, scan, now)?;
            vec![ActivityEvent::ActivityCheckedOut {
                volunteer_id: *volunteer_id,
                lat: scan.lat,
                lon: scan.lon,
                distance_m,
                nonce: scan.nonce.clone(),
            }]
        }
        C::Confirm { volunteer_id, half_hours } => {
            organiser()?;
            published()?;
            let p = person(*volunteer_id)?;
            let Some(check_in) = &p.check_in else {
                return Err(DomainError::rule("not_checked_in", "nobody checked this attendance in: no hours"));
            };
            if !matches!(p.status, S::CheckedIn | S::CheckedOut) {
                return Err(illegal(action, p.status.as_str()));
            }
            let hours = match half_hours {
                Some(h) => bounded_half_hours(*h)?,
                None => {
                    let until = p.check_out.as_ref().map_or(a.ends_at.min(now), |s| s.at);
                    half_hours_between(check_in.at.max(a.starts_at), until)
                }
            };
            vec![ActivityEvent::ActivityAttendanceConfirmed {
                volunteer_id: *volunteer_id,
                member_id: p.member_id,
                party_org_id: p.party_org_id,
                half_hours: hours,
            }]
        }
        C::Adjust { volunteer_id, half_hours, reason } => {
            organiser()?;
            let p = person(*volunteer_id)?;
            if p.status != S::Confirmed {
                return Err(DomainError::rule(
                    "attendance_not_confirmed",
                    "hours can be changed only on a confirmed attendance",
                ));
            }
            let half_hours = bounded_half_hours(*half_hours)?;
            let reason = required("reason", reason, MAX_NOTE)?;
            vec![ActivityEvent::ActivityHoursAdjusted {
                volunteer_id: *volunteer_id,
                member_id: p.member_id,
                party_org_id: p.party_org_id,
                half_hours,
                reason,
            }]
        }
        C::NoShow { volunteer_id } => {
            organiser()?;
            published()?;
            let p = person(*volunteer_id)?;
            if p.status != S::SignedUp {
                return Err(illegal(action, p.status.as_str()));
            }
            if now < a.starts_at {
                return Err(DomainError::rule("activity_not_started", "the activity has not started yet"));
            }
            vec![ActivityEvent::ActivityNoShow { volunteer_id: *volunteer_id }]
        }
        C::Close => {
            organiser()?;
            published()?;
            if now < a.ends_at {
                return Err(DomainError::rule("activity_not_ended", "close the activity after it ends"));
            }
            if a.attendances.iter().any(|x| matches!(x.status, S::CheckedIn | S::CheckedOut)) {
                return Err(DomainError::rule(
                    "attendance_unconfirmed",
                    "confirm every checked-in attendance before closing",
                ));
            }
            let no_shows = a.attendances.iter().filter(|x| x.status == S::SignedUp).map(|x| x.volunteer_id).collect();
            vec![ActivityEvent::ActivityClosed { no_shows }]
        }
        C::Cancel { reason } => {
            organiser()?;
            published()?;
            if a.attendances.iter().any(|x| x.status == S::Confirmed) {
                return Err(DomainError::rule(
                    "attendance_confirmed",
                    "hours were already confirmed; close it instead",
                ));
            }
            vec![ActivityEvent::ActivityCancelled { reason: required("reason", reason, MAX_NOTE)? }]
        }
    })
}

fn bounded_half_hours(h: u32) -> Result<u32, DomainError> {
    if h == 0 || h > MAX_HALF_HOURS {
        return Err(DomainError::refused(
            "half_hours",
            crate::error::Problem::OutOfRange { min: 1, max: i64::from(MAX_HALF_HOURS) },
            format!("between 1 and {MAX_HALF_HOURS}"),
        ));
    }
    Ok(h)
}

impl Record for Activity {
    const KIND: StreamKind = StreamKind::Activity;
    type Id = ActivityId;
    type Command = ActivityCommand;
    type Event = ActivityEvent;

    fn id(&self) -> ActivityId {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }

    fn decide(s: &Self, c: &ActivityCommand, actor: &Actor, now: Millis) -> Result<Vec<ActivityEvent>, DomainError> {
        decide(s, c, actor, now)
    }

    fn apply(state: Option<Self>, r: &Recorded<'_, ActivityEvent>) -> Option<Self> {
        use ActivityEvent as E;
        use AttendanceStatus as S;
        let Some(mut a) = state else {
            let E::ActivityPublished {
                community,
                kind,
                title,
                description,
                address,
                lat,
                lon,
                starts_at,
                ends_at,
                capacity,
                skills,
                organiser_id,
            } = r.event
            else {
                return None;
            };
            return Some(Activity {
                id: ActivityId(r.stream_id),
                version: r.version,
                community: community.clone(),
                kind: kind.clone(),
                title: title.clone(),
                description: description.clone(),
                address: address.clone(),
                lat: *lat,
                lon: *lon,
                starts_at: *starts_at,
                ends_at: *ends_at,
                capacity: *capacity,
                skills: skills.clone(),
                organiser_id: *organiser_id,
                status: ActivityStatus::Published,
                published_at: r.at,
                attendances: Vec::new(),
                closed_at: None,
                cancel_reason: None,
            });
        };
        let scan = |lat: &f64, lon: &f64, distance_m: &f64, nonce: &String| ScanRecord {
            at: r.at,
            lat: *lat,
            lon: *lon,
            distance_m: *distance_m,
            nonce: nonce.clone(),
        };
        match r.event {
            E::ActivityPublished { .. } => return None,
            E::ActivitySignedUp { volunteer_id, name, member_id, party_org_id } => {
                let fresh = Attendance {
                    volunteer_id: *volunteer_id,
                    name: name.clone(),
                    member_id: *member_id,
                    party_org_id: *party_org_id,
                    status: S::SignedUp,
                    signed_up_at: r.at,
                    check_in: None,
                    check_out: None,
                    half_hours: 0,
                    confirmed_at: None,
                };
                match a.attendance_mut(*volunteer_id) {
                    Some(x) => *x = fresh,
                    None => a.attendances.push(fresh),
                }
            }
            E::ActivityWithdrawn { volunteer_id } => a.attendance_mut(*volunteer_id)?.status = S::Withdrawn,
            E::ActivityCheckedIn { volunteer_id, lat, lon, distance_m, nonce } => {
                let x = a.attendance_mut(*volunteer_id)?;
                x.status = S::CheckedIn;
                x.check_in = Some(scan(lat, lon, distance_m, nonce));
            }
            E::ActivityCheckedOut { volunteer_id, lat, lon, distance_m, nonce } => {
                let x = a.attendance_mut(*volunteer_id)?;
                x.status = S::CheckedOut;
                x.check_out = Some(scan(lat, lon, distance_m, nonce));
            }
            E::ActivityAttendanceConfirmed { volunteer_id, half_hours, .. } => {
                let x = a.attendance_mut(*volunteer_id)?;
                x.status = S::Confirmed;
                x.half_hours = *half_hours;
                x.confirmed_at = Some(r.at);
            }
            E::ActivityHoursAdjusted { volunteer_id, half_hours, .. } => {
                a.attendance_mut(*volunteer_id)?.half_hours = *half_hours;
            }
            E::ActivityNoShow { volunteer_id } => a.attendance_mut(*volunteer_id)?.status = S::NoShow,
            E::ActivityClosed { no_shows } => {
                for v in no_shows {
                    a.attendance_mut(*v)?.status = S::NoShow;
                }
                a.status = ActivityStatus::Closed;
                a.closed_at = Some(r.at);
            }
            E::ActivityCancelled { reason } => {
                a.status = ActivityStatus::Cancelled;
                a.closed_at = Some(r.at);
                a.cancel_reason = Some(reason.clone());
            }
        }
        a.version = r.version;
        Some(a)
    }

    fn event_kind(e: &ActivityEvent) -> &'static str {
        use ActivityEvent as E;
        match e {
            E::ActivityPublished { .. } => "activity_published",
            E::ActivitySignedUp { .. } => "activity_signed_up",
            E::ActivityWithdrawn { .. } => "activity_withdrawn",
            E::ActivityCheckedIn { .. } => "activity_checked_in",
            E::ActivityCheckedOut { .. } => "activity_checked_out",
            E::ActivityAttendanceConfirmed { .. } => "activity_attendance_confirmed",
            E::ActivityHoursAdjusted { .. } => "activity_hours_adjusted",
            E::ActivityNoShow { .. } => "activity_no_show",
            E::ActivityClosed { .. } => "activity_closed",
            E::ActivityCancelled { .. } => "activity_cancelled",
        }
    }

    fn is_system(_: &ActivityEvent) -> bool {
        false
    }
}
