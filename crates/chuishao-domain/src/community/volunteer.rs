//! Volunteers' accounts: separate from staff, registered by the volunteer (phone and
//! password) with a community, which confirms or declines them. A volunteer whose phone is a
//! registered party member's is linked to that member, so their hours count for the member
//! and the member's organisation. The password never enters the record or the log.

use super::registry::{Decision, Registration, decide_registration};
use super::{CommunityRef, MAX_NAME, phone, required};
use crate::access::Actor;
use crate::ids::{MemberId, PartyOrgId, VolunteerId};
use crate::record::{Record, Recorded, StreamKind};
use crate::{DomainError, Millis};
use serde::{Deserialize, Serialize};

/// A volunteer registering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolunteer {
    pub community: CommunityRef,
    pub name: String,
    pub phone: String,
    /// The party member with the same phone, if any (found by the application).
    pub member_id: Option<MemberId>,
    pub party_org_id: Option<PartyOrgId>,
}

/// A volunteer's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volunteer {
    pub id: VolunteerId,
    pub version: i64,
    pub community: CommunityRef,
    pub name: String,
    pub phone: String,
    pub member_id: Option<MemberId>,
    pub party_org_id: Option<PartyOrgId>,
    #[serde(flatten)]
    pub registration: Registration,
}

pub type VolunteerCommand = Decision;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VolunteerEvent {
    VolunteerRegistered {
        community: CommunityRef,
        name: String,
        phone: String,
        member_id: Option<MemberId>,
        party_org_id: Option<PartyOrgId>,
    },
    VolunteerConfirmed,
    VolunteerDeclined {
        reason: String,
    },
}

/// Checks a volunteer's registration; answers its creating event.
pub fn register_volunteer(n: &NewVolunteer) -> Result<VolunteerEvent, DomainError> {
    Ok(VolunteerEvent::VolunteerRegistered {
        community: n.community.clone(),
        name: required("name", &n.name, MAX_NAME)?,
        phone: phone("phone", &n.phone)?,
        member_id: n.member_id,
        party_org_id: n.party_org_id,
    })
}

impl Record for Volunteer {
    const KIND: StreamKind = StreamKind::Volunteer;
    type Id = VolunteerId;
    type Command = VolunteerCommand;
    type Event = VolunteerEvent;

    fn id(&self) -> VolunteerId {
        self.id
    }
    fn version(&self) -> i64 {
        self.version
    }

    fn decide(s: &Self, c: &Decision, actor: &Actor, _now: Millis) -> Result<Vec<VolunteerEvent>, DomainError> {
        Ok(match decide_registration(actor, &s.community, s.registration.status, c)? {
            None => vec![VolunteerEvent::VolunteerConfirmed],
            Some(reason) => vec![VolunteerEvent::VolunteerDeclined { reason }],
        })
    }

    fn apply(state: Option<Self>, r: &Recorded<'_, VolunteerEvent>) -> Option<Self> {
        match (state, r.event) {
            (None, VolunteerEvent::VolunteerRegistered { community, name, phone, member_id, party_org_id }) => {
                Some(Volunteer {
                    id: VolunteerId(r.stream_id),
                    version: r.version,
                    community: community.clone(),
                    name: name.clone(),
                    phone: phone.clone(),
                    member_id: *member_id,
                    party_org_id: *party_org_id,
                    registration: Registration::new(r.at),
                })
            }
            (Some(mut s), VolunteerEvent::VolunteerConfirmed) => {
                s.registration.decided(r.at, None);
                s.version = r.version;
                Some(s)
            }
            (Some(mut s), VolunteerEvent::VolunteerDeclined { reason }) => {
                s.registration.decided(r.at, Some(reason));
                s.version = r.version;
                Some(s)
            }
            _ => None,
        }
    }

    fn event_kind(e: &VolunteerEvent) -> &'static str {
        match e {
            VolunteerEvent::VolunteerRegistered { .. } => "volunteer_registered",
            VolunteerEvent::VolunteerConfirmed => "volunteer_confirmed",
            VolunteerEvent::VolunteerDeclined { .. } => "volunteer_declined",
        }
    }

    fn is_system(_: &VolunteerEvent) -> bool {
        false
    }
}
