//! The user directory (searched, paged, within the admin's subtree) and the new-user form.

use super::{Pickers, admin_only, pickers, refusal_key, refused, status_of, user_view};
use crate::AppState;
use crate::web::console::{Chrome, Form, PageResult, Staff, StaffForm};
use crate::web::{Msgs, filters};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chuishao_app::admin::users::{AdminError, NewUser};
use serde::Deserialize;

#[derive(askama::Template)]
#[template(path = "console_admin_users.html")]
struct UsersPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    q: String,
    users: Vec<super::UserView>,
    total: usize,
    page: usize,
    pages: usize,
    prev_href: Option<String>,
    next_href: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct ListParams {
    q: Option<String>,
    page: Option<usize>,
}

fn page_href(q: &str, page: usize) -> String {
    let query = serde_urlencoded::to_string([("q", q), ("page", &page.to_string())]).unwrap_or_default();
    format!("/console/admin/users?{query}")
}

/// `GET /console/admin/users` (`?q=`, `?page=`).
pub(super) async fn users(State(s): State<AppState>, staff: Staff, Query(p): Query<ListParams>) -> PageResult {
    admin_only(&staff)?;
    let q = p.q.unwrap_or_default();
    let list =
        s.app.admin().admin_users(staff.actor(), &q, p.page.unwrap_or(1)).await.map_err(|e| refused(&staff, e))?;
    let page = UsersPage {
        t: staff.t(),
        switch_href: staff.switch_href("/console/admin/users"),
        chrome: staff.chrome("admin"),
        users: list.items.iter().map(|u| user_view(&staff, u)).collect(),
        total: list.total,
        page: list.page,
        pages: list.pages,
        prev_href: (list.page > 1).then(|| page_href(&q, list.page - 1)),
        next_href: (list.page < list.pages).then(|| page_href(&q, list.page + 1)),
        q,
    };
    Ok(staff.render(StatusCode::OK, &page))
}

#[derive(askama::Template)]
#[template(path = "console_admin_new.html")]
struct NewUserPage {
    t: Msgs,
    switch_href: String,
    chrome: Chrome,
    pick: Pickers,
    username: String,
    display_name: String,
    role: String,
    org: String,
    error: Option<String>,
}

async fn new_user_page(
    s: &AppState,
    staff: &Staff,
    status: StatusCode,
    values: &Form,
    error: Option<String>,
) -> PageResult {
    let pick = pickers(s, staff).await?;
    let value = |k: &str| values.get(k).unwrap_or_default().to_string();
    let page = NewUserPage {
        t: staff.t(),
        switch_href: staff.switch_href("/console/admin/users/new"),
        chrome: staff.chrome("admin"),
        pick,
        username: value("username"),
        display_name: value("display_name"),
        role: value("role"),
        org: value("org"),
        error,
    };
    Ok(staff.render(status, &page))
}

/// `GET /console/admin/users/new`.
pub(super) async fn new_user_form(State(s): State<AppState>, staff: Staff) -> PageResult {
    admin_only(&staff)?;
    new_user_page(&s, &staff, StatusCode::OK, &Form::default(), None).await
}

/// `POST /console/admin/users`: creates a user (201 with their page), or the form again with
/// the refusal.
pub(super) async fn create_user(State(s): State<AppState>, StaffForm { staff, form }: StaffForm) -> PageResult {
    admin_only(&staff)?;
    let new = NewUser {
        username: form.opt("username").unwrap_or_default(),
        display_name: form.opt("display_name").unwrap_or_default(),
        password: form.get("password").filter(|p| !p.is_empty()).map(String::from),
        role: form.opt("role").map(|r| (r, form.opt("org").unwrap_or_default())),
    };
    match s.app.admin().admin_create_user(staff.actor(), &new).await {
        Ok((id, done)) => {
            super::user::user_page(&s, &staff, id, StatusCode::CREATED, super::user::Outcome::Done(done)).await
        }
        Err(AdminError::Refused(r)) => new_user_page(&s, &staff, status_of(r), &form, Some(refusal_key(r))).await,
        Err(AdminError::App(e)) => Err(staff.fail(e)),
    }
}
