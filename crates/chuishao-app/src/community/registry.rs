//! Dual check-in (双报到) use cases: the skills list, party organisations and members
//! registering with their community and the community's decision, posts and assignment by
//! skill, and yearly counts of service against commitments.

use super::views::{MemberView, PartyOrgView, PostView, SkillView, YearlyCount, yearly};
use super::{Community, Who};
use crate::{AppError, Result};
use chuishao_domain::access::{Actor, Role};
use chuishao_domain::community::{
    self, DEFAULT_SKILLS, Decision, MAX_SKILLS, NewMember, NewPartyOrg, NewPost, PartyMember, PartyOrg, Post,
    PostCommand, RegistrationStatus, year_of, year_start,
};
use chuishao_domain::ids::{MemberId, PartyOrgId};
use chuishao_domain::record::StreamKind;
use chuishao_store::{ServiceOf, SkillRow};
use serde::{Deserialize, Serialize};

/// The body of `PUT /api/v1/community/skills`: one entry of the list.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkillInput {
    /// 1–40 of a-z, 0-9 and `_`.
    #[schema(min_length = 1, max_length = 40, pattern = "^[a-z0-9_]{1,40}$")]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_zh: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_en: String,
}

/// The body of `POST /api/v1/community/party-orgs`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyOrgInput {
    /// The community where the unit sits.
    pub community_code: String,
    #[schema(max_length = 200)]
    pub unit_name: String,
    #[schema(max_length = 200)]
    pub org_name: String,
    #[schema(max_length = 200)]
    pub contact_name: String,
    /// An 11-digit mobile number.
    pub contact_phone: String,
    /// Services its members commit to a year.
    #[schema(minimum = 0, maximum = 10000)]
    pub commitment_per_year: u32,
}

/// The body of `POST /api/v1/community/members`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// The community where the member lives.
    pub community_code: String,
    #[schema(max_length = 200)]
    pub name: String,
    /// An 11-digit mobile number; registered once.
    pub phone: String,
    #[schema(max_length = 200)]
    pub unit_name: String,
    /// Their unit's registered party organisation, if it has registered.
    #[serde(default)]
    pub party_org_id: Option<i64>,
    /// Codes from `GET /api/v1/community/skills`.
    #[serde(default)]
    pub skills: Vec<String>,
    /// When they can serve (free text).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub availability: String,
    /// Services they commit to a year.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 366)]
    pub commitment_per_year: u32,
}

/// The body of a community's decision on a registration.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// `confirm` or `decline`.
    pub action: String,
    /// The version the decision was made on (409 `version_conflict` when it moved).
    pub version: i64,
    /// decline: why.
    #[serde(default)]
    pub reason: Option<String>,
}

impl DecisionInput {
    pub(crate) fn decision(&self) -> Result<Decision> {
        match self.action.as_str() {
            "confirm" => Ok(Decision::Confirm),
            "decline" => Ok(Decision::Decline { reason: self.reason.clone().unwrap_or_default() }),
            _ => Err(AppError::invalid("action", "confirm or decline")),
        }
    }
}

/// The body of `POST /api/v1/community/posts`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    pub community_code: String,
    /// 楼门长, 调解员, 志愿服务岗…
    #[schema(max_length = 200)]
    pub name: String,
    /// The skill a holder must have.
    #[serde(default)]
    pub skill: Option<String>,
    #[schema(minimum = 1, maximum = 500)]
    pub seats: u32,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
}

/// The body of `POST /api/v1/community/posts/{id}/holders`.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// `assign` or `release`.
    pub action: String,
    pub member_id: i64,
    /// The post's version.
    pub version: i64,
}

/// Filters of registry lists.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistryQuery {
    /// One community (its code) within the caller's scope; absent: all of the caller's.
    pub community_code: Option<String>,
    /// `pending`, `confirmed` or `declined`.
    pub status: Option<String>,
}

/// One community's records.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PostQuery {
    /// One community (its code); absent: every community (the caller's, for staff lists).
    pub community_code: Option<String>,
}

/// Which year to count.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year (Beijing time); absent: this year.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

pub(super) fn status_filter(s: Option<&str>) -> Result<Option<&'static str>> {
    match s {
        None => Ok(None),
        Some(s) => RegistrationStatus::parse(s)
            .map(|x| Some(x.as_str()))
            .ok_or_else(|| AppError::invalid("status", "pending, confirmed or declined")),
    }
}

