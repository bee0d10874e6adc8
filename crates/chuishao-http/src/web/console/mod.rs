//! The staff console, one room per page family:
//!
//! | module | pages |
//! |---|---|
//! | [`session`] | sign-in (server-side sessions in an `HttpOnly; Secure; SameSite=Strict` cookie), sign-out, the expired-session resubmission, the password page |
//! | [`board`] | the dispatcher's board (live over SSE), the department inbox, the leaders' overdue and supervised view |
//! | [`bulk`] | one action on many ticked cases |
//! | [`desk`] | one case: timeline, clocks, map, photos, linked whistles and the actions offered |
//! | [`act`] | the case desk's forms (result photos, rulings on returns) |
//! | [`whistles`] | the whistle board, one whistle, scorecards, the grid map |
//! | [`admin`] | user administration |
//!
//! Every handler takes [`Staff`] (a page) or [`StaffForm`] (a post: the form's CSRF token of
//! [`super::csrf`] checked, then the session) and returns [`PageResult`]: refusals are
//! [`PageError`]s, rendered as styled pages in the page language. Every action goes through
//! the same use case as the API, and the actions offered are those the domain's `decide`
//! allows.

mod act;
mod admin;
mod board;
mod bulk;
mod desk;
mod page_error;
mod session;
mod staff;
mod whistles;

pub(crate) use page_error::PageError;
pub(crate) use staff::{Chrome, Form, Staff, StaffForm};

use crate::AppState;
use crate::web::PageLang;
use axum::Router;
use axum::response::{Redirect, Response};
use axum::routing::{get, post};

/// What every console handler returns.
pub(crate) type PageResult = Result<Response, PageError>;

/// The refused fields of `e` in the page language: the domain's with their problem as it
/// handed it over, the application's as "not valid" (their messages are English, for the API).
pub(crate) fn field_errors(lang: chuishao_i18n::Lang, e: &chuishao_app::AppError) -> Vec<String> {
    use chuishao_domain::error::Problem;
    match e {
        chuishao_app::AppError::Domain(chuishao_domain::DomainError::Invalid { field, problem, .. }) => {
            vec![chuishao_i18n::field_error(lang, field, *problem)]
        }
        chuishao_app::AppError::Invalid(fields) => {
            fields.iter().map(|f| chuishao_i18n::field_error(lang, &f.field, Problem::Invalid)).collect()
        }
        _ => vec![],
    }
}

/// The catalogue key `{prefix}.{name}`, or `fallback` for a name the catalogue lacks (every
/// key is `'static` in the catalogue).
pub(crate) fn key(prefix: &str, name: &str, fallback: &'static str) -> &'static str {
    chuishao_i18n::key(prefix, name).unwrap_or(fallback)
}

/// Time left in the page language ("剩余 2天3小时", "超期 55天"; "2 d 3 h left").
pub(crate) fn left_text(lang: PageLang, ms: i64) -> String {
    crate::web::clocks::left_text(lang.msgs(), ms)
}

/// A case status in the page language (the code stays in `data-status`).
pub(crate) fn status_text(lang: PageLang, code: &'static str) -> &'static str {
    match chuishao_domain::cases::CaseStatus::parse(code) {
        Some(st) => {
            let (zh, en) = chuishao_i18n::cases::status(st);
            lang.lang.pick(zh, en)
        }
        None => code,
    }
}

/// The units a case may be dispatched to and the categories, as (code, name) for selects.
pub(crate) async fn pick_lists(s: &AppState, staff: &Staff) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let units = s
        .app
        .admin()
        .list_orgs(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|o| matches!(o.kind, "department" | "subdistrict" | "township" | "stationed_unit" | "community"))
        .map(|o| (o.code.clone(), staff.pick(&o.name_zh, &o.name_en)))
        .collect();
    let cats = s
        .app
        .admin()
        .list_categories()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|x| (x.code.clone(), format!("{} {}", x.code, staff.pick(&x.name_zh, &x.name_en))))
        .collect();
    (units, cats)
}

/// Every console route.
pub(super) fn routes() -> Router<AppState> {
    use chuishao_app::residents::photos::{MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE};
    let photo_limit = MAX_PHOTOS_PER_CASE * MAX_PHOTO_BYTES + 1024 * 1024;
    Router::new()
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/console", get(|| async { Redirect::to("/console/board") }))
        .route("/console/password", get(session::password_form).post(session::change_password))
        .route("/console/board", get(board::board))
        .route("/console/board/events", get(board::board_events))
        .route("/console/board/bulk", post(bulk::bulk))
        .route("/console/inbox", get(board::inbox))
        .route("/console/overdue", get(board::overdue))
        .route("/console/cases/{id}", get(desk::case_desk))
        .route("/console/cases/{id}/act", post(act::act).layer(axum::extract::DefaultBodyLimit::max(photo_limit)))
        .route("/console/cases/{id}/public-text", post(act::public_text))
        .merge(whistles::routes())
        .merge(admin::routes())
}
