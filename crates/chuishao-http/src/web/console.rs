//! The staff console: sign-in (server-side sessions in an `HttpOnly; Secure; SameSite=Strict`
//! cookie), the dispatcher's board (live over SSE, bulk actions, the returns queue), the
//! department inbox, the leaders' overdue and supervised view and the case desk (resolution
//! with result photos, rulings on returns). Every form carries the CSRF token of
//! [`super::csrf`]; every action goes through the same use case as the API, and the actions
//! offered are those the domain's `decide` allows.

use super::track::form;
use super::{PageLang, cookie, csrf, filters, html};
use crate::AppState;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuishao_app::cases::{CaseView, TransitionInput};
use chuishao_app::console::desk::{DeskEvent, LinkedWhistle};
use chuishao_app::console::{BoardItem, BoardQuery, BulkAction, BulkInput, LoginOutcome, Session};
use chuishao_app::residents::photos::{CleanPhoto, MAX_PHOTO_BYTES, MAX_PHOTOS_PER_CASE, PhotoError, clean};
use chuishao_app::{AppError, FieldError};
use chuishao_domain::DomainError;
use chuishao_domain::access::Role;
use chuishao_domain::cases::Action;
use chuishao_domain::ids::CaseId;
use futures_util::stream;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::convert::Infallible;

/// The session cookie.
pub const SESSION_COOKIE: &str = "sid";

fn session_cookie(value: &str, max_age_s: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict"
    ))
    .ok()
}

pub(crate) async fn staff(s: &AppState, parts: &Parts) -> Result<Option<Session>, AppError> {
    match cookie(parts, SESSION_COOKIE) {
        Some(token) => s.app.session(&token).await,
        None => Ok(None),
    }
}

