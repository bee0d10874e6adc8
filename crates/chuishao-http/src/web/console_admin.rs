//! The console's user administration for admins: the user directory, a new user, and one
//! user's page (roles at org nodes, password reset, unlock, disable/enable, sessions, API
//! tokens). Who may do what is decided by the app (`chuishao_app::console::admin`, asking
//! the domain's `admin` rules); this layer renders, checks the form token and maps refusals
//! to translated messages. Non-admins get 403 on every page and form.

use super::console::{Chrome, chrome, finish, internal, require, staff};
use super::track::form;
use super::{PageLang, csrf, filters, html};
use crate::AppState;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuishao_app::console::Session;
use chuishao_app::console::admin::{AdminError, Done, GrantableOrg, NewUser, RoleAt, UserSummary};
use chuishao_domain::access::Role;
use chuishao_domain::admin::{AdminRefusal, require_admin};
use chuishao_domain::ids::UserId;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The catalogue key of a refusal.
fn refusal_key(r: AdminRefusal) -> String {
    format!("admin.err.{}", r.code())
}

fn role_key(r: Role) -> String {
    format!("role.{}", r.as_str())
}

fn forbidden(lang: PageLang) -> Response {
    (StatusCode::FORBIDDEN, lang.msgs().t("admin.err.not_admin").to_string()).into_response()
}

