//! Signing in and out, the expired-session resubmission, and changing one's password.
//! Sessions are server-side (`chuishao_app::admin::accounts`); the cookie holds only the
//! random token. The sign-in form has its own CSRF token, as it comes before any session.

use super::staff::{PASSWORD_PAGE, Staff, StaffForm, session_cookie, session_of};
use super::{PageError, PageResult};
use crate::AppState;
use crate::web::track::form;
use crate::web::{Msgs, PageLang, csrf, html};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chuishao_app::AppError;
use chuishao_app::admin::{LoginOutcome, Session};
use chuishao_domain::access::Role;
use std::collections::BTreeMap;

/// Where a user lands after signing in.
fn landing(session: &Session) -> &'static str {
    let a = &session.actor;
    if session.must_change_password {
        PASSWORD_PAGE
    } else if a.has_role(Role::Dispatcher) || a.has_role(Role::Admin) {
        "/console/board"
    } else if a.has_role(Role::SubdistrictLeader) || a.has_role(Role::Viewer) {
        "/console/overdue"
    } else {
        "/console/inbox"
    }
}

/// Only local absolute paths are followed after sign-in.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| n.starts_with("/console/") && !n.starts_with("//") && !n.contains('\\')).map(String::from)
}

#[derive(askama::Template)]
#[template(path = "console_login.html")]
struct LoginPage {
    t: Msgs,
    switch_href: String,
    csrf: String,
    username: String,
    next: String,
    /// A form interrupted by an expired session: its fields, carried through sign-in.
    carry: Vec<(String, String)>,
    error: Option<String>,
}

/// The sign-in page; `csrf` is the token and whether its cookie must be set.
pub(crate) fn login_page(
    lang: PageLang,
    (token, fresh): (String, bool),
    status: StatusCode,
    username: String,
    next: String,
    carry: Vec<(String, String)>,
    error: Option<String>,
) -> Response {
    let page = LoginPage {
        t: lang.msgs(),
        switch_href: lang.switch_href("/login"),
        csrf: token.clone(),
        username,
        next,
        carry,
        error,
    };
    let mut res = html(status, &page);
    if fresh {
        csrf::set_cookie(&mut res, &token);
    }
    lang.remember(res)
}

/// `GET /login`.
pub(super) async fn login_form(lang: PageLang, Query(q): Query<BTreeMap<String, String>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let next = safe_next(q.get("next").map(String::as_str)).unwrap_or_default();
    login_page(lang, csrf::token(&parts), StatusCode::OK, String::new(), next, vec![], None)
}

#[derive(askama::Template)]
#[template(path = "console_resubmit.html")]
struct ResubmitPage {
    t: Msgs,
    switch_href: String,
    target: String,
    /// (name, value, label in the page language).
    fields: Vec<(String, String, String)>,
}

/// A carried field's label: the form's own label from the catalogue, else its name.
fn field_label(lang: PageLang, name: &str) -> String {
    let bare = name.strip_suffix("_code").unwrap_or(name);
    ["field", "wfield"]
        .iter()
        .find_map(|area| chuishao_i18n::key(area, name).or_else(|| chuishao_i18n::key(area, bare)))
        .map_or_else(|| name.to_string(), |k| lang.msgs().t(k).to_string())
}