pub(crate) fn internal(e: &AppError) -> Response {
    tracing::error!(error = %e, "console failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// Where a user lands after signing in.
fn landing(session: &Session) -> &'static str {
    let a = &session.actor;
    if session.must_change_password {
        "/console/password"
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
    t: super::Msgs,
    switch_href: String,
    csrf: String,
    username: String,
    next: String,
    /// A form interrupted by an expired session: its fields, carried through sign-in.
    carry: Vec<(String, String)>,
    error: Option<String>,
}

pub(crate) fn login_page(
    lang: PageLang,
    parts: &Parts,
    status: StatusCode,
    username: String,
    next: String,
    carry: Vec<(String, String)>,
    error: Option<String>,
) -> Response {
    let (token, fresh) = csrf::token(parts);
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

async fn login_form(lang: PageLang, Query(q): Query<BTreeMap<String, String>>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let next = safe_next(q.get("next").map(String::as_str)).unwrap_or_default();
    login_page(lang, &parts, StatusCode::OK, String::new(), next, vec![], None)
}

async fn login(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(mut f) = form::<BTreeMap<String, String>>(&parts, body).await else {
        return (StatusCode::BAD_REQUEST, "send a form").into_response();
    };
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return (StatusCode::FORBIDDEN, lang.msgs().t("error.csrf")).into_response();
    }
    let username = f.remove("username").unwrap_or_default();
    let password = f.remove("password").unwrap_or_default();
    let next = safe_next(f.remove("next").as_deref());
    let carry: Vec<(String, String)> =
        f.into_iter().filter_map(|(k, v)| k.strip_prefix("carry.").map(|k| (k.to_string(), v))).collect();
    let t = lang.msgs();
    match s.app.login(&username, &password).await {
        Ok(LoginOutcome::Ok { token, .. }) => {
            let session = match s.app.session(&token).await {
                Ok(Some(x)) => x,
                Ok(None) => return internal(&AppError::Unauthenticated),
                Err(e) => return internal(&e),
            };
            let target = next.clone().unwrap_or_else(|| landing(&session).to_string());
            let mut res = if carry.is_empty() {
                Redirect::to(&target).into_response()
            } else {
                // The interrupted form, ready to send again with a valid token.
                let (csrf_token, _) = csrf::token(&parts);
                let mut carry = carry;
                carry.retain(|(k, _)| k != csrf::NAME);
                carry.push((csrf::NAME.to_string(), csrf_token));
                let page = ResubmitPage { t, switch_href: lang.switch_href("/login"), target, fields: carry };
                html(StatusCode::OK, &page)
            };
            if let Some(c) = session_cookie(&token, chuishao_app::console::accounts::SESSION_TTL_MS / 1000) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Ok(LoginOutcome::Failed) => login_page(
            lang,
            &parts,
            StatusCode::UNAUTHORIZED,
            username,
            next.unwrap_or_default(),
            carry,
            Some(t.t("login.failed").to_string()),
        ),
        Ok(LoginOutcome::Blocked { retry_after_ms }) => {
            let secs = (retry_after_ms + 999) / 1000;
            let mut res = login_page(
                lang,
                &parts,
                StatusCode::TOO_MANY_REQUESTS,
                username,
                next.unwrap_or_default(),
                carry,
                Some(format!("{} {secs}", t.t("login.blocked"))),
            );
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => internal(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "console_resubmit.html")]
struct ResubmitPage {
    t: super::Msgs,
    switch_href: String,
    target: String,
    fields: Vec<(String, String)>,
}

async fn logout(State(s): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let f = form::<BTreeMap<String, String>>(&parts, body).await.unwrap_or_default();
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return (StatusCode::FORBIDDEN, "csrf").into_response();
    }
    match staff(&s, &parts).await {
        Ok(Some(session)) => {
            if let Err(e) = s.app.logout(&session).await {
                return internal(&e);
            }
        }
        Ok(None) => {}
        Err(e) => return internal(&e),
    }
    let mut res = Redirect::to("/login").into_response();
    if let Some(c) = session_cookie("", 0) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// The signed-in user or a redirect to sign-in (GET pages); a user whose password an admin
/// reset is sent to the password page until they change it.
pub(crate) async fn require(s: &AppState, parts: &Parts) -> Result<Session, Response> {
    match staff(s, parts).await {
        Ok(Some(x)) if x.must_change_password && parts.uri.path() != "/console/password" => {
            Err(Redirect::to("/console/password").into_response())
        }
        Ok(Some(x)) => Ok(x),
        Ok(None) => {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let q: String = url_encode(next);
            Err(Redirect::to(&format!("/login?next={q}")).into_response())
        }
        Err(e) => Err(internal(&e)),
    }
}

fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).map(|v| v[2..].to_string()).unwrap_or_default()
}

/// Shared header data of console pages (the menu, the user, the form token).
pub(crate) struct Chrome {
    pub(crate) csrf: String,
    pub(crate) fresh: bool,
    pub(crate) user: String,
    pub(crate) dispatcher: bool,
    pub(crate) admin: bool,
    pub(crate) nav: &'static str,
    /// For admins: the year whose holiday schedule is still provisional and due for import.
    pub(crate) calendar_notice: Option<i32>,
}

pub(crate) fn chrome(parts: &Parts, session: &Session, nav: &'static str) -> Chrome {
    let (csrf, fresh) = csrf::token(parts);
    let a = &session.actor;
    Chrome {
        csrf,
        fresh,
        user: session.display_name.clone(),
        dispatcher: a.has_role(Role::Dispatcher) || a.has_role(Role::Admin),
        admin: a.has_role(Role::Admin),
        nav,
        calendar_notice: a
            .has_role(Role::Admin)
            .then(|| parts.extensions.get::<super::CalendarNotice>().and_then(|n| n.0))
            .flatten(),
    }
}

/// The page's response: a new CSRF cookie when the token was fresh, never cached.
pub(crate) fn finish(lang: PageLang, fresh_csrf: Option<String>, mut res: Response) -> Response {
    if let Some(token) = fresh_csrf {
        csrf::set_cookie(&mut res, &token);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    lang.remember(res)
}

/// One board row, ready to render.
struct Row {
    id: i64,
    version: i64,
    code: String,
    status: &'static str,
    status_text: &'static str,
    urgent: bool,
    category: String,
    place: String,
    handler: String,
    left: String,
    overdue: bool,
    due_at: i64,
    returned: bool,
    /// "unit: reason" of a return awaiting a ruling.
    return_note: String,
    description: String,
}

/// A status in the page language (the code stays in `data-status`).
fn status_text(lang: PageLang, code: &'static str) -> &'static str {
    match chuishao_domain::cases::CaseStatus::parse(code) {
        Some(st) => {
            let (zh, en) = chuishao_app::cases::status_words(st);
            lang.lang.pick(zh, en)
        }
        None => code,
    }
}

fn row(lang: PageLang, i: &BoardItem) -> Row {
    let c = &i.case;
    let pick = |zh: &str, en: &str| lang.lang.pick(zh, en).to_string();
    Row {
        id: c.id,
        version: c.version,
        code: c.tracking_code.clone(),
        status: c.status,
        status_text: status_text(lang, c.status),
        urgent: c.urgency == "urgent",
        category: c.category.as_ref().map(|x| pick(&x.name_zh, &x.name_en)).unwrap_or_default(),
        place: c
            .community
            .as_ref()
            .or(c.subdistrict.as_ref())
            .map(|x| pick(&x.name_zh, &x.name_en))
            .unwrap_or_default(),
        handler: c.handler.as_ref().map(|x| pick(&x.name_zh, &x.name_en)).unwrap_or_default(),
        left: super::clocks::left_text(lang.msgs(), i.left_ms),
        overdue: i.left_ms < 0,
        due_at: i.due_at,
        returned: i.returned,
        return_note: i
            .return_info
            .as_ref()
            .map(|r| format!("{}：{}", pick(&r.unit_zh, &r.unit_en), r.reason))
            .unwrap_or_default(),
        description: c.description.chars().take(60).collect(),
    }
}

#[derive(askama::Template)]
#[template(path = "console_board.html")]
struct BoardPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    title_key: &'static str,
    queue: String,
    queues: Vec<(&'static str, &'static str)>,
    category: String,
    urgency: String,
    q: String,
    rows: Vec<Row>,
    /// Rows can be selected for a bulk action (a dispatcher's incoming queue).
    bulk: bool,
    units: Vec<(String, String)>,
    categories: Vec<(String, String)>,
}

/// Just the table, for the live refresh.
#[derive(askama::Template)]
#[template(path = "console_board_table.html")]
struct BoardTable {
    t: super::Msgs,
    rows: Vec<Row>,
    bulk: bool,
}

/// The catalogue key `{prefix}.{name}` (every key is `'static` in the catalogue).
fn key(prefix: &str, name: &str) -> &'static str {
    super::console_i18n::MESSAGES
        .iter()
        .find(|(k, _, _)| k.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) == Some(name))
        .map_or("case.actions", |(k, _, _)| *k)
}

#[derive(Deserialize, Default)]
struct BoardParams {
    queue: Option<String>,
    category: Option<String>,
    urgency: Option<String>,
    q: Option<String>,
    fragment: Option<String>,
    lang: Option<String>,
}

async fn board_page(
    s: AppState,
    lang: PageLang,
    nav: &'static str,
    default_queue: &str,
    p: BoardParams,
    parts: Parts,
) -> Response {
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let _ = p.lang;
    let queue = p.queue.clone().filter(|q| !q.is_empty()).unwrap_or_else(|| default_queue.to_string());
    let bq = BoardQuery {
        queue: Some(queue.clone()),
        category: p.category.clone(),
        urgency: p.urgency.clone(),
        q: p.q.clone(),
    };
    let items = match s.app.board(&session.actor, &bq).await {
        Ok(x) => x,
        Err(AppError::Invalid(_)) => return (StatusCode::UNPROCESSABLE_ENTITY, "invalid filter").into_response(),
        Err(e) => return internal(&e),
    };
    let c = chrome(&parts, &session, nav);
    let fresh = c.fresh.then(|| c.csrf.clone());
    let queues = match nav {
        "board" => ["incoming", "returns", "working"],
        "inbox" => ["working", "overdue", "supervised"],
        _ => ["overdue", "supervised", "working"],
    };
    let rows: Vec<Row> = items.iter().map(|i| row(lang, i)).collect();
    let bulk = nav == "board" && queue == "incoming" && c.dispatcher;
    if p.fragment.is_some() {
        return finish(lang, fresh, html(StatusCode::OK, &BoardTable { t: lang.msgs(), rows, bulk }));
    }
    let (units, categories) = if bulk { pick_lists(&s, lang).await } else { (vec![], vec![]) };
    let page = BoardPage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/{nav}")),
        chrome: c,
        title_key: key("nav", nav),
        queue,
        queues: queues.iter().map(|q| (*q, key("board", q))).collect(),
        category: p.category.unwrap_or_default(),
        urgency: p.urgency.unwrap_or_default(),
        q: p.q.unwrap_or_default(),
        rows,
        bulk,
        units,
        categories,
    };
    finish(lang, fresh, html(StatusCode::OK, &page))
}

async fn board(State(s): State<AppState>, lang: PageLang, Query(p): Query<BoardParams>, req: Request) -> Response {
    board_page(s, lang, "board", "incoming", p, req.into_parts().0).await
}

async fn inbox(State(s): State<AppState>, lang: PageLang, Query(p): Query<BoardParams>, req: Request) -> Response {
    board_page(s, lang, "inbox", "working", p, req.into_parts().0).await
}

async fn overdue(State(s): State<AppState>, lang: PageLang, Query(p): Query<BoardParams>, req: Request) -> Response {
    board_page(s, lang, "overdue", "overdue", p, req.into_parts().0).await
}

/// Live board: an event named `changed` whenever the event log grows (the page then
/// refreshes its table). Follows the node's live hub, whose tail wakes on `NOTIFY` on
/// PostgreSQL, so a change committed on any node reaches every open board.
async fn board_events(State(s): State<AppState>, req: Request) -> Response {
    let parts = req.into_parts().0;
    match staff(&s, &parts).await {
        Ok(Some(_)) => {}
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return internal(&e),
    }
    let rx = match s.live.subscribe_changes(&s.app).await {
        Ok(rx) => rx,
        Err(e) => return internal(&e),
    };
    let events = stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(head) => {
                    let ev = Event::default().event("changed").data(head.to_string());
                    return Some((Ok::<Event, Infallible>(ev), rx));
                }
                // Missed some heads: the next refresh shows them all the same.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let mut res = Sse::new(events).keep_alive(KeepAlive::default()).into_response();
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

#[derive(askama::Template)]
#[template(path = "console_case.html")]
struct CasePage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    c: CaseView,
    status_text: &'static str,
    actions: Vec<(&'static str, &'static str)>,
    /// The resolution deadline (or, before dispatch, the one expected).
    headline: Option<ClockRow>,
    timeline: Vec<TimelineRow>,
    supervision: Vec<TimelineRow>,
    clocks: Vec<ClockRow>,
    whistles: Vec<LinkedWhistle>,
    map_svg: Option<String>,
    /// A return awaiting the dispatcher's ruling: (unit, reason, at).
    returned: Option<(String, String, String)>,
    suggested: Option<(String, String)>,
    units: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    banner: Option<&'static str>,
    errors: Vec<FieldError>,
    is_error: bool,
    reporter_photos: Vec<String>,
    result_photos: Vec<String>,
}

/// One timeline line in the page language.
struct TimelineRow {
    at: String,
    kind: String,
    text: String,
    unit: String,
}

use super::clocks::ClockRow;

fn timeline_rows(lang: PageLang, events: &[DeskEvent]) -> Vec<TimelineRow> {
    events
        .iter()
        .map(|e| TimelineRow {
            at: e.at.clone(),
            kind: e.kind.clone(),
            text: lang.lang.pick(&e.text_zh, &e.text_en).to_string(),
            unit: match &e.actor_unit {
                Some((zh, en)) => lang.lang.pick(zh, en).to_string(),
                None => lang.msgs().t("case.system").to_string(),
            },
        })
        .collect()
}

/// The units a case may be dispatched to and the categories, as (code, name) for selects.
async fn pick_lists(s: &AppState, lang: PageLang) -> (Vec<(String, String)>, Vec<(String, String)>) {
    let pick = |zh: &str, en: &str| lang.lang.pick(zh, en).to_string();
    let units = s
        .app
        .list_orgs(None)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|o| matches!(o.kind, "department" | "subdistrict" | "township" | "stationed_unit" | "community"))
        .map(|o| (o.code.clone(), pick(&o.name_zh, &o.name_en)))
        .collect();
    let cats = s
        .app
        .list_categories()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|x| (x.code.clone(), format!("{} {}", x.code, pick(&x.name_zh, &x.name_en))))
        .collect();
    (units, cats)
}

