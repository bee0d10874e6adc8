//! Community mobilisation (社区动员): dual check-in of party organisations and members (双报到),
//! the community's posts, activities with QR check-in and service hours, and volunteers'
//! accounts. The rules are `chuishao_domain::community`; here each use case reads the record
//! in a transaction, checks scope, lets the domain decide and appends through the one append
//! path (`crate::record::append`).
//!
//! The context is a borrow struct: `app.community().publish_activity(&actor, &input)`.

mod activities;
mod demo;
mod qr;
mod registry;
mod views;
mod volunteers;

pub use activities::{ActivityInput, ActivityListQuery, ActivityTransitionInput, ScanInput};
pub use qr::QrToken;
pub use registry::{
    AssignInput, DecisionInput, MemberInput, PartyOrgInput, PostInput, PostQuery, RegistryQuery, SkillInput, YearQuery,
};
pub use views::{
    ActivityView, AttendanceView, ConfirmedService, HolderView, MemberView, PartyOrgView, PostView, ServiceView,
    SkillView, VolunteerHome, VolunteerSignUp, VolunteerView, YearlyCount,
};
pub use volunteers::{
    VOLUNTEER_SESSION_PREFIX, VolunteerLogin, VolunteerLoginOutcome, VolunteerRegistration, VolunteerSession,
};

use crate::record::{Change, Stored, append};
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::community::{Activity, CommunityRef, PartyMember, PartyOrg, Post, Volunteer};
use chuishao_domain::ids::UserId;
use chuishao_domain::org::OrgKind;
use chuishao_domain::record::{Record, RecordId, Recorded};
use chuishao_store::{CommunityWrite, NewCommunityRow, ServiceRow, Tx};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Most rows one list answers.
pub const LIST_LIMIT: i64 = 500;

context!(
    /// The community-mobilisation use cases (dual check-in, posts, activities, volunteers).
    Community,
    community
);

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// A community record as its projection row keeps it.
pub trait Kept: Record + Serialize + DeserializeOwned + Send + Sync {
    fn community_ref(&self) -> &CommunityRef;
    fn status_str(&self) -> &'static str;
    /// When it happens (an activity's start), else when it was created.
    fn at(&self) -> i64;
}

impl Kept for PartyOrg {
    fn community_ref(&self) -> &CommunityRef {
        &self.community
    }
    fn status_str(&self) -> &'static str {
        self.registration.status.as_str()
    }
    fn at(&self) -> i64 {
        self.registration.registered_at
    }
}

impl Kept for PartyMember {
    fn community_ref(&self) -> &CommunityRef {
        &self.community
    }
    fn status_str(&self) -> &'static str {
        self.registration.status.as_str()
    }
    fn at(&self) -> i64 {
        self.registration.registered_at
    }
}

impl Kept for Post {
    fn community_ref(&self) -> &CommunityRef {
        &self.community
    }
    fn status_str(&self) -> &'static str {
        "active"
    }
    fn at(&self) -> i64 {
        self.created_at
    }
}

impl Kept for Activity {
    fn community_ref(&self) -> &CommunityRef {
        &self.community
    }
    fn status_str(&self) -> &'static str {
        self.status.as_str()
    }
    fn at(&self) -> i64 {
        self.starts_at
    }
}

impl Kept for Volunteer {
    fn community_ref(&self) -> &CommunityRef {
        &self.community
    }
    fn status_str(&self) -> &'static str {
        self.registration.status.as_str()
    }
    fn at(&self) -> i64 {
        self.registration.registered_at
    }
}

