//! The console's user administration for admins: the user directory and a new user
//! ([`users`]), and one user's page (roles at org nodes, password reset, unlock,
//! disable/enable, sessions, API tokens; [`user`]). Who may do what is decided by the app
//! (`chuishao_app::admin::users`, asking the domain's `admin` rules); this layer renders and
//! maps refusals to translated messages. Non-admins get 403 on every page and form.

mod user;
mod users;

use super::{PageError, Staff};
use crate::AppState;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::routing::{get, post};
use chuishao_app::admin::users::{AdminError, GrantableOrg, RoleAt, UserSummary};
use chuishao_domain::access::Role;
use chuishao_domain::admin::{AdminRefusal, require_admin};

/// The catalogue key of a refusal.
fn refusal_key(r: AdminRefusal) -> String {
    format!("admin.err.{}", r.code())
}

fn role_key(r: Role) -> String {
    format!("role.{}", r.as_str())
}

fn status_of(r: AdminRefusal) -> StatusCode {
    match r {
        AdminRefusal::UnknownUser => StatusCode::NOT_FOUND,
        r if r.is_permission() => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Only admins go further: everyone else gets 403.
fn admin_only(staff: &Staff) -> Result<(), PageError> {
    require_admin(staff.actor()).map_err(|_| staff.refuse(StatusCode::FORBIDDEN, "admin.err.not_admin"))
}

/// A refusal of the administration use cases as a page error.
fn refused(staff: &Staff, e: AdminError) -> PageError {
    match e {
        AdminError::Refused(r) => staff.refuse(status_of(r), refusal_key(r)),
        AdminError::App(e) => staff.fail(e),
    }
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

fn role_view(staff: &Staff, r: &RoleAt) -> RoleView {
    RoleView {
        role: r.role.as_str(),
        key: role_key(r.role),
        org_id: r.org_id,
        org: format!("{} {}", staff.pick(&r.org_name_zh, &r.org_name_en), r.org_code),
    }
}

fn user_view(staff: &Staff, u: &UserSummary) -> UserView {
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
        roles: u.roles.iter().map(|r| role_view(staff, r)).collect(),
    }
}

/// The role and node pickers, limited to what the admin may grant.
struct Pickers {
    roles: Vec<(&'static str, String)>,
    orgs: Vec<(String, String)>,
}

async fn pickers(s: &AppState, staff: &Staff) -> Result<Pickers, PageError> {
    let orgs: Vec<GrantableOrg> = s.app.admin().grantable_orgs(staff.actor()).await.map_err(|e| match e {
        AdminError::Refused(_) => staff.refuse(StatusCode::FORBIDDEN, "admin.err.not_admin"),
        AdminError::App(e) => staff.fail(e),
    })?;
    Ok(Pickers {
        roles: Role::ALL.iter().map(|r| (r.as_str(), role_key(*r))).collect(),
        orgs: orgs
            .into_iter()
            .map(|o| {
                let indent = "\u{3000}".repeat(o.depth.saturating_sub(1));
                (o.code.clone(), format!("{indent}{} {}", staff.pick(&o.name_zh, &o.name_en), o.code))
            })
            .collect(),
    })
}

/// The administration routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin", get(|| async { Redirect::to("/console/admin/users") }))
        .route("/console/admin/users", get(users::users).post(users::create_user))
        .route("/console/admin/users/new", get(users::new_user_form))
        .route("/console/admin/users/{id}", get(user::user))
        .route("/console/admin/users/{id}/{op}", post(user::user_op))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_role_and_confirmation_is_translated() {
        let wanted = AdminRefusal::ALL
            .iter()
            .map(|r| refusal_key(*r))
            .chain(Role::ALL.iter().map(|r| role_key(*r)))
            .chain(user::DONE.iter().map(|d| format!("admin.done.{d}")));
        for k in wanted {
            assert!(chuishao_i18n::lookup(&k).is_some(), "{k} missing from the catalogue");
        }
    }
}
