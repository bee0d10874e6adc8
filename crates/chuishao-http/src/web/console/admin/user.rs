//! One user's page for an admin and its forms: grant or remove a role, reset the password,
//! unlock, disable or enable, revoke sessions or a token. Each form answers with the page and
//! what was done (a redirect with `?done=`) or why not.

use super::{Pickers, admin_only, pickers, refusal_key, refused, status_of, user_view};
use crate::AppState;
use crate::web::console::{Chrome, PageError, PageResult, Staff, StaffForm};
use crate::web::{Msgs, filters};
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect};
use chuishao_app::admin::users::{AdminError, Done};
use chuishao_domain::admin::AdminRefusal;
use chuishao_domain::ids::UserId;

/// What the user page reports at its top.
pub(super) enum Outcome {
    None,
    Done(Done),
    Refused(AdminRefusal),
}

#[derive(askama::Template)]
#[template(path = "console_admin_user.html")]
struct UserPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    u: super::UserView,
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

/// The page of user `id` with `status` and what to report at its top.
pub(super) async fn user_page(
    s: &AppState,
    staff: &Staff,
    id: UserId,
    status: StatusCode,
    outcome: Outcome,
) -> PageResult {
    let detail = s.app.admin().admin_user(staff.actor(), id).await.map_err(|e| refused(staff, e))?;
    let pick = pickers(s, staff).await?;
    let (done, error, password) = match outcome {
        Outcome::None => (None, None, None),
        Outcome::Done(d) => (Some(format!("admin.done.{}", d.what)), None, d.password),
        Outcome::Refused(r) => (None, Some(refusal_key(r)), None),
    };
    let time = chuishao_app::time::rfc3339;
    let page = UserPage {
        t: staff.t(),
        switch_href: staff.switch_href(&format!("/console/admin/users/{}", id.0)),
        chrome: staff.chrome("admin"),
        u: user_view(staff, &detail.user),
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
    Ok(staff.render(status, &page))
}

fn user_id(id: &str) -> Option<UserId> {
    id.parse::<i64>().ok().filter(|i| *i > 0).map(UserId)
}

/// Confirmations a redirect may name (`?done=`).
pub(super) const DONE: [&str; 9] = [
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

/// `GET /console/admin/users/{id}` (`?done=` after a form).
pub(super) async fn user(State(s): State<AppState>, staff: Staff, Path(id): Path<String>, uri: Uri) -> PageResult {
    admin_only(&staff)?;
    let Some(id) = user_id(&id) else { return Err(PageError::not_found(staff.lang)) };
    let done = uri
        .query()
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("done=")))
        .and_then(|w| DONE.iter().find(|d| **d == w).copied())
        .map_or(Outcome::None, |what| Outcome::Done(Done { what, password: None }));
    user_page(&s, &staff, id, StatusCode::OK, done).await
}

/// `POST /console/admin/users/{id}/{op}`.
pub(super) async fn user_op(
    State(s): State<AppState>,
    Path((id, op)): Path<(String, String)>,
    StaffForm { staff, form }: StaffForm,
) -> PageResult {
    admin_only(&staff)?;
    let back = format!("/console/admin/users/{id}");
    let Some(uid) = user_id(&id) else { return Err(PageError::not_found(staff.lang)) };
    let a = staff.actor();
    let app = &s.app;
    let number = |k: &str| form.opt(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let text = |k: &str| form.opt(k).unwrap_or_default();
    let result = match op.as_str() {
        "grant" => app.admin().admin_grant_role(a, uid, &text("role"), &text("org")).await,
        "remove-role" => app.admin().admin_remove_role(a, uid, &text("role"), number("org_id")).await,
        "reset-password" => {
            let given = form.get("password").filter(|p| !p.is_empty());
            app.admin().admin_reset_password(a, uid, given).await
        }
        "unlock" => app.admin().admin_unlock(a, uid).await,
        "disable" => app.admin().admin_set_active(a, uid, false).await,
        "enable" => app.admin().admin_set_active(a, uid, true).await,
        "revoke-sessions" => app.admin().admin_revoke_sessions(a, uid).await,
        "revoke-token" => app.admin().admin_revoke_token(a, uid, number("token_id")).await,
        _ => return Err(PageError::not_found(staff.lang)),
    };
    match result {
        Ok(done) if done.password.is_none() => Ok(Redirect::to(&format!("{back}?done={}", done.what)).into_response()),
        Ok(done) => user_page(&s, &staff, uid, StatusCode::OK, Outcome::Done(done)).await,
        Err(AdminError::Refused(r)) if r.is_permission() || r == AdminRefusal::UnknownUser => {
            Err(staff.refuse(status_of(r), refusal_key(r)))
        }
        Err(AdminError::Refused(r)) => user_page(&s, &staff, uid, status_of(r), Outcome::Refused(r)).await,
        Err(AdminError::App(e)) => Err(staff.fail(e)),
    }
}