fn status_of(r: AdminRefusal) -> StatusCode {
    match r {
        AdminRefusal::UnknownUser => StatusCode::NOT_FOUND,
        r if r.is_permission() => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// A GET page's session, if its user is an admin (else the sign-in redirect or a 403).
async fn admin_page(s: &AppState, lang: PageLang, parts: &Parts) -> Result<Session, Response> {
    let session = require(s, parts).await?;
    require_admin(&session.actor).map_err(|_| forbidden(lang))?;
    Ok(session)
}

/// A form's fields and its session, if the token matches and the user is an admin.
async fn admin_form(
    s: &AppState,
    lang: PageLang,
    req: Request,
    back: &str,
) -> Result<(Parts, Session, BTreeMap<String, String>), Response> {
    let (parts, body) = req.into_parts();
    let Some(f) = form::<BTreeMap<String, String>>(&parts, body).await else {
        return Err((StatusCode::BAD_REQUEST, "send a form").into_response());
    };
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return Err((StatusCode::FORBIDDEN, lang.msgs().t("error.csrf").to_string()).into_response());
    }
    let session = match staff(s, &parts).await {
        Ok(Some(x)) => x,
        Ok(None) => {
            let next = serde_urlencoded::to_string([("next", back)]).unwrap_or_default();
            return Err(Redirect::to(&format!("/login?{next}")).into_response());
        }
        Err(e) => return Err(internal(&e)),
    };
    require_admin(&session.actor).map_err(|_| forbidden(lang))?;
    Ok((parts, session, f))
}

fn field(f: &BTreeMap<String, String>, k: &str) -> Option<String> {
    f.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// A role held at a node, ready to render.
struct RoleView {
    role: &'static str,
    key: String,
    org_id: i64,
    org: String,
}

/// One user, ready to render.
struct UserView {
    id: i64,
    username: String,
    display_name: String,
    active: bool,
    must_change: bool,
    locked: bool,
    failures: i64,
    last_login: String,
    sessions: i64,
    roles: Vec<RoleView>,
}

fn role_view(lang: PageLang, r: &RoleAt) -> RoleView {
    RoleView {
        role: r.role.as_str(),
        key: role_key(r.role),
        org_id: r.org_id,
        org: format!("{} {}", lang.lang.pick(&r.org_name_zh, &r.org_name_en), r.org_code),
    }
}

fn user_view(lang: PageLang, u: &UserSummary) -> UserView {
    UserView {
        id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        active: u.active,
        must_change: u.must_change_password,
        locked: u.locked,
        failures: u.failures,
        last_login: u.last_login.map(chuishao_app::time::rfc3339).unwrap_or_default(),
        sessions: u.live_sessions,
        roles: u.roles.iter().map(|r| role_view(lang, r)).collect(),
    }
}

/// The role and node pickers, limited to what the admin may grant.
struct Pickers {
    roles: Vec<(&'static str, String)>,
    orgs: Vec<(String, String)>,
}

async fn pickers(s: &AppState, lang: PageLang, session: &Session) -> Result<Pickers, Response> {
    let orgs: Vec<GrantableOrg> = match s.app.grantable_orgs(&session.actor).await {
        Ok(x) => x,
        Err(AdminError::Refused(_)) => return Err(forbidden(lang)),
        Err(AdminError::App(e)) => return Err(internal(&e)),
    };
    Ok(Pickers {
        roles: Role::ALL.iter().map(|r| (r.as_str(), role_key(*r))).collect(),
        orgs: orgs
            .into_iter()
            .map(|o| {
                let indent = "\u{3000}".repeat(o.depth.saturating_sub(1));
                (o.code.clone(), format!("{indent}{} {}", lang.lang.pick(&o.name_zh, &o.name_en), o.code))
            })
            .collect(),
    })
}

#[derive(askama::Template)]
#[template(path = "console_admin_users.html")]
struct UsersPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    q: String,
    users: Vec<UserView>,
    total: usize,
    page: usize,
    pages: usize,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize, Default)]
struct ListParams {
    q: Option<String>,
    page: Option<usize>,
}

fn page_href(q: &str, page: usize) -> String {
    let query = serde_urlencoded::to_string([("q", q), ("page", &page.to_string())]).unwrap_or_default();
    format!("/console/admin/users?{query}")
}

async fn users(State(s): State<AppState>, lang: PageLang, Query(p): Query<ListParams>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match admin_page(&s, lang, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let q = p.q.unwrap_or_default();
    let list = match s.app.admin_users(&session.actor, &q, p.page.unwrap_or(1)).await {
        Ok(x) => x,
        Err(AdminError::Refused(_)) => return forbidden(lang),
        Err(AdminError::App(e)) => return internal(&e),
    };
    let c = chrome(&parts, &session, "admin");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let page = UsersPage {
        t: lang.msgs(),
        switch_href: lang.switch_href("/console/admin/users"),
        chrome: c,
        users: list.items.iter().map(|u| user_view(lang, u)).collect(),
        total: list.total,
        page: list.page,
        pages: list.pages,
        prev_href: (list.page > 1).then(|| page_href(&q, list.page - 1)),
        next_href: (list.page < list.pages).then(|| page_href(&q, list.page + 1)),
        q,
    };
    finish(lang, fresh, html(StatusCode::OK, &page))
}

#[derive(askama::Template)]
#[template(path = "console_admin_new.html")]
struct NewUserPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    pick: Pickers,
    username: String,
    display_name: String,
    role: String,
    org: String,
    error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn new_user_page(
    s: &AppState,
    lang: PageLang,
    parts: &Parts,
    session: &Session,
    status: StatusCode,
    values: &BTreeMap<String, String>,
    error: Option<String>,
) -> Response {
    let pick = match pickers(s, lang, session).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let c = chrome(parts, session, "admin");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let value = |k: &str| values.get(k).cloned().unwrap_or_default();
    let page = NewUserPage {
        t: lang.msgs(),
        switch_href: lang.switch_href("/console/admin/users/new"),
        chrome: c,
        pick,
        username: value("username"),
        display_name: value("display_name"),
        role: value("role"),
        org: value("org"),
        error,
    };
    finish(lang, fresh, html(status, &page))
}

async fn new_user_form(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let parts = req.into_parts().0;
    match admin_page(&s, lang, &parts).await {
        Ok(session) => new_user_page(&s, lang, &parts, &session, StatusCode::OK, &BTreeMap::new(), None).await,
        Err(r) => r,
    }
}

async fn create_user(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let (parts, session, f) = match admin_form(&s, lang, req, "/console/admin/users/new").await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let new = NewUser {
        username: field(&f, "username").unwrap_or_default(),
        display_name: field(&f, "display_name").unwrap_or_default(),
        password: f.get("password").filter(|p| !p.is_empty()).cloned(),
        role: field(&f, "role").map(|r| (r, field(&f, "org").unwrap_or_default())),
    };
    match s.app.admin_create_user(&session.actor, &new).await {
        Ok((id, done)) => user_page(&s, lang, &parts, &session, id, StatusCode::CREATED, Outcome::Done(done)).await,
        Err(AdminError::Refused(r)) => {
            new_user_page(&s, lang, &parts, &session, status_of(r), &f, Some(refusal_key(r))).await
        }
        Err(AdminError::App(e)) => internal(&e),
    }
}

/// What the user page reports at its top.
enum Outcome {
    None,
    Done(Done),
    Refused(AdminRefusal),
}

#[derive(askama::Template)]
#[template(path = "console_admin_user.html")]
struct UserPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    u: UserView,
    tokens: Vec<TokenView>,
    pick: Pickers,
    done: Option<String>,
    error: Option<String>,
    password: Option<String>,
}

struct TokenView {
    id: i64,
    label: String,
    created: String,
    revoked: String,
}

async fn user_page(
    s: &AppState,
    lang: PageLang,
    parts: &Parts,
    session: &Session,
    id: UserId,
    status: StatusCode,
    outcome: Outcome,
) -> Response {
    let detail = match s.app.admin_user(&session.actor, id).await {
        Ok(x) => x,
        Err(AdminError::Refused(r)) => {
            return (status_of(r), lang.msgs().t(&refusal_key(r)).to_string()).into_response();
        }
        Err(AdminError::App(e)) => return internal(&e),
    };
    let pick = match pickers(s, lang, session).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (done, error, password) = match outcome {
        Outcome::None => (None, None, None),
        Outcome::Done(d) => (Some(format!("admin.done.{}", d.what)), None, d.password),
        Outcome::Refused(r) => (None, Some(refusal_key(r)), None),
    };
    let c = chrome(parts, session, "admin");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let time = chuishao_app::time::rfc3339;
    let page = UserPage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/admin/users/{}", id.0)),
        chrome: c,
        u: user_view(lang, &detail.user),
        tokens: detail
            .tokens
            .iter()
            .map(|t| TokenView {
                id: t.id,
                label: t.label.clone(),
                created: time(t.created_at),
                revoked: t.revoked_at.map(time).unwrap_or_default(),
            })
            .collect(),
        pick,
        done,
        error,
        password,
    };
    finish(lang, fresh, html(status, &page))
}

