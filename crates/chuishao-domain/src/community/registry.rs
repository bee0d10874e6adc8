//! Dual check-in (双报到): a unit's party organisation registers with the community where it
//! sits, a party member with the community where they live; the community confirms or
//! declines each. The community's posts (岗位) and who holds them, assigned by skill.

use super::{CommunityRef, MAX_NAME, MAX_NOTE, check_manages, optional, phone, required};
use crate::access::Actor;
use crate::ids::{MemberId, PartyOrgId, PostId};
use crate::record::{Record, Recorded, StreamKind};
use crate::{DomainError, Millis};
use serde::{Deserialize, Serialize};

/// Most services a year a unit's organisation may commit to.
pub const MAX_ORG_COMMITMENT: u32 = 10_000;
/// Most services a year a member may commit to.
pub const MAX_MEMBER_COMMITMENT: u32 = 366;
/// Most holders of one post.
pub const MAX_SEATS: u32 = 500;

/// Where a registration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    Pending,
    Confirmed,
    Declined,
}

impl RegistrationStatus {
    pub const ALL: [RegistrationStatus; 3] =
        [RegistrationStatus::Pending, RegistrationStatus::Confirmed, RegistrationStatus::Declined];
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Pending => "pending",
            RegistrationStatus::Confirmed => "confirmed",
            RegistrationStatus::Declined => "declined",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Where a registration stands: kept by organisations, members and volunteers alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub status: RegistrationStatus,
    pub registered_at: Millis,
    pub decided_at: Option<Millis>,
    pub decline_reason: Option<String>,
}

impl Registration {
    pub(super) fn new(at: Millis) -> Self {
        Registration { status: RegistrationStatus::Pending, registered_at: at, decided_at: None, decline_reason: None }
    }

    /// Folds the community's decision at `at`: confirmed, or declined for `reason`.
    pub(super) fn decided(&mut self, at: Millis, declined_for: Option<&String>) {
        self.status = if declined_for.is_some() { RegistrationStatus::Declined } else { RegistrationStatus::Confirmed };
        self.decided_at = Some(at);
        self.decline_reason = declined_for.cloned();
    }
}

/// The community's answer to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Confirm,
    Decline { reason: String },
}

/// Checks a decision on a pending registration: the community's manager, pending, a reason
/// to decline. Answers the reason (declines) or `None` (confirms).
pub(super) fn decide_registration(
    actor: &Actor,
    community: &CommunityRef,
    status: RegistrationStatus,
    d: &Decision,
) -> Result<Option<String>, DomainError> {
    check_manages(actor, community)?;
    let action = match d {
        Decision::Confirm => "confirm",
        Decision::Decline { .. } => "decline",
    };
    if status != RegistrationStatus::Pending {
        return Err(DomainError::IllegalTransition { action: action.into(), state: status.as_str().into() });
    }
    match d {
        Decision::Confirm => Ok(None),
        Decision::Decline { reason } => Ok(Some(required("reason", reason, MAX_NOTE)?)),
    }
}

// ---------------------------------------------------------------------------------------------
// Party organisations

/// A unit's party organisation registering with its community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartyOrg {
    pub community: CommunityRef,
    pub unit_name: String,
    pub org_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Services its members commit to a year.
    pub commitment_per_year: u32,
}

/// A registered party organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyOrg {
    pub id: PartyOrgId,
    pub version: i64,
    pub community: CommunityRef,
    pub unit_name: String,
    pub org_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub commitment_per_year: u32,
    #[serde(flatten)]
    pub registration: Registration,
}

pub type PartyOrgCommand = Decision;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PartyOrgEvent {
    PartyOrgRegistered {
        community: CommunityRef,
        unit_name: String,
        org_name: String,
        contact_name: String,
        contact_phone: String,
        commitment_per_year: u32,
    },
    PartyOrgConfirmed,
    PartyOrgDeclined {
        reason: String,
    },
}