#[allow(clippy::too_many_arguments)]
async fn case_page(
    s: &AppState,
    lang: PageLang,
    parts: &Parts,
    session: &Session,
    id: i64,
    status: StatusCode,
    banner: Option<&'static str>,
    errors: Vec<FieldError>,
) -> Response {
    let msg = |status, key| (status, lang.msgs().t(key).to_string()).into_response();
    let (c, actions) = match s.app.desk_case(&session.actor, CaseId(id)).await {
        Ok(x) => x,
        Err(AppError::Forbidden(_)) => return msg(StatusCode::FORBIDDEN, "case.forbidden"),
        Err(AppError::NotFound(_)) => return msg(StatusCode::NOT_FOUND, "case.not_found"),
        Err(e) => return internal(&e),
    };
    let details = match s.app.desk_details(&session.actor, &c).await {
        Ok(d) => d,
        Err(e) => return internal(&e),
    };
    let pick = |zh: &str, en: &str| lang.lang.pick(zh, en).to_string();
    let mut names: Vec<&'static str> = actions.iter().map(|a| a.as_str()).collect();
    if actions.contains(&Action::Register) && session.actor.has_role(Role::Dispatcher)
        || session.actor.has_role(Role::Admin) && actions.contains(&Action::Register)
    {
        names.insert(0, "register_dispatch");
    }
    let suggested = match s.app.suggest_handler(&c).await {
        Ok(n) => n.map(|n| (n.code.clone(), pick(&n.name_zh, &n.name_en))),
        Err(e) => return internal(&e),
    };
    // A returned case is dispatched again by a ruling on the return (改派 or 维持).
    if details.returned.is_some()
        && let Some(i) = names.iter().position(|a| *a == "dispatch")
    {
        names[i] = "arbitrate";
    }
    let needs_lists =
        names.iter().any(|a| matches!(*a, "register_dispatch" | "register" | "dispatch" | "reopen" | "arbitrate"));
    let (units, categories) = if needs_lists { pick_lists(s, lang).await } else { (vec![], vec![]) };
    // Before dispatch (no resolution clock yet), the deadline expected from receipt.
    let terminal = matches!(c.status, "rejected" | "merged" | "closed");
    let expected = if terminal || c.deadlines.iter().any(|d| d.kind == "resolution") {
        None
    } else {
        match s.app.due_at(&c).await {
            Ok(d) => Some(d),
            Err(e) => return internal(&e),
        }
    };
    let now = s.app.now_ms();
    let ch = chrome(parts, session, "");
    let fresh = ch.fresh.then(|| ch.csrf.clone());
    let is_error = banner.is_some() && banner != Some("case.done");
    let page = CasePage {
        t: lang.msgs(),
        switch_href: lang.switch_href(&format!("/console/cases/{id}")),
        chrome: ch,
        status_text: status_text(lang, c.status),
        clocks: super::clocks::clock_rows(lang.msgs(), &c, now),
        headline: super::clocks::headline(lang.msgs(), &c, expected, now),
        c,
        actions: names.iter().map(|a| (*a, key("action", a))).collect(),
        timeline: timeline_rows(lang, &details.timeline),
        supervision: timeline_rows(lang, &details.supervision),
        whistles: details.whistles,
        map_svg: details.map_svg,
        returned: details.returned.map(|r| (pick(&r.unit_zh, &r.unit_en), r.reason, r.at)),
        suggested,
        units,
        categories,
        banner,
        errors,
        is_error,
        reporter_photos: details.reporter_photos,
        result_photos: details.result_photos,
    };
    finish(lang, fresh, html(status, &page))
}