/// Writes the projections of `changes`; answers the first whose version moved.
async fn save_kept<'a, R: Kept>(tx: &mut Tx, changes: &'a [Change<R>], now: i64) -> Result<Option<&'a Change<R>>> {
    for c in changes {
        let s = &c.state;
        let state = serde_json::to_string(s).map_err(internal)?;
        let w = CommunityWrite {
            id: s.id().raw(),
            status: s.status_str(),
            at: s.at(),
            state: &state,
            version: s.version(),
            expected: c.expected,
            now,
        };
        if !tx.save_community_record(&w).await? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

macro_rules! stored {
    ($($t:ty),*) => {$(
        impl Stored for $t {
            async fn save<'a>(tx: &'a mut Tx, changes: &'a [Change<Self>], now: i64) -> Result<Option<&'a Change<Self>>> {
                save_kept(tx, changes, now).await
            }
            fn scope_paths(s: &Self, _: &Self::Event) -> Vec<String> {
                vec![s.community_ref().path.clone()]
            }
        }
    )*};
}
stored!(PartyOrg, PartyMember, Post, Volunteer);

/// The service rows of an activity's confirmed attendances.
fn service_rows(a: &Activity) -> Vec<ServiceRow> {
    use chuishao_domain::community::AttendanceStatus;
    a.attendances
        .iter()
        .filter(|x| x.status == AttendanceStatus::Confirmed)
        .map(|x| ServiceRow {
            activity_id: a.id.0,
            volunteer_id: x.volunteer_id.0,
            member_id: x.member_id.map(|m| m.0),
            party_org_id: x.party_org_id.map(|o| o.0),
            community_id: a.community.id.0,
            community_path: a.community.path.clone(),
            kind: a.kind.clone(),
            half_hours: i64::from(x.half_hours),
            starts_at: a.starts_at,
            confirmed_at: x.confirmed_at.unwrap_or(a.starts_at),
        })
        .collect()
}

impl Stored for Activity {
    async fn save<'a>(tx: &'a mut Tx, changes: &'a [Change<Self>], now: i64) -> Result<Option<&'a Change<Self>>> {
        if let Some(c) = save_kept(tx, changes, now).await? {
            return Ok(Some(c));
        }
        for c in changes {
            let a = &c.state;
            let people: Vec<(i64, &str)> =
                a.attendances.iter().map(|x| (x.volunteer_id.0, x.status.as_str())).collect();
            tx.replace_service(a.id.0, a.starts_at, &people, &service_rows(a)).await?;
        }
        Ok(None)
    }
    fn scope_paths(s: &Self, _: &Self::Event) -> Vec<String> {
        vec![s.community.path.clone()]
    }
}

pub(crate) fn parse_state<R: Kept>(row: &chuishao_store::CommunityRow) -> Result<R> {
    serde_json::from_str(&row.state).map_err(|e| internal(format!("{} {} state: {e}", row.stream, row.id)))
}

/// Who acts: a staff user, or a volunteer (through their own account, never a staff role).
#[derive(Debug, Clone)]
pub(crate) enum Who<'a> {
    Staff(&'a Actor),
    Volunteer(&'a Volunteer),
}

impl Who<'_> {
    fn actor(&self) -> Actor {
        match self {
            Who::Staff(a) => (*a).clone(),
            Who::Volunteer(v) => {
                Actor { user_id: UserId(0), username: format!("volunteer:{}", v.id), bindings: vec![] }
            }
        }
    }
    fn log_actor(&self) -> Option<i64> {
        match self {
            Who::Staff(a) => Some(a.user_id.0),
            Who::Volunteer(_) => None,
        }
    }
}

impl<'a> Community<'a> {
    fn now(&self) -> i64 {
        self.app.now_ms()
    }

    /// The community named by `code` (a community node, else a refusal on `field`).
    async fn community_ref(&self, field: &str, code: &str) -> Result<CommunityRef> {
        let n = self.app.admin().org_by_code(code.trim()).await?.filter(|n| n.kind == OrgKind::Community);
        let n = n.ok_or_else(|| AppError::invalid(field, "no community with this code"))?;
        Ok(CommunityRef { id: n.id, code: n.code.clone(), path: n.path.clone() })
    }

    /// Creates a record from its creating event: inserts the row (and a volunteer's phone and
    /// password hash), folds the event, appends.
    async fn create<R: Kept + Stored>(
        &self,
        community: &CommunityRef,
        unique_key: Option<&str>,
        event: R::Event,
        who: Option<i64>,
        credentials: Option<(&str, &str)>,
    ) -> Result<R> {
        let now = self.now();
        let mut tx = self.app.store.begin().await?;
        if let Some(key) = unique_key
            && tx.community_record_by_key(R::KIND.as_str(), key).await?.is_some()
        {
            return Err(already_registered());
        }
        let id = tx
            .insert_community_record(&NewCommunityRow {
                stream: R::KIND.as_str(),
                community_id: community.id.0,
                community_path: &community.path,
                status: "new",
                unique_key,
                at: now,
                now,
            })
            .await
            .map_err(|e| match e {
                chuishao_store::StoreError::Conflict(_) => already_registered(),
                e => e.into(),
            })?;
        let state = R::fold([Recorded { stream_id: id, version: 1, at: now, event: &event }])
            .ok_or_else(|| internal("a creating event that does not fold"))?;
        if let Some((phone, hash)) = credentials {
            tx.insert_volunteer_credentials(id, phone, hash).await.map_err(|e| match e {
                chuishao_store::StoreError::Conflict(_) => already_registered(),
                e => e.into(),
            })?;
        }
        append(&mut tx, &[Change::at_version(state.clone(), 1, vec![event])], who, now).await?;
        tx.commit().await?;
        self.app.ops().wake_delivery();
        Ok(state)
    }

    /// Reads a record visible to `who` (staff: within their scope; volunteers: any), lets the
    /// domain decide `command` (built from the current state) and appends.
    async fn change<R: Kept + Stored>(
        &self,
        who: Who<'_>,
        id: i64,
        expected: Option<i64>,
        command: impl FnOnce(&R) -> Result<R::Command>,
    ) -> Result<R> {
        let now = self.now();
        let mut tx = self.app.store.begin().await?;
        let row = tx.community_record_for_update(R::KIND.as_str(), id).await?.ok_or(AppError::NotFound("record"))?;
        let state: R = parse_state(&row)?;
        if let Who::Staff(a) = &who
            && !a.sees_community(&state.community_ref().path)
        {
            return Err(AppError::NotFound("record"));
        }
        if let Some(v) = expected
            && v != state.version()
        {
            return Err(chuishao_domain::DomainError::VersionConflict { expected: v, current: state.version() }.into());
        }
        let cmd = command(&state)?;
        let (next, events) = state.execute(&cmd, &who.actor(), now)?;
        if events.is_empty() {
            return Ok(next);
        }
        append(&mut tx, &[Change::at_version(next.clone(), state.version(), events)], who.log_actor(), now).await?;
        tx.commit().await?;
        self.app.ops().wake_delivery();
        Ok(next)
    }

    /// A record visible to the staff actor (404 otherwise).
    async fn visible<R: Kept>(&self, actor: &Actor, id: i64) -> Result<R> {
        let row = self.app.store.community_record(R::KIND.as_str(), id).await?.ok_or(AppError::NotFound("record"))?;
        let state: R = parse_state(&row)?;
        if !actor.sees_community(&state.community_ref().path) {
            return Err(AppError::NotFound("record"));
        }
        Ok(state)
    }

    /// A record by id, whoever asks (public reads, volunteers' own records).
    async fn any<R: Kept>(&self, id: i64) -> Result<Option<R>> {
        match self.app.store.community_record(R::KIND.as_str(), id).await? {
            Some(row) => Ok(Some(parse_state(&row)?)),
            None => Ok(None),
        }
    }

    /// Records of a kind within the actor's scope, or within one community of it.
    async fn list<R: Kept>(
        &self,
        actor: &Actor,
        community_code: Option<&str>,
        status: Option<&str>,
        newest_first: bool,
    ) -> Result<Vec<R>> {
        let scoped;
        let paths: Vec<&str> = match community_code {
            Some(code) => {
                let c = self.community_ref("community_code", code).await?;
                if !actor.sees_community(&c.path) {
                    return Err(AppError::invalid("community_code", "not a community you can see"));
                }
                scoped = c.path;
                vec![scoped.as_str()]
            }
            None => actor.read_paths(),
        };
        let rows = self.app.store.community_records(R::KIND.as_str(), &paths, status, newest_first, LIST_LIMIT).await?;
        rows.iter().map(parse_state).collect()
    }
}

fn already_registered() -> AppError {
    chuishao_domain::DomainError::rule("already_registered", "this phone number is already registered").into()
}
