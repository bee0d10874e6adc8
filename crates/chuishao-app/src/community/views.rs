//! What the API and pages show of community records.

use crate::time::rfc3339;
use chuishao_domain::community::{Activity, Attendance, PartyMember, PartyOrg, Post, ScanRecord, Volunteer};
use serde::Serialize;

/// Half-hours as hours (1 half-hour = 0.5 h).
pub fn hours(half_hours: i64) -> f64 {
    half_hours as f64 / 2.0
}

/// One skill of the configured list.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SkillView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A registered party organisation (双报到).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PartyOrgView {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub unit_name: String,
    pub org_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Services its members commit to a year.
    pub commitment_per_year: u32,
    /// pending, confirmed or declined.
    pub status: String,
    pub registered_at: String,
    pub decided_at: Option<String>,
    pub decline_reason: Option<String>,
    pub version: i64,
}

impl From<&PartyOrg> for PartyOrgView {
    fn from(o: &PartyOrg) -> Self {
        PartyOrgView {
            id: o.id.0,
            community_id: o.community.id.0,
            community_code: o.community.code.clone(),
            unit_name: o.unit_name.clone(),
            org_name: o.org_name.clone(),
            contact_name: o.contact_name.clone(),
            contact_phone: o.contact_phone.clone(),
            commitment_per_year: o.commitment_per_year,
            status: o.registration.status.as_str().into(),
            registered_at: rfc3339(o.registration.registered_at),
            decided_at: o.registration.decided_at.map(rfc3339),
            decline_reason: o.registration.decline_reason.clone(),
            version: o.version,
        }
    }
}

/// A registered party member (双报到).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct MemberView {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub name: String,
    pub phone: String,
    pub unit_name: String,
    pub party_org_id: Option<i64>,
    pub skills: Vec<String>,
    pub availability: String,
    /// Services they commit to a year.
    pub commitment_per_year: u32,
    /// pending, confirmed or declined.
    pub status: String,
    pub registered_at: String,
    pub decided_at: Option<String>,
    pub decline_reason: Option<String>,
    pub version: i64,
}

impl From<&PartyMember> for MemberView {
    fn from(m: &PartyMember) -> Self {
        MemberView {
            id: m.id.0,
            community_id: m.community.id.0,
            community_code: m.community.code.clone(),
            name: m.name.clone(),
            phone: m.phone.clone(),
            unit_name: m.unit_name.clone(),
            party_org_id: m.party_org_id.map(|o| o.0),
            skills: m.skills.clone(),
            availability: m.availability.clone(),
            commitment_per_year: m.commitment_per_year,
            status: m.registration.status.as_str().into(),
            registered_at: rfc3339(m.registration.registered_at),
            decided_at: m.registration.decided_at.map(rfc3339),
            decline_reason: m.registration.decline_reason.clone(),
            version: m.version,
        }
    }
}

/// Someone holding a post.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct HolderView {
    pub member_id: i64,
    pub name: String,
    pub since: String,
}

/// A community post (岗位) and its holders.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PostView {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub name: String,
    /// The skill a holder must have (none: anyone confirmed).
    pub skill: Option<String>,
    pub seats: u32,
    pub description: String,
    pub holders: Vec<HolderView>,
    pub created_at: String,
    pub version: i64,
}

impl From<&Post> for PostView {
    fn from(p: &Post) -> Self {
        PostView {
            id: p.id.0,
            community_id: p.community.id.0,
            community_code: p.community.code.clone(),
            name: p.name.clone(),
            skill: p.skill.clone(),
            seats: p.seats,
            description: p.description.clone(),
            holders: p
                .holders
                .iter()
                .map(|h| HolderView { member_id: h.member_id.0, name: h.name.clone(), since: rfc3339(h.since) })
                .collect(),
            created_at: rfc3339(p.created_at),
            version: p.version,
        }
    }
}

/// One person's attendance, as the organiser sees it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct AttendanceView {
    pub volunteer_id: i64,
    pub name: String,
    pub member_id: Option<i64>,
    /// signed_up, withdrawn, checked_in, checked_out, confirmed or no_show.
    pub status: String,
    pub signed_up_at: String,
    pub checked_in_at: Option<String>,
    /// How far from the place the check-in scan was, in metres.
    pub check_in_distance_m: Option<f64>,
    pub checked_out_at: Option<String>,
    pub check_out_distance_m: Option<f64>,
    /// Confirmed service in half-hours (0 until confirmed).
    pub half_hours: u32,
    pub hours: f64,
    pub confirmed_at: Option<String>,
}

impl From<&Attendance> for AttendanceView {
    fn from(a: &Attendance) -> Self {
        let at = |s: &Option<ScanRecord>| s.as_ref().map(|s| rfc3339(s.at));
        let dist = |s: &Option<ScanRecord>| s.as_ref().map(|s| (s.distance_m * 10.0).round() / 10.0);
        AttendanceView {
            volunteer_id: a.volunteer_id.0,
            name: a.name.clone(),
            member_id: a.member_id.map(|m| m.0),
            status: a.status.as_str().into(),
            signed_up_at: rfc3339(a.signed_up_at),
            checked_in_at: at(&a.check_in),
            check_in_distance_m: dist(&a.check_in),
            checked_out_at: at(&a.check_out),
            check_out_distance_m: dist(&a.check_out),
            half_hours: a.half_hours,
            hours: hours(i64::from(a.half_hours)),
            confirmed_at: a.confirmed_at.map(rfc3339),
        }
    }
}

