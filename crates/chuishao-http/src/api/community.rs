//! Community mobilisation (社区动员) under `/api/v1/community/…`: the skills list, party
//! organisations and members registering with their community (双报到), posts, activities
//! with QR check-in and service hours, and volunteers' accounts.
//!
//! Staff authenticate with an API token (`bearer`); volunteers with their own session token
//! (`volunteer`); the public listing, volunteer registration and sign-in need neither.
//! A record rule's refusal answers its own code (`activity_full`, `qr_expired`, `too_far`…)
//! with `details.message_zh` and `details.message_en`.

use crate::api::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, VolunteerAuth, path_id};
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chuishao_app::community::{
    ActivityInput, ActivityListQuery, ActivityTransitionInput, ActivityView, AssignInput, DecisionInput, MemberInput,
    MemberView, PartyOrgInput, PartyOrgView, PostInput, PostQuery, PostView, QrToken, RegistryQuery, ScanInput,
    SkillInput, SkillView, VolunteerHome, VolunteerLogin, VolunteerLoginOutcome, VolunteerRegistration, VolunteerView,
    YearQuery, YearlyCount,
};
use serde::Serialize;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The configured skills list (codes with their names in both languages).
#[utoipa::path(get, path = "/api/v1/community/skills", tag = "community",
    responses((status = 200, body = Vec<SkillView>)))]
pub async fn skills(State(s): State<AppState>) -> ApiResult<Vec<SkillView>> {
    Ok(Json(s.app.community().skills().await?))
}