async fn case_desk(State(s): State<AppState>, lang: PageLang, Path(id): Path<String>, req: Request) -> Response {
    let parts = req.into_parts().0;
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return StatusCode::NOT_FOUND.into_response() };
    let banner = parts.uri.query().filter(|q| q.contains("done=1")).map(|_| "case.done");
    case_page(&s, lang, &parts, &session, id, StatusCode::OK, banner, vec![]).await
}

pub(crate) fn opt(f: &BTreeMap<String, String>, k: &str) -> Option<String> {
    f.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn to_input(f: &BTreeMap<String, String>, action: &str, version: i64) -> TransitionInput {
    TransitionInput {
        action: action.to_string(),
        version,
        reason: opt(f, "reason"),
        category_code: opt(f, "category_code"),
        urgency: opt(f, "urgency"),
        handler_code: opt(f, "handler_code"),
        note: opt(f, "note"),
        days: opt(f, "days").and_then(|d| d.parse().ok()),
        result: opt(f, "result"),
        evidence: opt(f, "evidence")
            .map(|e| e.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()),
        passed: (action == "verify").then_some(true),
        tier: opt(f, "tier"),
        ..TransitionInput::default()
    }
}

/// A console form: urlencoded, or multipart with `photo` files (the resolve form). Errors
/// are a status and a message key.
async fn read_form(
    parts: &Parts,
    body: axum::body::Body,
) -> Result<(BTreeMap<String, String>, Vec<axum::body::Bytes>), (StatusCode, &'static str)> {
    let bad = (StatusCode::BAD_REQUEST, "error.invalid");
    let too_large = (StatusCode::PAYLOAD_TOO_LARGE, "report.err.photo_size");
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        return form::<BTreeMap<String, String>>(parts, body).await.map(|f| (f, vec![])).ok_or(bad);
    }
    use axum::extract::FromRequest;
    // The original parts carry the route's body limit.
    let req = Request::from_parts(parts.clone(), body);
    let mut mp = axum::extract::Multipart::from_request(req, &()).await.map_err(|_| bad)?;
    let (mut fields, mut files) = (BTreeMap::new(), Vec::new());
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
            Err(_) => return Err(bad),
        };
        let name = field.name().unwrap_or("").to_string();
        let is_file = field.file_name().is_some();
        let data = field
            .bytes()
            .await
            .map_err(|e| if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large } else { bad })?;
        if name == "photo" && is_file {
            if !data.is_empty() {
                files.push(data);
            }
        } else {
            fields.insert(name, String::from_utf8_lossy(&data).into_owned());
        }
    }
    Ok((fields, files))
}