/// `POST /login`: a session cookie and the landing page, the `next` page, or the carried form
/// ready to resubmit.
pub(super) async fn login(State(s): State<AppState>, lang: PageLang, req: Request) -> PageResult {
    let (parts, body) = req.into_parts();
    let Some(f) = form::<Vec<(String, String)>>(&parts, body).await else {
        return Err(PageError::message(lang, StatusCode::BAD_REQUEST, "error.invalid"));
    };
    let get = |k: &str| f.iter().rev().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if !csrf::check(&parts, get(csrf::NAME).as_deref()) {
        return Err(PageError::message(lang, StatusCode::FORBIDDEN, "error.csrf"));
    }
    let username = get("username").unwrap_or_default();
    let password = get("password").unwrap_or_default();
    let next = safe_next(get("next").as_deref());
    let carry: Vec<(String, String)> =
        f.iter().filter_map(|(k, v)| k.strip_prefix("carry.").map(|k| (k.to_string(), v.clone()))).collect();
    let t = lang.msgs();
    let blocked = |secs: i64, username: String, next: Option<String>, carry| {
        let error = Some(format!("{} {secs}", t.t("login.blocked")));
        let status = StatusCode::TOO_MANY_REQUESTS;
        let mut res = login_page(lang, csrf::token(&parts), status, username, next.unwrap_or_default(), carry, error);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    };
    // Password spraying: failures from one address, whatever the names, are limited.
    let addr = s.client_addr(&parts);
    let rate = s.limiter.limits.login;
    if let Err(wait) = s.limiter.peek("login", rate, addr) {
        return Ok(blocked(i64::try_from(wait).unwrap_or(i64::MAX), username, next, carry));
    }
    let outcome = s.app.admin().login(&username, &password, &addr.to_string()).await;
    let token = match outcome.map_err(|e| PageError::internal(lang, &e))? {
        LoginOutcome::Ok { token, .. } => token,
        LoginOutcome::Failed => {
            let _ = s.limiter.check("login", rate, addr);
            let error = Some(t.t("login.failed").to_string());
            let status = StatusCode::UNAUTHORIZED;
            return Ok(login_page(lang, csrf::token(&parts), status, username, next.unwrap_or_default(), carry, error));
        }
        LoginOutcome::Blocked { retry_after_ms } => {
            return Ok(blocked((retry_after_ms + 999) / 1000, username, next, carry));
        }
    };
    let session = match s.app.admin().session(&token).await {
        Ok(Some(x)) => x,
        Ok(None) => return Err(PageError::internal(lang, &AppError::Unauthenticated)),
        Err(e) => return Err(PageError::internal(lang, &e)),
    };
    let target = next.unwrap_or_else(|| landing(&session).to_string());
    let mut res = if carry.is_empty() {
        Redirect::to(&target).into_response()
    } else {
        // The interrupted form, ready to send again with a valid token.
        let (csrf_token, _) = csrf::token(&parts);
        let mut fields = carry;
        fields.retain(|(k, _)| k != csrf::NAME);
        fields.push((csrf::NAME.to_string(), csrf_token));
        let fields =
            fields.into_iter().map(|(k, v)| (field_label(lang, &k), k, v)).map(|(l, k, v)| (k, v, l)).collect();
        html(StatusCode::OK, &ResubmitPage { t, switch_href: lang.switch_href("/login"), target, fields })
    };
    if let Some(c) = session_cookie(&token, chuishao_app::admin::accounts::SESSION_TTL_MS / 1000) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

/// `POST /logout`: ends the session (if any) and the cookie.
pub(super) async fn logout(State(s): State<AppState>, lang: PageLang, req: Request) -> PageResult {
    let (parts, body) = req.into_parts();
    let f = form::<BTreeMap<String, String>>(&parts, body).await.unwrap_or_default();
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return Err(PageError::message(lang, StatusCode::FORBIDDEN, "error.csrf"));
    }
    let session = session_of(&s, &parts).await.map_err(|e| PageError::internal(lang, &e))?;
    if let Some(session) = session {
        s.app.admin().logout(&session).await.map_err(|e| PageError::internal(lang, &e))?;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Some(c) = session_cookie("", 0) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(askama::Template)]
#[template(path = "console_password.html")]
struct PasswordPage {
    t: Msgs,
    switch_href: String,
    chrome: super::Chrome,
    notice: Option<&'static str>,
    is_error: bool,
}

fn password_page(staff: &Staff, status: StatusCode, notice: Option<&'static str>) -> Response {
    let page = PasswordPage {
        t: staff.t(),
        switch_href: staff.switch_href(PASSWORD_PAGE),
        chrome: staff.chrome("password"),
        notice,
        is_error: status != StatusCode::OK,
    };
    staff.render(status, &page)
}

/// `GET /console/password`.
pub(super) async fn password_form(staff: Staff) -> Response {
    let notice = staff.session.must_change_password.then_some("password.must_change");
    password_page(&staff, StatusCode::OK, notice)
}

/// `POST /console/password`: a new password; every other session of the user ends.
pub(super) async fn change_password(State(s): State<AppState>, StaffForm { staff, form }: StaffForm) -> PageResult {
    let current = form.get("current_password").unwrap_or("");
    let new = form.get("new_password").unwrap_or("");
    match s.app.admin().change_password(&staff.session, current, new).await {
        Ok(()) => Ok(password_page(&staff, StatusCode::OK, Some("password.changed"))),
        Err(AppError::Invalid(_)) => {
            Ok(password_page(&staff, StatusCode::UNPROCESSABLE_ENTITY, Some("password.wrong")))
        }
        Err(e) => Err(staff.fail(e)),
    }
}
