//! Activities: publish, the public listing and sign-up, the organiser's rotating QR code,
//! check-in and check-out by scanning it, the organiser's confirmation into service hours,
//! no-shows, closing; and confirmed service as a query for what turns hours into points.

use super::qr::QrToken;
use super::views::{ActivityView, ConfirmedService};
use super::{Community, LIST_LIMIT, Who};
use crate::time::parse_rfc3339;
use crate::{AppError, Result};
use chuishao_domain::DomainError;
use chuishao_domain::access::Actor;
use chuishao_domain::community::{
    self, Activity, ActivityCommand, ActivityStatus, NewActivity, Participant, RegistrationStatus, Volunteer,
};
use chuishao_domain::ids::VolunteerId;
use chuishao_domain::record::StreamKind;
use chuishao_store::ServiceOf;
use serde::{Deserialize, Serialize};

/// The body of `POST /api/v1/community/activities`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityInput {
    pub community_code: String,
    /// cleanup, volunteer_service, culture, education, health, mediation or other.
    pub kind: String,
    #[schema(max_length = 200)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
    #[schema(max_length = 200)]
    pub address: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339; after `starts_at`, in the future, at most 7 days later.
    pub ends_at: String,
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: u32,
    /// Skills wanted (codes from `GET /api/v1/community/skills`).
    #[serde(default)]
    pub skills: Vec<String>,
}

/// Filters of activity lists.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityListQuery {
    /// One community (its code).
    pub community_code: Option<String>,
    /// `published`, `closed` or `cancelled` (staff lists only).
    pub status: Option<String>,
}

