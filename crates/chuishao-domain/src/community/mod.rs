//! Community mobilisation (社区动员): party organisations and members registering with their
//! community (双报到), the community's posts and who holds them, activities with sign-up,
//! on-site QR check-in and service hours, and volunteers' accounts.
//!
//! Every changing thing here is a record (`crate::record::Record`): a party organisation
//! (`PartyOrg`), a party member (`PartyMember`), a post (`Post`), an activity (`Activity`) and
//! a volunteer (`Volunteer`). Each keeps its community, so the scope rule is one:
//! `Actor::sees_community` / `Actor::manages_community` on the community's path.
//!
//! Refusals that a person must understand (an activity full, a QR code expired, too far from
//! the place) carry their own stable code (`DomainError::Refused`), worded by the catalogue
//! under `refusal.{code}`.

mod activity;
mod registry;
#[cfg(test)]
mod tests;
mod volunteer;

pub use activity::{
    ACTIVITY_KINDS, Activity, ActivityCommand, ActivityEvent, ActivityStatus, Attendance, AttendanceStatus,
    CHECK_IN_OPENS_MS, CHECK_OUT_GRACE_MS, FAR_METRES, MAX_CAPACITY, MAX_HALF_HOURS, NewActivity, Participant,
    QR_VALIDITY_MS, Scan, ScanRecord, half_hours_between, publish,
};
pub use registry::{
    Decision, MemberCommand, MemberEvent, NewMember, NewPartyOrg, NewPost, PartyMember, PartyOrg, PartyOrgCommand,
    PartyOrgEvent, Post, PostCommand, PostEvent, PostHolder, Registration, RegistrationStatus, create_post,
    register_member, register_party_org,
};
pub use volunteer::{NewVolunteer, Volunteer, VolunteerCommand, VolunteerEvent, register_volunteer};

use crate::DomainError;
use crate::access::Actor;
use crate::ids::OrgId;
use serde::{Deserialize, Serialize};

/// Every code a community record's rule refuses with (`DomainError::Refused`): each has its
/// words in the catalogue, `refusal.{code}`.
pub const REFUSAL_CODES: [&str; 25] = [
    "activity_full",
    "activity_closed",
    "activity_not_open",
    "activity_not_started",
    "activity_not_ended",
    "already_signed_up",
    "not_signed_up",
    "already_checked_in",
    "already_checked_out",
    "not_checked_in",
    "qr_forged",
    "qr_expired",
    "qr_replayed",
    "too_far",
    "attendance_not_confirmed",
    "attendance_unconfirmed",
    "attendance_confirmed",
    "already_registered",
    "member_not_confirmed",
    "other_community",
    "skill_missing",
    "already_assigned",
    "post_full",
    "not_assigned",
    "volunteer_not_confirmed",
];

/// The skills list a deployment starts with (codes; the catalogue words them as `skill.{code}`).
pub const DEFAULT_SKILLS: [&str; 9] =
    ["medical", "education", "legal", "mediation", "culture", "technology", "trades", "elderly_care", "other"];
/// Most skills in the list, and most on one member, post or activity.
pub const MAX_SKILLS: usize = 40;
/// Longest name, title or address.
pub const MAX_NAME: usize = 200;
/// Longest free text (a description, availability, a reason).
pub const MAX_NOTE: usize = 2000;

/// The community a record belongs to, resolved by the application from the org tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommunityRef {
    pub id: OrgId,
    pub code: String,
    pub path: String,
}

/// Only someone who manages the community may change its records.
pub fn check_manages(actor: &Actor, community: &CommunityRef) -> Result<(), DomainError> {
    if actor.manages_community(&community.path) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!("{} does not manage community {}", actor.username, community.code)))
    }
}

/// A required text of at most `max` characters (trimmed).
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::refused(field, crate::error::Problem::Required, "is required"));
    }
    optional(field, v, max)
}

/// An optional text of at most `max` characters (trimmed).
pub fn optional(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(DomainError::refused(
            field,
            crate::error::Problem::TooLong { max },
            format!("at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

/// A mainland mobile number: 11 digits starting with 1 (spaces and dashes ignored).
pub fn phone(field: &'static str, value: &str) -> Result<String, DomainError> {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(DomainError::refused(field, crate::error::Problem::Rule("phone"), "an 11-digit mobile number"))
    }
}

/// Checks skill codes against the configured list: known, no repeats, bounded.
pub fn skills(field: &'static str, chosen: &[String], list: &[String]) -> Result<Vec<String>, DomainError> {
    if chosen.len() > MAX_SKILLS {
        return Err(DomainError::invalid(field, format!("at most {MAX_SKILLS} skills")));
    }
    let mut out: Vec<String> = Vec::with_capacity(chosen.len());
    for s in chosen {
        if !list.contains(s) {
            return Err(DomainError::invalid(field, format!("unknown skill {s:?} (see /api/v1/community/skills)")));
        }
        if out.contains(s) {
            return Err(DomainError::invalid(field, format!("{s} is listed twice")));
        }
        out.push(s.clone());
    }
    Ok(out)
}

/// A skill code: 1–40 of a-z, 0-9 and `_`.
pub fn skill_code_ok(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A point on Earth.
pub fn coords(lat: f64, lon: f64) -> Result<(), DomainError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(DomainError::invalid("lat", "must be between -90 and 90"));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(DomainError::invalid("lon", "must be between -180 and 180"));
    }
    Ok(())
}

/// The year (UTC+8) an instant falls in: yearly counts run over calendar years in China.
pub fn year_of(at: crate::Millis) -> i32 {
    const CST_MS: i64 = 8 * 3_600_000;
    let days = (at + CST_MS).div_euclid(86_400_000);
    civil_year(days)
}

/// The instant (UTC+8 midnight) a year begins.
pub fn year_start(year: i32) -> crate::Millis {
    const CST_MS: i64 = 8 * 3_600_000;
    days_from_civil(year) * 86_400_000 - CST_MS
}

/// Days since 1970-01-01 of 1 January of `year` (proleptic Gregorian).
fn days_from_civil(year: i32) -> i64 {
    let y = i64::from(year) - 1;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    // 1 March of year-1 plus the days from 1 March to 1 January (306).
    let doy = 306;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_year(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(month <= 2);
    i32::try_from(y).unwrap_or(i32::MAX)
}
