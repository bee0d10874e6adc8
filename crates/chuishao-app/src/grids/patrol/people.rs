//! Street chiefs (街巷长), alley stewards (巷管家) and the street council, and the streets of
//! an area with their people and when they were last patrolled.

use super::{check_visible, related};
use crate::grids::Grids;
use crate::time::rfc3339;
use crate::{AppError, FieldError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::org::{OrgKind, path_within};
use chuishao_domain::patrol::{Council, Duty, StreetPeople, unpatrolled};
use chuishao_store::{StreetPersonRow, StreetRow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The body of `PUT /api/v1/geo/streets/{code}/people`: everyone assigned, replacing what was.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreetPeopleInput {
    /// Usernames of the street chiefs (街巷长); each must hold the `street_chief` role over
    /// the street's community.
    #[serde(default)]
    pub chiefs: Vec<String>,
    /// Usernames of the alley stewards (巷管家).
    #[serde(default)]
    pub stewards: Vec<String>,
    /// The street council (街巷理事会), or null for none.
    #[serde(default)]
    pub council: Option<CouncilInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouncilInput {
    /// The chair: one of the street's chiefs.
    pub chief: String,
    #[serde(default)]
    pub secretary: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PersonRefView {
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CouncilView {
    pub chief: PersonRefView,
    pub secretary: Option<PersonRefView>,
    pub members: Vec<PersonRefView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StreetRefView {
    pub code: String,
    pub name: String,
}

/// A street with its people and its last patrol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StreetView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub community: StreetRefView,
    pub chiefs: Vec<PersonRefView>,
    pub stewards: Vec<PersonRefView>,
    pub council: Option<CouncilView>,
    /// When the last finished patrol ended (RFC 3339), null if never.
    pub last_patrolled_at: Option<String>,
    /// Not patrolled within the period.
    pub unpatrolled: bool,
}

/// `GET /api/v1/geo/streets`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StreetListView {
    pub org_code: String,
    pub period_hours: f64,
    pub unpatrolled_count: usize,
    pub streets: Vec<StreetView>,
}

fn street_view(s: &StreetRow, people: &[&StreetPersonRow], last: Option<i64>, now: i64, period: i64) -> StreetView {
    let person =
        |p: &StreetPersonRow| PersonRefView { username: p.username.clone(), display_name: p.display_name.clone() };
    let with = |d: Duty| people.iter().filter(move |p| p.duty == d.as_str()).map(|p| person(p));
    let council = with(Duty::CouncilChief).next().map(|chief| CouncilView {
        chief,
        secretary: with(Duty::CouncilSecretary).next(),
        members: with(Duty::CouncilMember).collect(),
    });
    StreetView {
        code: s.code.clone(),
        name: s.name_zh.clone(),
        name_en: s.name_en.clone(),
        community: StreetRefView { code: s.community_code.clone(), name: s.community_name.clone() },
        chiefs: with(Duty::Chief).collect(),
        stewards: with(Duty::Steward).collect(),
        council,
        last_patrolled_at: last.map(rfc3339),
        unpatrolled: unpatrolled(last, now, period),
    }
}

impl Grids<'_> {
    pub(crate) async fn street_row(&self, code: &str) -> Result<StreetRow> {
        self.store.street_by_code(code).await?.ok_or(AppError::NotFound("street"))
    }

    /// One street with its people, for anyone with a role on its branch of the tree.
    pub async fn street(&self, actor: &Actor, code: &str) -> Result<StreetView> {
        let s = self.street_row(code).await?;
        check_visible(actor, &s.community_path)?;
        self.street_view_of(&s).await
    }

    async fn street_view_of(&self, s: &StreetRow) -> Result<StreetView> {
        let people = self.store.street_people_under(&s.community_path).await?;
        let mine: Vec<&StreetPersonRow> = people.iter().filter(|p| p.street_id == s.id).collect();
        let last = self.store.last_patrols_under(&s.community_path).await?;
        let last = last.iter().find(|(id, _)| *id == s.id).map(|(_, t)| *t);
        Ok(street_view(s, &mine, last, self.now_ms(), self.patrol.period_ms))
    }

    /// The streets of an area in `actor`'s scope, optionally only the unpatrolled ones.
    pub async fn streets(
        &self,
        actor: &Actor,
        org_code: &str,
        only_unpatrolled: bool,
        period_ms: Option<i64>,
    ) -> Result<StreetListView> {
        // Like the map's areas, but a grid worker may also ask for the community around their
        // grid; only the streets of communities on the actor's branches are listed.
        let area = self.admin().org_by_code(org_code).await?.ok_or(AppError::NotFound("organisation"))?;
        if !matches!(area.kind, OrgKind::Subdistrict | OrgKind::Township | OrgKind::Community | OrgKind::Village) {
            return Err(AppError::invalid("org", "a subdistrict, township, community or village code"));
        }
        if !related(actor, &[], &area.path) {
            return Err(AppError::NotFound("organisation"));
        }
        let period = period_ms.unwrap_or(self.patrol.period_ms);
        let now = self.now_ms();
        let people = self.store.street_people_under(&area.path).await?;
        let mut by_street: HashMap<i64, Vec<&StreetPersonRow>> = HashMap::new();
        for p in &people {
            by_street.entry(p.street_id).or_default().push(p);
        }
        let last: HashMap<i64, i64> = self.store.last_patrols_under(&area.path).await?.into_iter().collect();
        let all: Vec<StreetView> = self
            .store
            .streets_under(&area.path)
            .await?
            .iter()
            .filter(|s| related(actor, &[], &s.community_path))
            .map(|s| {
                let p = by_street.get(&s.id).map(Vec::as_slice).unwrap_or(&[]);
                street_view(s, p, last.get(&s.id).copied(), now, period)
            })
            .collect();
        let unpatrolled_count = all.iter().filter(|s| s.unpatrolled).count();
        Ok(StreetListView {
            org_code: area.code.clone(),
            period_hours: period as f64 / 3_600_000.0,
            unpatrolled_count,
            streets: all.into_iter().filter(|s| !only_unpatrolled || s.unpatrolled).collect(),
        })
    }

    /// Replaces the people of a street: an admin, or a dispatcher over the street's area.
    pub async fn set_street_people(&self, actor: &Actor, code: &str, input: &StreetPeopleInput) -> Result<StreetView> {
        let s = self.street_row(code).await?;
        check_visible(actor, &s.community_path)?;
        let may = actor.has_role(Role::Admin)
            || actor.bindings.iter().any(|b| b.role == Role::Dispatcher && path_within(&s.community_path, &b.org_path));
        if !may {
            return Err(AppError::Forbidden(format!(
                "{} may not assign people to {code}; an admin or a dispatcher of its area may",
                actor.username
            )));
        }
        let people = StreetPeople {
            chiefs: input.chiefs.iter().map(|u| u.trim().to_string()).collect(),
            stewards: input.stewards.iter().map(|u| u.trim().to_string()).collect(),
            council: input.council.as_ref().map(|c| Council {
                chief: c.chief.trim().to_string(),
                secretary: c.secretary.as_ref().map(|u| u.trim().to_string()),
                members: c.members.iter().map(|u| u.trim().to_string()).collect(),
            }),
        };
        let mut errors: Vec<FieldError> =
            people.check().into_iter().map(|(f, m)| FieldError { field: f.into(), message: m }).collect();
        let mut resolved: Vec<(i64, &'static str)> = Vec::new();
        for (username, duty) in people.assignments() {
            let field = match duty {
                Duty::Chief => "chiefs",
                Duty::Steward => "stewards",
                Duty::CouncilChief => "council.chief",
                Duty::CouncilSecretary => "council.secretary",
                Duty::CouncilMember => "council.members",
            };
            let Some(user) = self.store.user_by_username(&username).await?.filter(|u| u.active) else {
                errors.push(FieldError { field: field.into(), message: format!("no active user {username}") });
                continue;
            };
            if duty == Duty::Chief {
                let actor = self.admin().actor_for(&username).await?;
                if !related(&actor, &[Role::StreetChief], &s.community_path) {
                    errors.push(FieldError {
                        field: field.into(),
                        message: format!("{username} holds no street_chief role over {}", s.community_code),
                    });
                }
            }
            resolved.push((user.id, duty.as_str()));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut tx = self.store.begin().await?;
        tx.replace_street_people(s.id, &resolved, self.now_ms()).await?;
        tx.commit().await?;
        self.street_view_of(&s).await
    }
}