impl Community<'_> {
    /// The skills list: the configured one, else the default worded by the catalogue.
    pub async fn skills(&self) -> Result<Vec<SkillView>> {
        let rows = self.app.store.skills().await?;
        if !rows.is_empty() {
            return Ok(rows
                .into_iter()
                .map(|r| SkillView { code: r.code, name_zh: r.name_zh, name_en: r.name_en })
                .collect());
        }
        Ok(DEFAULT_SKILLS
            .iter()
            .map(|c| {
                let (zh, en) = chuishao_i18n::lookup(&format!("skill.{c}")).unwrap_or((c, c));
                SkillView { code: (*c).into(), name_zh: zh.into(), name_en: en.into() }
            })
            .collect())
    }

    pub(super) async fn skill_codes(&self) -> Result<Vec<String>> {
        Ok(self.skills().await?.into_iter().map(|s| s.code).collect())
    }

    /// Replaces the skills list (admins only). Skills already on members stay on them.
    pub async fn set_skills(&self, actor: &Actor, input: &[SkillInput]) -> Result<Vec<SkillView>> {
        if !actor.has_role(Role::Admin) {
            return Err(AppError::Forbidden("only an admin configures the skills list".into()));
        }
        if input.is_empty() || input.len() > MAX_SKILLS {
            return Err(AppError::invalid("skills", format!("between 1 and {MAX_SKILLS} skills")));
        }
        let mut rows: Vec<SkillRow> = Vec::with_capacity(input.len());
        for s in input {
            if !community::skill_code_ok(&s.code) {
                return Err(AppError::invalid("code", "1–40 of a-z, 0-9 and _"));
            }
            if rows.iter().any(|r| r.code == s.code) {
                return Err(AppError::invalid("code", format!("{} is listed twice", s.code)));
            }
            let name_zh = community::required("name_zh", &s.name_zh, 100)?;
            let name_en = community::required("name_en", &s.name_en, 100)?;
            rows.push(SkillRow { code: s.code.clone(), name_zh, name_en });
        }
        let mut tx = self.app.store.begin().await?;
        tx.set_skills(&rows).await?;
        tx.commit().await?;
        self.skills().await
    }

    /// Registers a unit's party organisation with its community (pending until confirmed).
    pub async fn register_party_org(&self, actor: &Actor, input: &PartyOrgInput) -> Result<PartyOrgView> {
        let community = self.community_ref("community_code", &input.community_code).await?;
        community::check_manages(actor, &community)?;
        let event = community::register_party_org(&NewPartyOrg {
            community: community.clone(),
            unit_name: input.unit_name.clone(),
            org_name: input.org_name.clone(),
            contact_name: input.contact_name.clone(),
            contact_phone: input.contact_phone.clone(),
            commitment_per_year: input.commitment_per_year,
        })?;
        let o: PartyOrg = self.create(&community, None, event, Some(actor.user_id.0), None).await?;
        Ok(PartyOrgView::from(&o))
    }

    /// The community confirms or declines an organisation's registration.
    pub async fn decide_party_org(&self, actor: &Actor, id: i64, input: &DecisionInput) -> Result<PartyOrgView> {
        let d = input.decision()?;
        let o: PartyOrg = self.change(Who::Staff(actor), id, Some(input.version), |_| Ok(d)).await?;
        Ok(PartyOrgView::from(&o))
    }

    pub async fn party_org(&self, actor: &Actor, id: i64) -> Result<PartyOrgView> {
        Ok(PartyOrgView::from(&self.visible::<PartyOrg>(actor, id).await?))
    }

    pub async fn party_orgs(&self, actor: &Actor, q: &RegistryQuery) -> Result<Vec<PartyOrgView>> {
        let status = status_filter(q.status.as_deref())?;
        let list: Vec<PartyOrg> = self.list(actor, q.community_code.as_deref(), status, true).await?;
        Ok(list.iter().map(PartyOrgView::from).collect())
    }

    /// Registers a party member with the community where they live. A phone registers once.
    pub async fn register_member(&self, actor: &Actor, input: &MemberInput) -> Result<MemberView> {
        let community = self.community_ref("community_code", &input.community_code).await?;
        community::check_manages(actor, &community)?;
        let skills = community::skills("skills", &input.skills, &self.skill_codes().await?)?;
        let party_org_id = match input.party_org_id {
            Some(id) => {
                let o = self.any::<PartyOrg>(id).await?;
                if o.is_none_or(|o| o.registration.status == RegistrationStatus::Declined) {
                    return Err(AppError::invalid("party_org_id", "no registered party organisation with this id"));
                }
                Some(PartyOrgId(id))
            }
            None => None,
        };
        let event = community::register_member(&NewMember {
            community: community.clone(),
            name: input.name.clone(),
            phone: input.phone.clone(),
            unit_name: input.unit_name.clone(),
            party_org_id,
            skills,
            availability: input.availability.clone(),
            commitment_per_year: input.commitment_per_year,
        })?;
        let phone = community::phone("phone", &input.phone)?;
        let m: PartyMember = self.create(&community, Some(&phone), event, Some(actor.user_id.0), None).await?;
        Ok(MemberView::from(&m))
    }

    pub async fn decide_member(&self, actor: &Actor, id: i64, input: &DecisionInput) -> Result<MemberView> {
        let d = input.decision()?;
        let m: PartyMember = self.change(Who::Staff(actor), id, Some(input.version), |_| Ok(d)).await?;
        Ok(MemberView::from(&m))
    }

    pub async fn member(&self, actor: &Actor, id: i64) -> Result<MemberView> {
        Ok(MemberView::from(&self.visible::<PartyMember>(actor, id).await?))
    }

    pub async fn members(&self, actor: &Actor, q: &RegistryQuery) -> Result<Vec<MemberView>> {
        let status = status_filter(q.status.as_deref())?;
        let list: Vec<PartyMember> = self.list(actor, q.community_code.as_deref(), status, true).await?;
        Ok(list.iter().map(MemberView::from).collect())
    }

    /// Defines a post in a community.
    pub async fn create_post(&self, actor: &Actor, input: &PostInput) -> Result<PostView> {
        let community = self.community_ref("community_code", &input.community_code).await?;
        let skill = match &input.skill {
            Some(s) => community::skills("skill", std::slice::from_ref(s), &self.skill_codes().await?)?.pop(),
            None => None,
        };
        let event = community::create_post(
            actor,
            &NewPost {
                community: community.clone(),
                name: input.name.clone(),
                skill,
                seats: input.seats,
                description: input.description.clone(),
            },
        )?;
        let p: Post = self.create(&community, None, event, Some(actor.user_id.0), None).await?;
        Ok(PostView::from(&p))
    }

    /// Assigns a member to a post (by skill) or releases them.
    pub async fn assign(&self, actor: &Actor, post_id: i64, input: &AssignInput) -> Result<PostView> {
        let command = match input.action.as_str() {
            "assign" => {
                let m = self
                    .any::<PartyMember>(input.member_id)
                    .await?
                    .ok_or_else(|| AppError::invalid("member_id", "no such member"))?;
                PostCommand::Assign { member: Box::new(m) }
            }
            "release" => PostCommand::Release { member_id: MemberId(input.member_id) },
            _ => return Err(AppError::invalid("action", "assign or release")),
        };
        let p: Post = self.change(Who::Staff(actor), post_id, Some(input.version), |_| Ok(command)).await?;
        Ok(PostView::from(&p))
    }

    pub async fn post(&self, actor: &Actor, id: i64) -> Result<PostView> {
        Ok(PostView::from(&self.visible::<Post>(actor, id).await?))
    }

    pub async fn posts(&self, actor: &Actor, community_code: Option<&str>) -> Result<Vec<PostView>> {
        let list: Vec<Post> = self.list(actor, community_code, None, false).await?;
        Ok(list.iter().map(PostView::from).collect())
    }

    fn year(&self, q: &YearQuery) -> Result<i32> {
        let y = q.year.unwrap_or_else(|| year_of(self.now()));
        if !(2000..=2100).contains(&y) {
            return Err(AppError::invalid("year", "between 2000 and 2100"));
        }
        Ok(y)
    }

    /// A member's service in a year against their commitment.
    pub async fn member_year(&self, actor: &Actor, id: i64, q: &YearQuery) -> Result<YearlyCount> {
        let m = self.visible::<PartyMember>(actor, id).await?;
        let y = self.year(q)?;
        let rows = self.app.store.service(ServiceOf::Member(id), year_start(y), year_start(y + 1)).await?;
        Ok(yearly(y, &rows, m.commitment_per_year))
    }

    /// A unit's service (its members', wherever they live) in a year against its commitment.
    pub async fn party_org_year(&self, actor: &Actor, id: i64, q: &YearQuery) -> Result<YearlyCount> {
        let o = self.visible::<PartyOrg>(actor, id).await?;
        let y = self.year(q)?;
        let rows = self.app.store.service(ServiceOf::PartyOrg(id), year_start(y), year_start(y + 1)).await?;
        Ok(yearly(y, &rows, o.commitment_per_year))
    }

    /// A confirmed member with this phone, if any (linking volunteers to members).
    pub(crate) async fn member_by_phone(&self, phone: &str) -> Result<Option<PartyMember>> {
        match self.app.store.community_record_by_key(StreamKind::PartyMember.as_str(), phone).await? {
            Some(row) => {
                let m: PartyMember = super::parse_state(&row)?;
                Ok((m.registration.status != RegistrationStatus::Declined).then_some(m))
            }
            None => Ok(None),
        }
    }
}
