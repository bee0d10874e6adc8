//! The one pattern for a record that changes over time (a case, a whistle, and every record to
//! come): its history is a stream of events in the hash-chained log; its current state is the
//! fold of that stream.
//!
//! A record type implements [`Record`]:
//! - `decide(state, command, actor, now)` checks who may ask for what from which state and
//!   answers with the events the command produces (or a refusal); it never changes anything;
//! - `apply(state, event)` folds one recorded event into the state, and needs nothing but the
//!   event: whatever the state keeps (a handler's path, a unit's deadline) is in the payload.
//!
//! The application appends the events and writes the folded state (the projection) in one
//! transaction through its one append path (`chuishao_app::record`), and `audit verify` folds
//! every stream from nothing and compares it with the stored projection.

use crate::access::Actor;
use crate::ids::{ActivityId, CaseId, MemberId, PartyOrgId, PatrolId, PostId, VolunteerId, WhistleId};
use crate::{DomainError, Millis};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What kind of record a stream of the event log belongs to (its `stream` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamKind {
    /// A case (诉求/案件).
    Case,
    /// A whistle (吹哨报到).
    Whistle,
    /// A street chief's patrol.
    Patrol,
    /// Reads of a reporter's unmasked contact (one stream per case).
    Access,
    /// Sign-ins, password and token changes of a user.
    Account,
    /// A resident's "me too" on a public case.
    MeToo,
    /// An Open311 status update of a case.
    CaseUpdate,
    /// A dispatcher's decision on what the public sees of a case.
    CasePublic,
    /// A party organisation registered with its community (双报到).
    PartyOrg,
    /// A party member registered with the community where they live (双报到).
    PartyMember,
    /// A community post (岗位) and who holds it.
    CommunityPost,
    /// A community activity, its sign-ups and attendance.
    Activity,
    /// A volunteer's account.
    Volunteer,
}

impl StreamKind {
    pub const ALL: [StreamKind; 13] = [
        StreamKind::Case,
        StreamKind::Whistle,
        StreamKind::Patrol,
        StreamKind::Access,
        StreamKind::Account,
        StreamKind::MeToo,
        StreamKind::CaseUpdate,
        StreamKind::CasePublic,
        StreamKind::PartyOrg,
        StreamKind::PartyMember,
        StreamKind::CommunityPost,
        StreamKind::Activity,
        StreamKind::Volunteer,
    ];

    /// The name in the `stream` column of the log and of the outbox.
    pub const fn as_str(self) -> &'static str {
        match self {
            StreamKind::Case => "case",
            StreamKind::Whistle => "whistle",
            StreamKind::Patrol => "patrol",
            StreamKind::Access => "access",
            StreamKind::Account => "account",
            StreamKind::MeToo => "me_too",
            StreamKind::CaseUpdate => "case_update",
            StreamKind::CasePublic => "case_public",
            StreamKind::PartyOrg => "party_org",
            StreamKind::PartyMember => "party_member",
            StreamKind::CommunityPost => "community_post",
            StreamKind::Activity => "activity",
            StreamKind::Volunteer => "volunteer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        StreamKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A record's typed id: a newtype over the `stream_id` of its events.
pub trait RecordId: Copy + Eq + std::fmt::Debug {
    fn from_raw(raw: i64) -> Self;
    fn raw(self) -> i64;
}

macro_rules! record_id {
    ($($t:ty),*) => {$(
        impl RecordId for $t {
            fn from_raw(raw: i64) -> Self {
                Self(raw)
            }
            fn raw(self) -> i64 {
                self.0
            }
        }
    )*};
}
record_id!(CaseId, WhistleId, PatrolId, PartyOrgId, MemberId, PostId, ActivityId, VolunteerId);

/// One event as the log keeps it: the payload and its envelope (which record, the record's
/// version after the command that produced it, and when).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recorded<'a, E> {
    pub stream_id: i64,
    /// The record's version after the event (system events keep the version they found).
    pub version: i64,
    pub at: Millis,
    pub event: &'a E,
}

/// A record built from its events. See the module documentation.
pub trait Record: Clone + PartialEq + Sized {
    /// The stream its events are kept in.
    const KIND: StreamKind;
    type Id: RecordId;
    /// What an actor asks for, fields already parsed and resolved by the application.
    type Command;
    /// One fact in its history: serialised as JSON with a `type` tag into the log.
    type Event: Serialize + DeserializeOwned + Clone + std::fmt::Debug;

    fn id(&self) -> Self::Id;
    /// Optimistic concurrency version: 1 at creation, +1 per accepted command.
    fn version(&self) -> i64;

    /// Checks `command` against the state and the actor at `now`; the events it produces.
    /// The expected version is checked by the append path before this is called.
    fn decide(
        state: &Self,
        command: &Self::Command,
        actor: &Actor,
        now: Millis,
    ) -> Result<Vec<Self::Event>, DomainError>;

    /// Folds one event: `None` before the stream's first (creating) event. Answers `None` when
    /// the event cannot apply to the state (a stream that does not begin with its creation).
    fn apply(state: Option<Self>, event: &Recorded<'_, Self::Event>) -> Option<Self>;

    /// The event's type tag (the `kind` column).
    fn event_kind(event: &Self::Event) -> &'static str;

    /// Written by the system (a timer) rather than by an actor's command: does not bump the
    /// version, so nobody gets a spurious conflict because a clock fired.
    fn is_system(event: &Self::Event) -> bool;

    /// Decides and folds: the new state (version + 1) and the events, or the refusal. A
    /// command that produces no event leaves the version alone.
    fn execute(
        &self,
        command: &Self::Command,
        actor: &Actor,
        now: Millis,
    ) -> Result<(Self, Vec<Self::Event>), DomainError> {
        let events = Self::decide(self, command, actor, now)?;
        let version = if events.is_empty() { self.version() } else { self.version() + 1 };
        let next = Self::fold_onto(self.clone(), &events, version, now);
        Ok((next, events))
    }

    /// Folds events produced now onto `state`, each recorded at `version`.
    fn fold_onto(state: Self, events: &[Self::Event], version: i64, at: Millis) -> Self {
        let stream_id = state.id().raw();
        events.iter().fold(state, |s, event| {
            let recorded = Recorded { stream_id, version, at, event };
            let fallback = s.clone();
            Self::apply(Some(s), &recorded).unwrap_or(fallback)
        })
    }

    /// The state a stream folds to from nothing, or `None` for an empty or malformed stream.
    fn fold<'a>(events: impl IntoIterator<Item = Recorded<'a, Self::Event>>) -> Option<Self>
    where
        Self::Event: 'a,
    {
        let mut state = None;
        for e in events {
            state = Some(Self::apply(state, &e)?);
        }
        state
    }
}