/// Checks a new organisation's registration; answers its creating event.
pub fn register_party_org(n: &NewPartyOrg) -> Result<PartyOrgEvent, DomainError> {
    if n.commitment_per_year > MAX_ORG_COMMITMENT {
        return Err(DomainError::invalid("commitment_per_year", format!("at most {MAX_ORG_COMMITMENT}")));
    }
    Ok(PartyOrgEvent::PartyOrgRegistered {
        community: n.community.clone(),
        unit_name: required("unit_name", &n.unit_name, MAX_NAME)?,
        org_name: required("org_name", &n.org_name, MAX_NAME)?,
        contact_name: required("contact_name", &n.contact_name, MAX_NAME)?,
        contact_phone: phone("contact_phone", &n.contact_phone)?,
        commitment_per_year: n.commitment_per_year,
    })
}

impl Record for PartyOrg {
    const KIND: StreamKind = StreamKind::PartyOrg;
    type Id = PartyOrgId;
    type Command = PartyOrgCommand;
    type Event = PartyOrgEvent;

    fn id(&self) -> PartyOrgId {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }

    fn decide(s: &Self, c: &Decision, actor: &Actor, _now: Millis) -> Result<Vec<PartyOrgEvent>, DomainError> {
        Ok(match decide_registration(actor, &s.community, s.registration.status, c)? {
            None => vec![PartyOrgEvent::PartyOrgConfirmed],
            Some(reason) => vec![PartyOrgEvent::PartyOrgDeclined { reason }],
        })
    }

    fn apply(state: Option<Self>, r: &Recorded<'_, PartyOrgEvent>) -> Option<Self> {
        match (state, r.event) {
            (
                None,
                PartyOrgEvent::PartyOrgRegistered {
                    community,
                    unit_name,
                    org_name,
                    contact_name,
                    contact_phone,
                    commitment_per_year,
                },
            ) => Some(PartyOrg {
                id: PartyOrgId(r.stream_id),
                version: r.version,
                community: community.clone(),
                unit_name: unit_name.clone(),
                org_name: org_name.clone(),
                contact_name: contact_name.clone(),
                contact_phone: contact_phone.clone(),
                commitment_per_year: *commitment_per_year,
                registration: Registration::new(r.at),
            }),
            (Some(mut s), PartyOrgEvent::PartyOrgConfirmed) => {
                s.registration.decided(r.at, None);
                s.version = r.version;
                Some(s)
            }
            (Some(mut s), PartyOrgEvent::PartyOrgDeclined { reason }) => {
                s.registration.decided(r.at, Some(reason));
                s.version = r.version;
                Some(s)
            }
            _ => None,
        }
    }

    fn event_kind(e: &PartyOrgEvent) -> &'static str {
        match e {
            PartyOrgEvent::PartyOrgRegistered { .. } => "party_org_registered",
            PartyOrgEvent::PartyOrgConfirmed => "party_org_confirmed",
            PartyOrgEvent::PartyOrgDeclined { .. } => "party_org_declined",
        }
    }

    fn is_system(_: &PartyOrgEvent) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------------------
// Party members

/// A party member registering with the community where they live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub community: CommunityRef,
    pub name: String,
    pub phone: String,
    pub unit_name: String,
    /// Their unit's registered party organisation, when it has registered.
    pub party_org_id: Option<PartyOrgId>,
    /// Already checked against the configured list.
    pub skills: Vec<String>,
    pub availability: String,
    /// Services they commit to a year.
    pub commitment_per_year: u32,
}

/// A registered party member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyMember {
    pub id: MemberId,
    pub version: i64,
    pub community: CommunityRef,
    pub name: String,
    pub phone: String,
    pub unit_name: String,
    pub party_org_id: Option<PartyOrgId>,
    pub skills: Vec<String>,
    pub availability: String,
    pub commitment_per_year: u32,
    #[serde(flatten)]
    pub registration: Registration,
}