/// Replaces the skills list (admin). Skills already given to members stay on them.
#[utoipa::path(put, path = "/api/v1/community/skills", tag = "community", security(("bearer" = [])),
    request_body = Vec<SkillInput>,
    responses((status = 200, body = Vec<SkillView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_skills(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<Vec<SkillInput>>,
) -> ApiResult<Vec<SkillView>> {
    Ok(Json(s.app.community().set_skills(&actor, &input).await?))
}

/// Registers a unit's party organisation with the community where it sits (双报到), pending
/// until the community confirms it.
#[utoipa::path(post, path = "/api/v1/community/party-orgs", tag = "community", security(("bearer" = [])),
    request_body = PartyOrgInput,
    responses((status = 201, body = PartyOrgView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn register_party_org(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<PartyOrgInput>,
) -> Result<(StatusCode, Json<PartyOrgView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.community().register_party_org(&actor, &input).await?)))
}

/// Registered party organisations the caller sees (a community only its own), newest first.
#[utoipa::path(get, path = "/api/v1/community/party-orgs", tag = "community", security(("bearer" = [])),
    params(RegistryQuery),
    responses((status = 200, body = Vec<PartyOrgView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn party_orgs(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<RegistryQuery>,
) -> ApiResult<Vec<PartyOrgView>> {
    Ok(Json(s.app.community().party_orgs(&actor, &q).await?))
}

/// One registered party organisation; outside the caller's scope it does not exist (404).
#[utoipa::path(get, path = "/api/v1/community/party-orgs/{id}", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PartyOrgView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn party_org(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<PartyOrgView> {
    Ok(Json(s.app.community().party_org(&actor, path_id(&id)?).await?))
}

/// The community confirms or declines an organisation's registration.
#[utoipa::path(post, path = "/api/v1/community/party-orgs/{id}/decision", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = PartyOrgView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_party_org(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> ApiResult<PartyOrgView> {
    Ok(Json(s.app.community().decide_party_org(&actor, path_id(&id)?, &input).await?))
}

/// A unit's confirmed service in a year (its members', wherever they live) against its
/// yearly commitment, by activity kind.
#[utoipa::path(get, path = "/api/v1/community/party-orgs/{id}/year", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path), YearQuery),
    responses((status = 200, body = YearlyCount), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn party_org_year(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<YearlyCount> {
    Ok(Json(s.app.community().party_org_year(&actor, path_id(&id)?, &q).await?))
}

/// Registers a party member with the community where they live (双报到): name, phone, unit,
/// skills, availability. A phone registers once (409 `already_registered`).
#[utoipa::path(post, path = "/api/v1/community/members", tag = "community", security(("bearer" = [])),
    request_body = MemberInput,
    responses((status = 201, body = MemberView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register_member(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<MemberInput>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.community().register_member(&actor, &input).await?)))
}

/// Registered party members the caller sees, newest first.
#[utoipa::path(get, path = "/api/v1/community/members", tag = "community", security(("bearer" = [])),
    params(RegistryQuery),
    responses((status = 200, body = Vec<MemberView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn members(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<RegistryQuery>,
) -> ApiResult<Vec<MemberView>> {
    Ok(Json(s.app.community().members(&actor, &q).await?))
}

/// One registered member; outside the caller's scope it does not exist (404).
#[utoipa::path(get, path = "/api/v1/community/members/{id}", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = MemberView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn member(State(s): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<MemberView> {
    Ok(Json(s.app.community().member(&actor, path_id(&id)?).await?))
}

/// The community confirms or declines a member's registration.
#[utoipa::path(post, path = "/api/v1/community/members/{id}/decision", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = MemberView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_member(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> ApiResult<MemberView> {
    Ok(Json(s.app.community().decide_member(&actor, path_id(&id)?, &input).await?))
}

/// A member's confirmed service in a year against their yearly commitment.
#[utoipa::path(get, path = "/api/v1/community/members/{id}/year", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path), YearQuery),
    responses((status = 200, body = YearlyCount), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn member_year(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<YearlyCount> {
    Ok(Json(s.app.community().member_year(&actor, path_id(&id)?, &q).await?))
}

/// Defines a post (楼门长, 调解员, 志愿服务岗…), optionally needing a skill.
#[utoipa::path(post, path = "/api/v1/community/posts", tag = "community", security(("bearer" = [])),
    request_body = PostInput,
    responses((status = 201, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_post(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<PostInput>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.community().create_post(&actor, &input).await?)))
}

/// Posts the caller sees, with their holders.
#[utoipa::path(get, path = "/api/v1/community/posts", tag = "community", security(("bearer" = [])),
    params(PostQuery),
    responses((status = 200, body = Vec<PostView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn posts(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<PostQuery>,
) -> ApiResult<Vec<PostView>> {
    Ok(Json(s.app.community().posts(&actor, q.community_code.as_deref()).await?))
}

/// One post; outside the caller's scope it does not exist (404).
#[utoipa::path(get, path = "/api/v1/community/posts/{id}", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = PostView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn post(State(s): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<PostView> {
    Ok(Json(s.app.community().post(&actor, path_id(&id)?).await?))
}

/// Assigns a confirmed member of the community to the post (they must have its skill), or
/// releases them.
#[utoipa::path(post, path = "/api/v1/community/posts/{id}/holders", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AssignInput,
    responses((status = 200, body = PostView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<PostView> {
    Ok(Json(s.app.community().assign(&actor, path_id(&id)?, &input).await?))
}

/// Publishes an activity (kind, time, place, capacity, skills wanted) in a community the
/// caller manages.
#[utoipa::path(post, path = "/api/v1/community/activities", tag = "community", security(("bearer" = [])),
    request_body = ActivityInput,
    responses((status = 201, body = ActivityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn publish_activity(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<(StatusCode, Json<ActivityView>), ApiError> {
    Ok((StatusCode::CREATED, Json(s.app.community().publish_activity(&actor, &input).await?)))
}

/// Activities the caller sees, latest start first (without attendance).
#[utoipa::path(get, path = "/api/v1/community/activities", tag = "community", security(("bearer" = [])),
    params(ActivityListQuery),
    responses((status = 200, body = Vec<ActivityView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn activities(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ActivityListQuery>,
) -> ApiResult<Vec<ActivityView>> {
    Ok(Json(s.app.community().activities(&actor, &q).await?))
}

/// One activity with every attendance; outside the caller's scope it does not exist (404).
#[utoipa::path(get, path = "/api/v1/community/activities/{id}", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ActivityView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn activity(State(s): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().activity(&actor, path_id(&id)?).await?))
}

/// A fresh signed QR token for the organiser's phone (valid 60 s; show a new one every 20 s).
#[utoipa::path(get, path = "/api/v1/community/activities/{id}/qr", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = QrToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn qr(State(s): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<QrToken> {
    Ok(Json(s.app.community().qr_token(&actor, path_id(&id)?).await?))
}

/// The organiser's actions: `confirm` an attendance (service hours in half-hours, from the
/// scans unless given), `adjust` confirmed hours, record a `no_show`, `close` after the end
/// (the remaining sign-ups become no-shows), `cancel`.
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/transitions", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ActivityTransitionInput,
    responses((status = 200, body = ActivityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityTransitionInput>,
) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().transition(&actor, path_id(&id)?, &input).await?))
}

/// Published activities that have not ended, soonest first (public).
#[utoipa::path(get, path = "/api/v1/community/public/activities", tag = "community", params(PostQuery),
    responses((status = 200, body = Vec<ActivityView>), (status = 422, body = ErrorBody)))]
pub async fn public_activities(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PostQuery>,
) -> ApiResult<Vec<ActivityView>> {
    Ok(Json(s.app.community().public_activities(q.community_code.as_deref()).await?))
}

/// One activity as the public sees it (no names).
#[utoipa::path(get, path = "/api/v1/community/public/activities/{id}", tag = "community",
    params(("id" = i64, Path)),
    responses((status = 200, body = ActivityView), (status = 404, body = ErrorBody)))]
pub async fn public_activity(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().public_activity(path_id(&id)?).await?))
}

/// Signs the volunteer up (a confirmed account; 409 `activity_full` past capacity).
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/sign-up", tag = "community", security(("volunteer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ActivityView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn sign_up(
    State(s): State<AppState>,
    VolunteerAuth(v): VolunteerAuth,
    Path(id): Path<String>,
) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().sign_up(&v.volunteer, path_id(&id)?).await?))
}