/// Runs uploaded photos through the residents' photo pipeline (off the async threads).
/// Photos come only with a resolution; the error is a message key.
async fn clean_photos(files: Vec<axum::body::Bytes>, allowed: bool) -> Result<Vec<CleanPhoto>, &'static str> {
    if files.is_empty() {
        return Ok(vec![]);
    }
    if !allowed {
        return Err("case.photo_not_here");
    }
    if files.len() > MAX_PHOTOS_PER_CASE {
        return Err("report.err.photo_count");
    }
    match tokio::task::spawn_blocking(move || files.iter().map(|b| clean(b)).collect::<Result<Vec<_>, _>>()).await {
        Ok(Ok(photos)) => Ok(photos),
        Ok(Err(PhotoError::TooLarge)) => Err("report.err.photo_size"),
        Ok(Err(PhotoError::TooMany)) => Err("report.err.photo_count"),
        Ok(Err(_)) => Err("report.err.photo_type"),
        Err(_) => Err("error.internal"),
    }
}

async fn act(State(s): State<AppState>, lang: PageLang, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(id) = id.parse::<i64>() else { return StatusCode::NOT_FOUND.into_response() };
    let (f, files) = match read_form(&parts, body).await {
        Ok(x) => x,
        Err((status, key)) => return (status, lang.msgs().t(key).to_string()).into_response(),
    };
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return (StatusCode::FORBIDDEN, lang.msgs().t("error.csrf")).into_response();
    }
    let session = match staff(&s, &parts).await {
        Ok(Some(x)) => x,
        Ok(None) => {
            // Expired mid-form: sign in again with the work carried along.
            let carry = f.into_iter().filter(|(k, _)| k != csrf::NAME).collect();
            let expired = Some(lang.msgs().t("login.expired").to_string());
            return login_page(
                lang,
                &parts,
                StatusCode::UNAUTHORIZED,
                String::new(),
                format!("/console/cases/{id}/act"),
                carry,
                expired,
            );
        }
        Err(e) => return internal(&e),
    };
    let action = f.get("action").cloned().unwrap_or_default();
    let version = f.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(-1);
    let photos = match clean_photos(files, action == "resolve").await {
        Ok(p) => p,
        Err(key) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return case_page(&s, lang, &parts, &session, id, status, Some(key), vec![]).await;
        }
    };
    let result = if !photos.is_empty() {
        let input = to_input(&f, &action, version);
        s.app.resolve_with_photos(&session.actor, CaseId(id), &input, &photos, &s.photo_dir).await
    } else if action == "arbitrate" {
        let handler = f.get("handler_code").map(String::as_str).unwrap_or("");
        let reason = f.get("reason").map(String::as_str).unwrap_or("");
        s.app.arbitrate(&session.actor, CaseId(id), version, handler, reason).await.map(|(_, v)| v)
    } else if action == "register_dispatch" {
        // One change: if the dispatch is refused, the case is not left registered.
        let steps = [to_input(&f, "register", version), to_input(&f, "dispatch", version)];
        s.app.transition_steps(&session.actor, CaseId(id), version, &steps).await
    } else {
        s.app.transition(&session.actor, CaseId(id), &to_input(&f, &action, version)).await
    };
    match result {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}?done=1")).into_response(),
        Err(AppError::Domain(DomainError::VersionConflict { .. })) => {
            case_page(&s, lang, &parts, &session, id, StatusCode::CONFLICT, Some("case.stale"), vec![]).await
        }
        Err(AppError::Domain(DomainError::Invalid { field, reason })) => {
            let errors = vec![FieldError { field: field.to_string(), message: reason }];
            case_page(&s, lang, &parts, &session, id, StatusCode::UNPROCESSABLE_ENTITY, Some("case.invalid"), errors)
                .await
        }
        Err(AppError::Invalid(errors)) => {
            case_page(&s, lang, &parts, &session, id, StatusCode::UNPROCESSABLE_ENTITY, Some("case.invalid"), errors)
                .await
        }
        Err(AppError::Domain(DomainError::Forbidden(_))) | Err(AppError::Forbidden(_)) => {
            (StatusCode::FORBIDDEN, lang.msgs().t("case.forbidden")).into_response()
        }
        Err(AppError::NotFound(_)) => {
            case_page(&s, lang, &parts, &session, id, StatusCode::FORBIDDEN, Some("case.forbidden"), vec![]).await
        }
        Err(AppError::Domain(DomainError::IllegalTransition { .. })) => {
            case_page(&s, lang, &parts, &session, id, StatusCode::CONFLICT, Some("case.stale"), vec![]).await
        }
        Err(e) => internal(&e),
    }
}