/// An activity. The public sees it without `attendances` (empty); its organisers with them.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    /// cleanup, volunteer_service, culture, education, health, mediation or other.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: u32,
    /// Places taken (signed up and not withdrawn).
    pub taken: u32,
    pub skills: Vec<String>,
    /// published, closed or cancelled.
    pub status: String,
    pub published_at: String,
    pub closed_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub version: i64,
    pub attendances: Vec<AttendanceView>,
}

impl ActivityView {
    /// The organiser's view, with every attendance.
    pub fn full(a: &Activity) -> Self {
        let mut v = Self::public(a);
        v.attendances = a.attendances.iter().map(AttendanceView::from).collect();
        v
    }

    /// The public view: no names, no attendance.
    pub fn public(a: &Activity) -> Self {
        ActivityView {
            id: a.id.0,
            community_id: a.community.id.0,
            community_code: a.community.code.clone(),
            kind: a.kind.clone(),
            title: a.title.clone(),
            description: a.description.clone(),
            address: a.address.clone(),
            lat: a.lat,
            lon: a.lon,
            starts_at: rfc3339(a.starts_at),
            ends_at: rfc3339(a.ends_at),
            capacity: a.capacity,
            taken: u32::try_from(a.taken()).unwrap_or(u32::MAX),
            skills: a.skills.clone(),
            status: a.status.as_str().into(),
            published_at: rfc3339(a.published_at),
            closed_at: a.closed_at.map(rfc3339),
            cancel_reason: a.cancel_reason.clone(),
            version: a.version,
            attendances: Vec::new(),
        }
    }
}

/// A volunteer's account as staff see it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct VolunteerView {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub name: String,
    pub phone: String,
    /// The party member with the same phone, if any.
    pub member_id: Option<i64>,
    /// pending, confirmed or declined.
    pub status: String,
    pub registered_at: String,
    pub decided_at: Option<String>,
    pub version: i64,
}

impl From<&Volunteer> for VolunteerView {
    fn from(v: &Volunteer) -> Self {
        VolunteerView {
            id: v.id.0,
            community_id: v.community.id.0,
            community_code: v.community.code.clone(),
            name: v.name.clone(),
            phone: v.phone.clone(),
            member_id: v.member_id.map(|m| m.0),
            status: v.registration.status.as_str().into(),
            registered_at: rfc3339(v.registration.registered_at),
            decided_at: v.registration.decided_at.map(rfc3339),
            version: v.version,
        }
    }
}

/// One confirmed service (an attendance turned into hours).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ServiceView {
    pub activity_id: i64,
    pub kind: String,
    pub starts_at: String,
    pub half_hours: i64,
    pub hours: f64,
}

/// Service in a year against the yearly commitment.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct YearlyCount {
    pub year: i32,
    /// Confirmed services (attendances) that year.
    pub services: u32,
    pub half_hours: i64,
    pub hours: f64,
    pub commitment_per_year: u32,
    /// Services still owed to meet the commitment (0 once met).
    pub remaining: u32,
    pub met: bool,
    /// Services by activity kind.
    #[schema(value_type = Object)]
    pub by_kind: std::collections::BTreeMap<String, u32>,
    pub service: Vec<ServiceView>,
}

/// One of a volunteer's sign-ups.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct VolunteerSignUp {
    pub activity: ActivityView,
    /// signed_up, withdrawn, checked_in, checked_out, confirmed or no_show.
    pub status: String,
    pub half_hours: u32,
    pub hours: f64,
}

/// A volunteer's own page: their account, sign-ups (upcoming and past) and hours.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct VolunteerHome {
    pub volunteer: VolunteerView,
    pub sign_ups: Vec<VolunteerSignUp>,
    pub total_half_hours: i64,
    pub total_hours: f64,
}

/// Confirmed service hours for whoever turns them into something else (the kindness
/// exchange's points, issue 16): who served, where, when, and how long.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ConfirmedService {
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub member_id: Option<i64>,
    pub party_org_id: Option<i64>,
    pub community_id: i64,
    pub kind: String,
    pub half_hours: i64,
    pub starts_at: String,
    pub confirmed_at: String,
}

impl From<&chuishao_store::ServiceRow> for ConfirmedService {
    fn from(r: &chuishao_store::ServiceRow) -> Self {
        ConfirmedService {
            activity_id: r.activity_id,
            volunteer_id: r.volunteer_id,
            member_id: r.member_id,
            party_org_id: r.party_org_id,
            community_id: r.community_id,
            kind: r.kind.clone(),
            half_hours: r.half_hours,
            starts_at: rfc3339(r.starts_at),
            confirmed_at: rfc3339(r.confirmed_at),
        }
    }
}

/// A yearly count from service rows against a commitment.
pub(crate) fn yearly(year: i32, rows: &[chuishao_store::ServiceRow], commitment_per_year: u32) -> YearlyCount {
    let services = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let half_hours: i64 = rows.iter().map(|r| r.half_hours).sum();
    let mut by_kind = std::collections::BTreeMap::new();
    for r in rows {
        *by_kind.entry(r.kind.clone()).or_insert(0u32) += 1;
    }
    YearlyCount {
        year,
        services,
        half_hours,
        hours: hours(half_hours),
        commitment_per_year,
        remaining: commitment_per_year.saturating_sub(services),
        met: services >= commitment_per_year,
        by_kind,
        service: rows
            .iter()
            .map(|r| ServiceView {
                activity_id: r.activity_id,
                kind: r.kind.clone(),
                starts_at: rfc3339(r.starts_at),
                half_hours: r.half_hours,
                hours: hours(r.half_hours),
            })
            .collect(),
    }
}
