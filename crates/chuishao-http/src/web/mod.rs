//! Server-rendered web pages (askama templates) with our own small CSS and JavaScript
//! embedded in the binary: no CDN, nothing third-party. Pages work without JavaScript; the
//! scripts only enhance them. Every page declares its language (`zh-CN` by default, `en`
//! when switched with `?lang=en`, remembered in a cookie).
//!
//! Shared building blocks for every page (the residents' pages here, the staff console
//! later): [`Lang`]/[`Msgs`] from the catalogue, [`PageLang`] (the extractor),
//! [`csrf`] (double-submit form tokens), [`html`] (render a template) and the assets.

mod clocks;
mod console;
pub mod csrf;
pub mod i18n;
mod report;
mod track;

pub use i18n::{Lang, Msgs};

use crate::AppState;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// Filters available to every template.
pub mod filters {
    /// `2026-11-29T08:05:00+08:00` → `2026-11-29 08:05`.
    #[askama::filter_fn]
    pub fn short_time(s: impl std::fmt::Display, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(short(s.to_string()))
    }

    /// `2026-11-29T08:05:00+08:00` → `2026-11-29 08:05` (what `short_time` shows).
    pub fn short(s: String) -> String {
        match (s.get(0..10), s.get(11..16)) {
            (Some(d), Some(t)) => format!("{d} {t}"),
            _ => s,
        }
    }
}

/// The page language: `?lang=` first, then the `lang` cookie, then Chinese.
#[derive(Debug, Clone, Copy)]
pub struct PageLang {
    pub lang: Lang,
    /// Whether `?lang=` chose it (the response then remembers it in a cookie).
    pub from_query: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PageLang::of(parts))
    }
}

impl PageLang {
    /// The language a request asks for.
    pub fn of(parts: &Parts) -> PageLang {
        let from_query =
            parts.uri.query().unwrap_or("").split('&').filter_map(|kv| kv.strip_prefix("lang=")).find_map(Lang::parse);
        if let Some(lang) = from_query {
            return PageLang { lang, from_query: true };
        }
        let from_cookie = cookie(parts, "lang").and_then(|v| Lang::parse(&v));
        PageLang { lang: from_cookie.unwrap_or_default(), from_query: false }
    }

    pub fn msgs(self) -> Msgs {
        Msgs(self.lang)
    }

    /// `path` with `?lang=` of the other language (the switch link).
    pub fn switch_href(self, path: &str) -> String {
        format!("{path}?lang={}", self.lang.other().code())
    }

    /// Adds the cookie that remembers a language chosen by query.
    pub fn remember(self, mut res: Response) -> Response {
        if self.from_query
            && let Ok(v) =
                HeaderValue::from_str(&format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", self.lang.code()))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    }
}

/// A cookie's value from the request.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Renders a template as an HTML response with `status`.
pub fn html(status: StatusCode, t: &impl askama::Template) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A page with a heading and lines from the catalogue (errors and confirmations).
#[derive(askama::Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub t: Msgs,
    pub switch_href: String,
    pub heading: &'a str,
    pub lines: Vec<&'a str>,
    pub is_error: bool,
    pub back_href: String,
}

const SITE_CSS: &str = include_str!("assets/site.css");
const TRACK_JS: &str = include_str!("assets/track.js");
const REPORT_JS: &str = include_str!("assets/report.js");
const CONSOLE_JS: &str = include_str!("assets/console.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn site_css() -> Response {
    asset("text/css; charset=utf-8", SITE_CSS)
}

async fn track_js() -> Response {
    asset("text/javascript; charset=utf-8", TRACK_JS)
}

async fn report_js() -> Response {
    asset("text/javascript; charset=utf-8", REPORT_JS)
}

/// The policy every answer carries: scripts and styles from this origin only (no inline
/// script; the two pages with a `<style>` block need inline styles), never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Middleware: security headers on every answer (`Content-Security-Policy`,
/// `X-Frame-Options`, `Referrer-Policy`, `X-Content-Type-Options`), and every cookie set
/// marked `Secure` — or, when the deployment serves plain HTTP (`server.secure_cookies =
/// false`), none.
pub async fn security_headers(
    axum::extract::State(s): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    let cookies: Vec<String> =
        h.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(String::from).collect();
    if !cookies.is_empty() {
        h.remove(header::SET_COOKIE);
        for c in cookies {
            let bare: Vec<&str> = c.split(';').map(str::trim).filter(|a| !a.eq_ignore_ascii_case("secure")).collect();
            let mut c = bare.join("; ");
            if s.secure_cookies {
                c.push_str("; Secure");
            }
            if let Ok(v) = HeaderValue::from_str(&c) {
                h.append(header::SET_COOKIE, v);
            }
        }
    }
    res
}

/// The year whose holiday schedule is due for import (`App::provisional_year_due`), put on
/// console requests for the admin banner.
#[derive(Debug, Clone, Copy)]
pub struct CalendarNotice(pub Option<i32>);

/// Middleware: console pages learn whether a holiday schedule is due for import.
pub async fn calendar_notice(
    axum::extract::State(s): axum::extract::State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.uri().path().starts_with("/console") {
        req.extensions_mut().insert(CalendarNotice(s.app.calendar().provisional_year_due()));
    }
    next.run(req).await
}

/// Every web page and asset.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/site.css", get(site_css))
        .route("/assets/track.js", get(track_js))
        .route("/assets/report.js", get(report_js))
        .route("/assets/console.js", get(|| async { asset("text/javascript; charset=utf-8", CONSOLE_JS) }))
        .merge(track::routes())
        .merge(report::routes())
        .merge(console::routes())
}