/// The body of `POST /api/v1/community/activities/{id}/transitions` (the organiser's actions).
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityTransitionInput {
    /// confirm, adjust, no_show (one person's attendance), close, cancel.
    pub action: String,
    pub version: i64,
    /// confirm, adjust, no_show: whose attendance.
    #[serde(default)]
    pub volunteer_id: Option<i64>,
    /// confirm (optional: else from the scans), adjust: service in half-hours, 1–48.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 48)]
    pub half_hours: Option<u32>,
    /// adjust, cancel: why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A scan of the organiser's QR code from a volunteer's phone.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    /// The token the QR code encodes.
    #[schema(max_length = 200)]
    pub token: String,
    /// Where the phone is.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

fn instant(field: &str, s: &str) -> Result<i64> {
    parse_rfc3339(s).ok_or_else(|| AppError::invalid(field, "an RFC 3339 instant"))
}

fn participant(v: &Volunteer) -> Result<Participant> {
    if v.registration.status != RegistrationStatus::Confirmed {
        return Err(
            DomainError::rule("volunteer_not_confirmed", "the community has not confirmed your account yet").into()
        );
    }
    Ok(Participant { volunteer_id: v.id, name: v.name.clone(), member_id: v.member_id, party_org_id: v.party_org_id })
}

impl Community<'_> {
    /// Publishes an activity in a community the actor manages.
    pub async fn publish_activity(&self, actor: &Actor, input: &ActivityInput) -> Result<ActivityView> {
        let community = self.community_ref("community_code", &input.community_code).await?;
        let skills = community::skills("skills", &input.skills, &self.skill_codes().await?)?;
        let new = NewActivity {
            community: community.clone(),
            kind: input.kind.clone(),
            title: input.title.clone(),
            description: input.description.clone(),
            address: input.address.clone(),
            lat: input.lat,
            lon: input.lon,
            starts_at: instant("starts_at", &input.starts_at)?,
            ends_at: instant("ends_at", &input.ends_at)?,
            capacity: input.capacity,
            skills,
        };
        let event = community::publish(actor, &new, self.now())?;
        let a: Activity = self.create(&community, None, event, Some(actor.user_id.0), None).await?;
        Ok(ActivityView::full(&a))
    }

    /// An activity with its attendance, for staff who see its community.
    pub async fn activity(&self, actor: &Actor, id: i64) -> Result<ActivityView> {
        Ok(ActivityView::full(&self.visible::<Activity>(actor, id).await?))
    }

    /// Activities in the actor's scope (or one community of it), by start, newest first.
    pub async fn activities(&self, actor: &Actor, q: &ActivityListQuery) -> Result<Vec<ActivityView>> {
        let status = match q.status.as_deref() {
            None => None,
            Some(s) => Some(
                ActivityStatus::parse(s)
                    .ok_or_else(|| AppError::invalid("status", "published, closed or cancelled"))?
                    .as_str(),
            ),
        };
        let list: Vec<Activity> = self.list(actor, q.community_code.as_deref(), status, true).await?;
        Ok(list.iter().map(ActivityView::public).collect())
    }

    /// What anyone may see: published activities not yet ended, soonest first.
    pub async fn public_activities(&self, community_code: Option<&str>) -> Result<Vec<ActivityView>> {
        let path = match community_code {
            Some(code) => self.community_ref("community_code", code).await?.path,
            None => "/".to_string(),
        };
        let now = self.now();
        let rows = self
            .app
            .store
            .community_records(StreamKind::Activity.as_str(), &[path.as_str()], Some("published"), false, LIST_LIMIT)
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let a: Activity = super::parse_state(row)?;
            if a.ends_at > now {
                out.push(ActivityView::public(&a));
            }
        }
        Ok(out)
    }

    /// One activity as the public sees it (404 when there is none).
    pub async fn public_activity(&self, id: i64) -> Result<ActivityView> {
        let a = self.any::<Activity>(id).await?.ok_or(AppError::NotFound("activity"))?;
        Ok(ActivityView::public(&a))
    }

    /// A fresh QR token for the organiser's phone (the community's managers, while published).
    pub async fn qr_token(&self, actor: &Actor, id: i64) -> Result<QrToken> {
        let a = self.visible::<Activity>(actor, id).await?;
        community::check_manages(actor, &a.community)?;
        if a.status != ActivityStatus::Published {
            return Err(DomainError::IllegalTransition { action: "qr".into(), state: a.status.as_str().into() }.into());
        }
        self.issue_token(id).await
    }

    /// The organiser's actions: confirm (hours), adjust, no_show, close, cancel.
    pub async fn transition(&self, actor: &Actor, id: i64, input: &ActivityTransitionInput) -> Result<ActivityView> {
        let person =
            || input.volunteer_id.map(VolunteerId).ok_or_else(|| AppError::invalid("volunteer_id", "whose attendance"));
        let cmd = match input.action.as_str() {
            "confirm" => ActivityCommand::Confirm { volunteer_id: person()?, half_hours: input.half_hours },
            "adjust" => ActivityCommand::Adjust {
                volunteer_id: person()?,
                half_hours: input.half_hours.ok_or_else(|| AppError::invalid("half_hours", "1–48"))?,
                reason: input.reason.clone().unwrap_or_default(),
            },
            "no_show" => ActivityCommand::NoShow { volunteer_id: person()? },
            "close" => ActivityCommand::Close,
            "cancel" => ActivityCommand::Cancel { reason: input.reason.clone().unwrap_or_default() },
            _ => return Err(AppError::invalid("action", "confirm, adjust, no_show, close or cancel")),
        };
        let a: Activity = self.change(Who::Staff(actor), id, Some(input.version), |_| Ok(cmd)).await?;
        Ok(ActivityView::full(&a))
    }

    /// A volunteer's action on an activity (their own attendance), at its current version.
    async fn volunteer_act(
        &self,
        v: &Volunteer,
        id: i64,
        cmd: impl FnOnce(&Activity) -> Result<ActivityCommand>,
    ) -> Result<ActivityView> {
        let a: Activity = self.change(Who::Volunteer(v), id, None, cmd).await?;
        Ok(ActivityView::public(&a))
    }

    /// Signs the volunteer up (confirmed accounts only; refused when full).
    pub async fn sign_up(&self, v: &Volunteer, id: i64) -> Result<ActivityView> {
        let p = participant(v)?;
        self.volunteer_act(v, id, |_| Ok(ActivityCommand::SignUp { participant: p })).await
    }

    pub async fn withdraw(&self, v: &Volunteer, id: i64) -> Result<ActivityView> {
        self.volunteer_act(v, id, |_| Ok(ActivityCommand::Withdraw { volunteer_id: v.id })).await
    }

    /// Checks the volunteer in with a scanned token and where their phone is.
    pub async fn check_in(&self, v: &Volunteer, id: i64, input: &ScanInput) -> Result<ActivityView> {
        self.any::<Activity>(id).await?.ok_or(AppError::NotFound("activity"))?;
        let scan = self.verify_token(id, &input.token, input.lat, input.lon).await?;
        self.volunteer_act(v, id, |_| Ok(ActivityCommand::CheckIn { volunteer_id: v.id, scan })).await
    }

    pub async fn check_out(&self, v: &Volunteer, id: i64, input: &ScanInput) -> Result<ActivityView> {
        self.any::<Activity>(id).await?.ok_or(AppError::NotFound("activity"))?;
        let scan = self.verify_token(id, &input.token, input.lat, input.lon).await?;
        self.volunteer_act(v, id, |_| Ok(ActivityCommand::CheckOut { volunteer_id: v.id, scan })).await
    }

    /// Every attendance confirmed at or after `since` (milliseconds), as service hours: the
    /// seam the kindness exchange (issue 16) reads to turn hours into points. Each is also an
    /// `activity_attendance_confirmed` event in the log (an `activity_hours_adjusted` event
    /// corrects it; the row here always holds the current hours).
    pub async fn confirmed_service(&self, since: i64) -> Result<Vec<ConfirmedService>> {
        let rows = self.app.store.service(ServiceOf::ConfirmedSince(since), i64::MIN, i64::MAX).await?;
        Ok(rows.iter().map(ConfirmedService::from).collect())
    }
}