/// One case's line on the bulk result page.
struct BulkRow {
    id: i64,
    code: String,
    ok: bool,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "console_bulk.html")]
struct BulkPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    rows: Vec<BulkRow>,
    succeeded: usize,
    failed: usize,
}

/// Why one case of a bulk action failed, in the page language.
fn failure_text(lang: PageLang, e: &AppError) -> String {
    let t = lang.msgs();
    match e {
        AppError::Domain(DomainError::VersionConflict { .. }) => t.t("bulk.stale").to_string(),
        AppError::Domain(DomainError::IllegalTransition { .. }) => t.t("bulk.illegal").to_string(),
        AppError::Domain(DomainError::Forbidden(_)) | AppError::Forbidden(_) | AppError::NotFound(_) => {
            t.t("case.forbidden").to_string()
        }
        AppError::Domain(DomainError::Invalid { field, reason }) => {
            format!("{} {field}: {reason}", t.t("case.invalid"))
        }
        AppError::Invalid(errors) => {
            let list: Vec<String> = errors.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            format!("{} {}", t.t("case.invalid"), list.join("; "))
        }
        _ => t.t("error.internal").to_string(),
    }
}

/// `POST /console/board/bulk`: one action on the selected cases (`case=id:version`, repeated).
async fn bulk(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(pairs) = form::<Vec<(String, String)>>(&parts, body).await else {
        return (StatusCode::BAD_REQUEST, "send a form").into_response();
    };
    let field =
        |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    if !csrf::check(&parts, field(csrf::NAME).as_deref()) {
        return (StatusCode::FORBIDDEN, lang.msgs().t("error.csrf")).into_response();
    }
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let t = lang.msgs();
    let Some(action) = field("bulk_action").as_deref().and_then(BulkAction::parse) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, t.t("bulk.no_action").to_string()).into_response();
    };
    let items: Vec<(CaseId, i64)> = pairs
        .iter()
        .filter(|(n, _)| n == "case")
        .filter_map(|(_, v)| v.split_once(':'))
        .filter_map(|(id, version)| Some((CaseId(id.parse().ok()?), version.parse().ok()?)))
        .collect();
    let input = BulkInput {
        action,
        category_code: field("category_code"),
        urgency: field("urgency"),
        handler_code: field("handler_code"),
        reason: field("reason"),
        note: field("note"),
    };
    let outcomes = match s.app.bulk(&session.actor, &input, &items).await {
        Ok(x) => x,
        Err(AppError::Invalid(_)) => {
            return (StatusCode::UNPROCESSABLE_ENTITY, t.t("bulk.none").to_string()).into_response();
        }
        Err(e) => return internal(&e),
    };
    let pick = |zh: &str, en: &str| lang.lang.pick(zh, en).to_string();
    let rows: Vec<BulkRow> = outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(v) => BulkRow {
                id: o.id.0,
                code: v.tracking_code.clone(),
                ok: true,
                text: match &v.handler {
                    Some(h) => format!("{} → {}", status_text(lang, v.status), pick(&h.name_zh, &h.name_en)),
                    None => status_text(lang, v.status).to_string(),
                },
            },
            Err(e) => BulkRow { id: o.id.0, code: String::new(), ok: false, text: failure_text(lang, e) },
        })
        .collect();
    let succeeded = rows.iter().filter(|r| r.ok).count();
    let c = chrome(&parts, &session, "board");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let page = BulkPage {
        t,
        switch_href: lang.switch_href("/console/board"),
        chrome: c,
        failed: rows.len() - succeeded,
        succeeded,
        rows,
    };
    finish(lang, fresh, html(StatusCode::OK, &page))
}

