//! The public tracking page `/t/{tracking_code}`: status in plain words, the timeline (live
//! over server-sent events), the handling unit's result, and the reporter's callback form.
//! Nothing here shows reporter data or staff names: it renders the public read model only.

use super::filters;
use super::{MessagePage, PageLang, csrf, html};
use crate::AppState;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuishao_app::AppError;
use chuishao_app::cases::PublicCaseView;
use chuishao_app::residents::callback::CallbackForm;
use chuishao_app::residents::live::LiveUpdate;
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

#[derive(askama::Template)]
#[template(path = "track.html")]
struct TrackPage<'a> {
    t: super::Msgs,
    switch_href: String,
    case: &'a PublicCaseView,
    last_seq: i64,
    place: String,
    result: Option<String>,
    /// The handling unit's photos of its latest result.
    result_photos: Vec<String>,
    callback_open: bool,
    needs_phone: bool,
    csrf: String,
}

#[derive(askama::Template)]
#[template(path = "lookup.html")]
struct LookupPage {
    t: super::Msgs,
    switch_href: String,
    code: String,
    not_found: bool,
}

fn message(lang: PageLang, status: StatusCode, path: &str, heading: &str, lines: Vec<&str>, back: &str) -> Response {
    let page = MessagePage {
        t: lang.msgs(),
        switch_href: lang.switch_href(path),
        heading,
        lines,
        is_error: status.is_client_error() || status.is_server_error(),
        back_href: format!("{back}?lang={}", lang.lang.code()),
    };
    lang.remember(html(status, &page))
}

#[derive(Deserialize)]
struct LookupQuery {
    code: Option<String>,
}

/// `GET /t`: the form to type a tracking code; with `?code=` it goes to that case's page.
async fn lookup(State(s): State<AppState>, lang: PageLang, Query(q): Query<HashMap<String, String>>) -> Response {
    let q = LookupQuery { code: q.get("code").cloned() };
    let code = q.code.unwrap_or_default();
    let mut not_found = false;
    if !code.trim().is_empty() {
        match chuishao_domain::ids::TrackingCode::parse(&code) {
            Some(c) if s.app.residents().tracking_code_known(&c).await.unwrap_or(false) => {
                return Redirect::to(&format!("/t/{}?lang={}", c.as_str(), lang.lang.code())).into_response();
            }
            _ => not_found = true,
        }
    }
    let page = LookupPage { t: lang.msgs(), switch_href: lang.switch_href("/t"), code, not_found };
    let status = if not_found { StatusCode::NOT_FOUND } else { StatusCode::OK };
    lang.remember(html(status, &page))
}