pub type MemberCommand = Decision;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MemberEvent {
    MemberRegistered {
        community: CommunityRef,
        name: String,
        phone: String,
        unit_name: String,
        party_org_id: Option<PartyOrgId>,
        skills: Vec<String>,
        availability: String,
        commitment_per_year: u32,
    },
    MemberConfirmed,
    MemberDeclined {
        reason: String,
    },
}

/// Checks a new member's registration; answers its creating event. (Registering twice is
/// refused by the application, which knows the phone numbers already registered.)
pub fn register_member(n: &NewMember) -> Result<MemberEvent, DomainError> {
    if n.commitment_per_year > MAX_MEMBER_COMMITMENT {
        return Err(DomainError::invalid("commitment_per_year", format!("at most {MAX_MEMBER_COMMITMENT}")));
    }
    Ok(MemberEvent::MemberRegistered {
        community: n.community.clone(),
        name: required("name", &n.name, MAX_NAME)?,
        phone: phone("phone", &n.phone)?,
        unit_name: required("unit_name", &n.unit_name, MAX_NAME)?,
        party_org_id: n.party_org_id,
        skills: n.skills.clone(),
        availability: optional("availability", &n.availability, MAX_NOTE)?,
        commitment_per_year: n.commitment_per_year,
    })
}

impl Record for PartyMember {
    const KIND: StreamKind = StreamKind::PartyMember;
    type Id = MemberId;
    type Command = MemberCommand;
    type Event = MemberEvent;

    fn id(&self) -> MemberId {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }

    fn decide(s: &Self, c: &Decision, actor: &Actor, _now: Millis) -> Result<Vec<MemberEvent>, DomainError> {
        Ok(match decide_registration(actor, &s.community, s.registration.status, c)? {
            None => vec![MemberEvent::MemberConfirmed],
            Some(reason) => vec![MemberEvent::MemberDeclined { reason }],
        })
    }

    fn apply(state: Option<Self>, r: &Recorded<'_, MemberEvent>) -> Option<Self> {
        match (state, r.event) {
            (
                None,
                MemberEvent::MemberRegistered {
                    community,
                    name,
                    phone,
                    unit_name,
                    party_org_id,
                    skills,
                    availability,
                    commitment_per_year,
                },
            ) => Some(PartyMember {
                id: MemberId(r.stream_id),
                version: r.version,
                community: community.clone(),
                name: name.clone(),
                phone: phone.clone(),
                unit_name: unit_name.clone(),
                party_org_id: *party_org_id,
                skills: skills.clone(),
                availability: availability.clone(),
                commitment_per_year: *commitment_per_year,
                registration: Registration::new(r.at),
            }),
            (Some(mut s), MemberEvent::MemberConfirmed) => {
                s.registration.decided(r.at, None);
                s.version = r.version;
                Some(s)
            }
            (Some(mut s), MemberEvent::MemberDeclined { reason }) => {
                s.registration.decided(r.at, Some(reason));
                s.version = r.version;
                Some(s)
            }
            _ => None,
        }
    }

    fn event_kind(e: &MemberEvent) -> &'static str {
        match e {
            MemberEvent::MemberRegistered { .. } => "member_registered",
            MemberEvent::MemberConfirmed => "member_confirmed",
            MemberEvent::MemberDeclined { .. } => "member_declined",
        }
    }

    fn is_system(_: &MemberEvent) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------------------
// Posts

/// A post the community defines (楼门长, 调解员, 志愿服务岗…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub community: CommunityRef,
    pub name: String,
    /// The skill a holder must have (none: anyone confirmed).
    pub skill: Option<String>,
    pub seats: u32,
    pub description: String,
}

/// Someone holding a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostHolder {
    pub member_id: MemberId,
    pub name: String,
    pub since: Millis,
}