fn user_id(id: &str) -> Option<UserId> {
    id.parse::<i64>().ok().filter(|i| *i > 0).map(UserId)
}

async fn user(State(s): State<AppState>, lang: PageLang, Path(id): Path<String>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match admin_page(&s, lang, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(id) = user_id(&id) else { return StatusCode::NOT_FOUND.into_response() };
    let done = parts
        .uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("done=")))
        .and_then(|w| DONE.iter().find(|d| **d == w).copied())
        .map_or(Outcome::None, |what| Outcome::Done(Done { what, password: None }));
    user_page(&s, lang, &parts, &session, id, StatusCode::OK, done).await
}

/// Confirmations a redirect may name (`?done=`).
const DONE: [&str; 9] = [
    "created",
    "role_granted",
    "role_removed",
    "password_reset",
    "unlocked",
    "enabled",
    "disabled",
    "sessions_revoked",
    "token_revoked",
];

async fn user_op(
    State(s): State<AppState>,
    lang: PageLang,
    Path((id, op)): Path<(String, String)>,
    req: Request,
) -> Response {
    let back = format!("/console/admin/users/{id}");
    let (parts, session, f) = match admin_form(&s, lang, req, &back).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(uid) = user_id(&id) else { return StatusCode::NOT_FOUND.into_response() };
    let a = &session.actor;
    let app = &s.app;
    let number = |k: &str| field(&f, k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let text = |k: &str| field(&f, k).unwrap_or_default();
    let result = match op.as_str() {
        "grant" => app.admin_grant_role(a, uid, &text("role"), &text("org")).await,
        "remove-role" => app.admin_remove_role(a, uid, &text("role"), number("org_id")).await,
        "reset-password" => {
            let given = f.get("password").filter(|p| !p.is_empty());
            app.admin_reset_password(a, uid, given.map(String::as_str)).await
        }
        "unlock" => app.admin_unlock(a, uid).await,
        "disable" => app.admin_set_active(a, uid, false).await,
        "enable" => app.admin_set_active(a, uid, true).await,
        "revoke-sessions" => app.admin_revoke_sessions(a, uid).await,
        "revoke-token" => app.admin_revoke_token(a, uid, number("token_id")).await,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match result {
        Ok(done) if done.password.is_none() => Redirect::to(&format!("{back}?done={}", done.what)).into_response(),
        Ok(done) => user_page(&s, lang, &parts, &session, uid, StatusCode::OK, Outcome::Done(done)).await,
        Err(AdminError::Refused(r)) if r.is_permission() || r == AdminRefusal::UnknownUser => {
            (status_of(r), lang.msgs().t(&refusal_key(r)).to_string()).into_response()
        }
        Err(AdminError::Refused(r)) => {
            user_page(&s, lang, &parts, &session, uid, status_of(r), Outcome::Refused(r)).await
        }
        Err(AdminError::App(e)) => internal(&e),
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin", get(|| async { Redirect::to("/console/admin/users") }))
        .route("/console/admin/users", get(users).post(create_user))
        .route("/console/admin/users/new", get(new_user_form))
        .route("/console/admin/users/{id}", get(user))
        .route("/console/admin/users/{id}/{op}", post(user_op))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_role_and_confirmation_is_translated() {
        let keys: Vec<&str> = super::super::console_i18n::MESSAGES.iter().map(|(k, _, _)| *k).collect();
        let wanted = AdminRefusal::ALL
            .iter()
            .map(|r| refusal_key(*r))
            .chain(Role::ALL.iter().map(|r| role_key(*r)))
            .chain(DONE.iter().map(|d| format!("admin.done.{d}")));
        for k in wanted {
            assert!(keys.contains(&k.as_str()), "{k} missing from console_i18n");
        }
    }
}