/// `GET /t/{tracking_code}`.
async fn track(State(s): State<AppState>, lang: PageLang, Path(code): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let path = format!("/t/{code}");
    let (case, last_seq) = match s.live.public_case(&s.app, &code).await {
        Ok(v) => v,
        Err(AppError::NotFound(_)) => {
            let page = LookupPage { t: lang.msgs(), switch_href: lang.switch_href("/t"), code, not_found: true };
            return lang.remember(html(StatusCode::NOT_FOUND, &page));
        }
        Err(e) => {
            tracing::error!(error = %e, "tracking page failed");
            return message(
                lang,
                StatusCode::INTERNAL_SERVER_ERROR,
                &path,
                "error.title",
                vec!["error.internal"],
                "/t",
            );
        }
    };
    let (callback_open, needs_phone) = if matches!(case.status, "resolved" | "verified" | "closed") {
        s.app.residents().callback_state(&case.tracking_code).await.unwrap_or((false, false))
    } else {
        (false, false)
    };
    let (token, fresh) = csrf::token(&parts);
    let place = match lang.lang {
        super::Lang::En if !case.place_en.is_empty() => case.place_en.join(" · "),
        _ => [case.subdistrict.as_deref(), case.community.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
    };
    let result = case
        .timeline
        .iter()
        .rev()
        .find(|e| e.kind == "resolved")
        .map(|e| lang.lang.pick(&e.text_zh, &e.text_en).to_string());
    let result_photos = if result.is_some() { case.result_photos.clone() } else { vec![] };
    let page = TrackPage {
        result_photos,
        t: lang.msgs(),
        switch_href: lang.switch_href(&path),
        place: if place.is_empty() { lang.msgs().t("track.unknown").to_string() } else { place },
        case: case.as_ref(),
        last_seq,
        result,
        callback_open,
        needs_phone,
        csrf: token.clone(),
    };
    let mut res = html(StatusCode::OK, &page);
    if fresh && callback_open {
        csrf::set_cookie(&mut res, &token);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    lang.remember(res)
}

#[derive(Deserialize, Default)]
struct EventsQuery {
    after: Option<i64>,
}

/// `GET /t/{tracking_code}/events`: server-sent events, one `update` per public step, each
/// with its sequence number as the event id. Continues after `?after=` or `Last-Event-ID`.
async fn events(
    State(s): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = EventsQuery { after: q.get("after").and_then(|v| v.parse().ok()) };
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .or(q.after)
        .unwrap_or(0);
    let Some(tc) = chuishao_domain::ids::TrackingCode::parse(&code) else {
        return (StatusCode::NOT_FOUND, "no such case").into_response();
    };
    // Subscribe first, then catch up: nothing committed in between is lost (duplicates are
    // dropped by sequence number).
    let rx = match s.live.subscribe(&s.app, tc.as_str()).await {
        Ok(rx) => rx,
        Err(e) => {
            tracing::error!(error = %e, "live subscribe failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "live updates unavailable").into_response();
        }
    };
    let backlog = match s.app.residents().live_updates_after(tc.as_str(), after).await {
        Ok(b) => b,
        Err(AppError::NotFound(_)) => return (StatusCode::NOT_FOUND, "no such case").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "live backlog failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "live updates unavailable").into_response();
        }
    };
    let mut last = after;
    let backlog: Vec<Arc<LiveUpdate>> = backlog.into_iter().map(Arc::new).collect();
    if let Some(b) = backlog.last() {
        last = last.max(b.seq);
    }
    let live = stream::unfold((rx, last), |(mut rx, last)| async move {
        loop {
            match rx.recv().await {
                Ok(u) if u.seq > last => return Some((u.clone(), (rx, u.seq))),
                Ok(_) => continue,
                // A slow reader skipped some: it will see them on its next reconnect.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let all = stream::iter(backlog).chain(live).map(|u| Ok::<Event, Infallible>(to_event(&u)));
    sse(crate::metrics::tracked("tracking", all))
}

fn to_event(u: &LiveUpdate) -> Event {
    Event::default()
        .event("update")
        .id(u.seq.to_string())
        .json_data(u)
        .unwrap_or_else(|_| Event::default().comment("?"))
}

fn sse(s: impl Stream<Item = Result<Event, Infallible>> + Send + 'static) -> Response {
    let mut res = Sse::new(s).keep_alive(KeepAlive::default()).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

/// The callback form's fields.
#[derive(Deserialize, Default)]
struct CallbackFields {
    csrf: Option<String>,
    phone_last4: Option<String>,
    solved: Option<String>,
    satisfaction: Option<String>,
    comment: Option<String>,
}

/// `POST /t/{tracking_code}/callback`: the reporter's answers (form, CSRF-checked, rate-limited).
async fn callback(State(s): State<AppState>, lang: PageLang, Path(code): Path<String>, req: Request) -> Response {
    let path = format!("/t/{code}");
    let (parts, body) = req.into_parts();
    let fields = match form::<CallbackFields>(&parts, body).await {
        Some(f) => f,
        None => return message(lang, StatusCode::BAD_REQUEST, &path, "error.title", vec!["error.invalid"], &path),
    };
    if !csrf::check(&parts, fields.csrf.as_deref()) {
        return message(lang, StatusCode::FORBIDDEN, &path, "error.title", vec!["error.csrf"], &path);
    }
    if let Err(wait) = s.limiter.check("callback", s.limiter.limits.callback, s.client_addr(&parts)) {
        let mut res =
            message(lang, StatusCode::TOO_MANY_REQUESTS, &path, "error.title", vec!["error.rate_limited"], &path);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let form = CallbackForm {
        phone_last4: fields.phone_last4,
        solved: match fields.solved.as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
        satisfaction: fields.satisfaction,
        comment: fields.comment,
    };
    match s.app.residents().resident_callback(&code, &form).await {
        Ok(outcome) => {
            let mut lines = vec!["callback.thanks", "callback.done"];
            if outcome.reopened {
                lines.push("callback.reopened");
            }
            message(lang, StatusCode::OK, &path, "callback.title", lines, &path)
        }
        Err(AppError::NotFound(_)) => {
            let page = LookupPage { t: lang.msgs(), switch_href: lang.switch_href("/t"), code, not_found: true };
            lang.remember(html(StatusCode::NOT_FOUND, &page))
        }
        Err(AppError::Forbidden(_)) => {
            message(lang, StatusCode::FORBIDDEN, &path, "error.title", vec!["error.phone_mismatch"], &path)
        }
        Err(AppError::Invalid(_)) => {
            message(lang, StatusCode::UNPROCESSABLE_ENTITY, &path, "error.title", vec!["error.invalid"], &path)
        }
        Err(AppError::Domain(_)) => {
            message(lang, StatusCode::CONFLICT, &path, "error.title", vec!["error.not_open"], &path)
        }
        Err(e) => {
            tracing::error!(error = %e, "callback failed");
            message(lang, StatusCode::INTERNAL_SERVER_ERROR, &path, "error.title", vec!["error.internal"], &path)
        }
    }
}

/// Parses an urlencoded form body (up to the router's body limit).
pub(super) async fn form<T: serde::de::DeserializeOwned>(parts: &Parts, body: axum::body::Body) -> Option<T> {
    form_checked(parts, body).await.ok()
}

/// As [`form`], refusals as a catalogue key: `error.control_characters` when a field holds
/// a control character, else `error.invalid`.
pub(super) async fn form_checked<T: serde::de::DeserializeOwned>(
    parts: &Parts,
    body: axum::body::Body,
) -> Result<T, &'static str> {
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err("error.invalid");
    }
    let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await.map_err(|_| "error.invalid")?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| "error.invalid")?;
    if crate::control_field(&pairs).is_some() {
        return Err("error.control_characters");
    }
    serde_urlencoded::from_bytes(&bytes).map_err(|_| "error.invalid")
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/t", get(lookup))
        .route("/t/{code}", get(track))
        .route("/t/{code}/events", get(events))
        .route("/t/{code}/callback", post(callback))
}