/// A post and its holders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Post {
    pub id: PostId,
    pub version: i64,
    pub community: CommunityRef,
    pub name: String,
    pub skill: Option<String>,
    pub seats: u32,
    pub description: String,
    pub holders: Vec<PostHolder>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PostCommand {
    /// Assign a member (the application reads the member's current state).
    Assign {
        member: Box<PartyMember>,
    },
    Release {
        member_id: MemberId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PostEvent {
    PostCreated { community: CommunityRef, name: String, skill: Option<String>, seats: u32, description: String },
    PostAssigned { member_id: MemberId, name: String },
    PostReleased { member_id: MemberId },
}

/// Checks a new post (its skill already checked against the list); answers its creating event.
pub fn create_post(actor: &Actor, n: &NewPost) -> Result<PostEvent, DomainError> {
    check_manages(actor, &n.community)?;
    if n.seats == 0 || n.seats > MAX_SEATS {
        return Err(DomainError::refused(
            "seats",
            crate::error::Problem::OutOfRange { min: 1, max: i64::from(MAX_SEATS) },
            format!("between 1 and {MAX_SEATS}"),
        ));
    }
    Ok(PostEvent::PostCreated {
        community: n.community.clone(),
        name: required("name", &n.name, MAX_NAME)?,
        skill: n.skill.clone(),
        seats: n.seats,
        description: optional("description", &n.description, MAX_NOTE)?,
    })
}

impl Record for Post {
    const KIND: StreamKind = StreamKind::CommunityPost;
    type Id = PostId;
    type Command = PostCommand;
    type Event = PostEvent;

    fn id(&self) -> PostId {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }

    fn decide(s: &Self, c: &PostCommand, actor: &Actor, _now: Millis) -> Result<Vec<PostEvent>, DomainError> {
        check_manages(actor, &s.community)?;
        Ok(match c {
            PostCommand::Assign { member } => {
                if member.community.id != s.community.id {
                    return Err(DomainError::rule(
                        "other_community",
                        "the member is registered with another community",
                    ));
                }
                if member.registration.status != RegistrationStatus::Confirmed {
                    return Err(DomainError::rule(
                        "member_not_confirmed",
                        "the community has not confirmed this member",
                    ));
                }
                if let Some(skill) = &s.skill
                    && !member.skills.contains(skill)
                {
                    return Err(DomainError::rule("skill_missing", format!("the post needs the skill {skill}")));
                }
                if s.holders.iter().any(|h| h.member_id == member.id) {
                    return Err(DomainError::rule("already_assigned", "the member already holds this post"));
                }
                if s.holders.len() >= s.seats as usize {
                    return Err(DomainError::rule("post_full", format!("every one of the {} seats is taken", s.seats)));
                }
                vec![PostEvent::PostAssigned { member_id: member.id, name: member.name.clone() }]
            }
            PostCommand::Release { member_id } => {
                if !s.holders.iter().any(|h| h.member_id == *member_id) {
                    return Err(DomainError::rule("not_assigned", "the member does not hold this post"));
                }
                vec![PostEvent::PostReleased { member_id: *member_id }]
            }
        })
    }

    fn apply(state: Option<Self>, r: &Recorded<'_, PostEvent>) -> Option<Self> {
        match (state, r.event) {
            (None, PostEvent::PostCreated { community, name, skill, seats, description }) => Some(Post {
                id: PostId(r.stream_id),
                version: r.version,
                community: community.clone(),
                name: name.clone(),
                skill: skill.clone(),
                seats: *seats,
                description: description.clone(),
                holders: Vec::new(),
                created_at: r.at,
            }),
            (Some(mut s), PostEvent::PostAssigned { member_id, name }) => {
                s.holders.push(PostHolder { member_id: *member_id, name: name.clone(), since: r.at });
                s.version = r.version;
                Some(s)
            }
            (Some(mut s), PostEvent::PostReleased { member_id }) => {
                s.holders.retain(|h| h.member_id != *member_id);
                s.version = r.version;
                Some(s)
            }
            _ => None,
        }
    }

    fn event_kind(e: &PostEvent) -> &'static str {
        match e {
            PostEvent::PostCreated { .. } => "post_created",
            PostEvent::PostAssigned { .. } => "post_assigned",
            PostEvent::PostReleased { .. } => "post_released",
        }
    }

    fn is_system(_: &PostEvent) -> bool {
        false
    }
}