/// Withdraws the volunteer's sign-up (before checking in).
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/withdraw", tag = "community", security(("volunteer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ActivityView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(s): State<AppState>,
    VolunteerAuth(v): VolunteerAuth,
    Path(id): Path<String>,
) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().withdraw(&v.volunteer, path_id(&id)?).await?))
}

/// Checks the volunteer in with the organiser's scanned QR token and where the phone is.
/// Refusals: `qr_forged`, `qr_expired`, `too_far` (422); `activity_not_open`,
/// `activity_closed`, `already_checked_in`, `not_signed_up` (409).
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/check-in", tag = "community", security(("volunteer" = [])),
    params(("id" = i64, Path)), request_body = ScanInput,
    responses((status = 200, body = ActivityView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_in(
    State(s): State<AppState>,
    VolunteerAuth(v): VolunteerAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ScanInput>,
) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().check_in(&v.volunteer, path_id(&id)?, &input).await?))
}

/// Checks the volunteer out with a fresh scan (the check-in's code again: `qr_replayed`).
#[utoipa::path(post, path = "/api/v1/community/activities/{id}/check-out", tag = "community", security(("volunteer" = [])),
    params(("id" = i64, Path)), request_body = ScanInput,
    responses((status = 200, body = ActivityView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_out(
    State(s): State<AppState>,
    VolunteerAuth(v): VolunteerAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ScanInput>,
) -> ApiResult<ActivityView> {
    Ok(Json(s.app.community().check_out(&v.volunteer, path_id(&id)?, &input).await?))
}

fn too_many(wait_s: u64) -> Response {
    let mut res =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "too many attempts; wait and try again")
            .into_response();
    if let Ok(v) = HeaderValue::from_str(&wait_s.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// Registers a volunteer's account (public): phone and password, pending until the community
/// confirms it. A phone registers once (409 `already_registered`).
#[utoipa::path(post, path = "/api/v1/community/volunteers", tag = "community", request_body = VolunteerRegistration,
    responses((status = 201, body = VolunteerView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn register_volunteer(
    State(s): State<AppState>,
    parts: Parts,
    ApiJson(input): ApiJson<VolunteerRegistration>,
) -> Result<Response, ApiError> {
    if let Err(wait) = s.limiter.check("volunteer_register", s.limiter.limits.report, s.client_addr(&parts)) {
        return Ok(too_many(wait));
    }
    let v = s.app.community().register_volunteer(&input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Volunteers of the communities the caller sees, newest first.
#[utoipa::path(get, path = "/api/v1/community/volunteers", tag = "community", security(("bearer" = [])),
    params(RegistryQuery),
    responses((status = 200, body = Vec<VolunteerView>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn volunteers(
    State(s): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<RegistryQuery>,
) -> ApiResult<Vec<VolunteerView>> {
    Ok(Json(s.app.community().volunteers(&actor, &q).await?))
}

/// The community confirms or declines a volunteer's account.
#[utoipa::path(post, path = "/api/v1/community/volunteers/{id}/decision", tag = "community", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = VolunteerView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide_volunteer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> ApiResult<VolunteerView> {
    Ok(Json(s.app.community().decide_volunteer(&actor, path_id(&id)?, &input).await?))
}

/// A volunteer's session token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VolunteerToken {
    /// Send as `Authorization: Bearer …` (volunteer routes only).
    pub token: String,
    pub expires_at: String,
}

/// Signs a volunteer in by phone and password. A wrong password and an unknown phone answer
/// alike (401 `login_failed`); repeated failures wait (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/community/volunteers/login", tag = "community", request_body = VolunteerLogin,
    responses((status = 200, body = VolunteerToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn login(
    State(s): State<AppState>,
    parts: Parts,
    ApiJson(input): ApiJson<VolunteerLogin>,
) -> Result<Response, ApiError> {
    let addr = s.client_addr(&parts);
    let rate = s.limiter.limits.login;
    if let Err(wait) = s.limiter.peek("login", rate, addr) {
        return Ok(too_many(wait));
    }
    match s.app.community().login(&input.phone, &input.password, &addr.to_string()).await? {
        VolunteerLoginOutcome::Ok { token, expires_at } => {
            Ok(Json(VolunteerToken { token, expires_at: chuishao_app::time::rfc3339(expires_at) }).into_response())
        }
        VolunteerLoginOutcome::Failed => {
            let _ = s.limiter.check("login", rate, addr);
            Ok(ApiError::new(StatusCode::UNAUTHORIZED, "login_failed", "wrong phone number or password")
                .into_response())
        }
        VolunteerLoginOutcome::Blocked { retry_after_ms } => {
            Ok(too_many(u64::try_from(retry_after_ms / 1000 + 1).unwrap_or(1)))
        }
    }
}

/// Ends the volunteer's session.
#[utoipa::path(post, path = "/api/v1/community/volunteers/logout", tag = "community", security(("volunteer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(s): State<AppState>, VolunteerAuth(v): VolunteerAuth) -> Result<StatusCode, ApiError> {
    s.app.community().logout(&v).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The volunteer's own page: account, sign-ups (newest first) and total confirmed hours.
#[utoipa::path(get, path = "/api/v1/community/volunteers/me", tag = "community", security(("volunteer" = [])),
    responses((status = 200, body = VolunteerHome), (status = 401, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, VolunteerAuth(v): VolunteerAuth) -> ApiResult<VolunteerHome> {
    Ok(Json(s.app.community().home(&v.volunteer).await?))
}