#[derive(askama::Template)]
#[template(path = "console_password.html")]
struct PasswordPage {
    t: super::Msgs,
    switch_href: String,
    chrome: Chrome,
    notice: Option<&'static str>,
    is_error: bool,
}

async fn password_page(
    s: &AppState,
    lang: PageLang,
    parts: &Parts,
    session: &Session,
    status: StatusCode,
    notice: Option<&'static str>,
) -> Response {
    let _ = s;
    let c = chrome(parts, session, "password");
    let fresh = c.fresh.then(|| c.csrf.clone());
    let page = PasswordPage {
        t: lang.msgs(),
        switch_href: lang.switch_href("/console/password"),
        chrome: c,
        notice,
        is_error: status != StatusCode::OK,
    };
    finish(lang, fresh, html(status, &page))
}

async fn password_form(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let parts = req.into_parts().0;
    match require(&s, &parts).await {
        Ok(session) => {
            let notice = session.must_change_password.then_some("password.must_change");
            password_page(&s, lang, &parts, &session, StatusCode::OK, notice).await
        }
        Err(r) => r,
    }
}

async fn change_password(State(s): State<AppState>, lang: PageLang, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let f = form::<BTreeMap<String, String>>(&parts, body).await.unwrap_or_default();
    if !csrf::check(&parts, f.get(csrf::NAME).map(String::as_str)) {
        return (StatusCode::FORBIDDEN, lang.msgs().t("error.csrf")).into_response();
    }
    let session = match require(&s, &parts).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let current = f.get("current_password").map(String::as_str).unwrap_or("");
    let new = f.get("new_password").map(String::as_str).unwrap_or("");
    match s.app.change_password(&session, current, new).await {
        Ok(()) => password_page(&s, lang, &parts, &session, StatusCode::OK, Some("password.changed")).await,
        Err(AppError::Invalid(_)) => {
            password_page(&s, lang, &parts, &session, StatusCode::UNPROCESSABLE_ENTITY, Some("password.wrong")).await
        }
        Err(e) => internal(&e),
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/console", get(|| async { Redirect::to("/console/board") }))
        .route("/console/board", get(board))
        .route("/console/board/events", get(board_events))
        .route("/console/board/bulk", post(bulk))
        .route("/console/inbox", get(inbox))
        .route("/console/overdue", get(overdue))
        .route("/console/password", get(password_form).post(change_password))
        .route("/console/cases/{id}", get(case_desk))
        .route(
            "/console/cases/{id}/act",
            post(act).layer(axum::extract::DefaultBodyLimit::max(MAX_PHOTOS_PER_CASE * MAX_PHOTO_BYTES + 1024 * 1024)),
        )
}
