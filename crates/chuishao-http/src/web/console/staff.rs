//! Who is at the console: the [`Staff`] extractor (a live session, checked once per request)
//! and [`StaffForm`] for posts (the form read, its CSRF token checked, then the session).
//! Handlers never look at cookies or tokens themselves; a missing or ended session becomes a
//! [`PageError`] that sends the user to sign in (pages) or to sign in and resubmit (forms).

use super::PageError;
use crate::AppState;
use crate::web::{Msgs, PageLang, cookie, csrf, html};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chuishao_app::AppError;
use chuishao_app::admin::Session;
use chuishao_domain::access::{Actor, Role};

/// The session cookie.
pub const SESSION_COOKIE: &str = "sid";

/// The page users whose password an admin reset are held on until they change it.
pub(crate) const PASSWORD_PAGE: &str = "/console/password";

/// The `Set-Cookie` value of the session cookie (empty with age 0 to end it).
pub(crate) fn session_cookie(value: &str, max_age_s: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict"
    ))
    .ok()
}

/// The live session the request's cookie names, if any.
pub(crate) async fn session_of(s: &AppState, parts: &Parts) -> Result<Option<Session>, AppError> {
    match cookie(parts, SESSION_COOKIE) {
        Some(token) => s.app.admin().session(&token).await,
        None => Ok(None),
    }
}

/// Shared header data of console pages (the menu, the user, the form token).
pub(crate) struct Chrome {
    pub(crate) csrf: String,
    pub(crate) user: String,
    pub(crate) dispatcher: bool,
    pub(crate) admin: bool,
    pub(crate) nav: &'static str,
    /// For admins: the year whose holiday schedule is still provisional and due for import.
    pub(crate) calendar_notice: Option<i32>,
}

/// A signed-in staff member, the page language and the form token for the page's forms.
///
/// As an extractor on a page: no session → 303 to sign-in (coming back here); a session
/// whose password must change → 303 to the password page.
pub(crate) struct Staff {
    pub(crate) session: Session,
    pub(crate) lang: PageLang,
    csrf: String,
    /// The token is new: the response must set its cookie.
    fresh_csrf: bool,
    /// The year due for a holiday-schedule import (`web::calendar_notice`), if any.
    calendar_year: Option<i32>,
}

impl Staff {
    fn new(parts: &Parts, lang: PageLang, session: Session) -> Staff {
        let (csrf, fresh_csrf) = csrf::token(parts);
        let calendar_year = parts.extensions.get::<crate::web::CalendarNotice>().and_then(|n| n.0);
        Staff { session, lang, csrf, fresh_csrf, calendar_year }
    }

    /// The acting user's roles.
    pub(crate) fn actor(&self) -> &Actor {
        &self.session.actor
    }

    /// The catalogue in the page language.
    pub(crate) fn t(&self) -> Msgs {
        self.lang.msgs()
    }

    /// Picks the Chinese or English of a pair of names.
    pub(crate) fn pick(&self, zh: &str, en: &str) -> String {
        self.lang.lang.pick(zh, en).to_string()
    }

    /// Whether the user dispatches (a dispatcher or an admin).
    pub(crate) fn dispatches(&self) -> bool {
        self.actor().has_role(Role::Dispatcher) || self.actor().has_role(Role::Admin)
    }

    /// The header of a console page, with `nav` marked as the current menu entry.
    pub(crate) fn chrome(&self, nav: &'static str) -> Chrome {
        Chrome {
            csrf: self.csrf.clone(),
            user: self.session.display_name.clone(),
            dispatcher: self.dispatches(),
            admin: self.actor().has_role(Role::Admin),
            nav,
            calendar_notice: self.calendar_year.filter(|_| self.actor().has_role(Role::Admin)),
        }
    }

    /// The link to this page in the other language.
    pub(crate) fn switch_href(&self, path: &str) -> String {
        self.lang.switch_href(path)
    }

    /// Renders a console page: its form token's cookie when new, never cached, the language
    /// remembered when chosen by query.
    pub(crate) fn render(&self, status: StatusCode, page: &impl askama::Template) -> Response {
        let mut res = html(status, page);
        if self.fresh_csrf {
            csrf::set_cookie(&mut res, &self.csrf);
        }
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        self.lang.remember(res)
    }

    /// A failure of a use case, logged, as the styled error page.
    pub(crate) fn fail(&self, e: AppError) -> PageError {
        PageError::internal(self.lang, &e)
    }

    /// A refusal shown as a styled page: `key` from the catalogue with `status`.
    pub(crate) fn refuse(&self, status: StatusCode, key: impl Into<String>) -> PageError {
        PageError::message(self.lang, status, key)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, PageError> {
        let lang = PageLang::of(parts);
        match session_of(s, parts).await {
            Ok(Some(x)) if x.must_change_password && parts.uri.path() != PASSWORD_PAGE => {
                Err(PageError::Redirect(PASSWORD_PAGE.into()))
            }
            Ok(Some(x)) => Ok(Staff::new(parts, lang, x)),
            Ok(None) => {
                let here = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
                Err(PageError::Redirect(format!("/login?{next}")))
            }
            Err(e) => Err(PageError::internal(lang, &e)),
        }
    }
}

/// A console form's fields in order (names may repeat) and its uploaded `photo` files.
#[derive(Debug, Default)]
pub(crate) struct Form {
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) files: Vec<Bytes>,
}

impl Form {
    /// The last value of `name`, as sent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed, if not empty.
    pub(crate) fn opt(&self, name: &str) -> Option<String> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty()).map(String::from)
    }

    /// Every value of a repeated `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Reads an urlencoded form, or a multipart one whose `photo` file parts are kept apart;
    /// `gate` runs on the fields before the first file (see [`crate::upload`]). Refusals are
    /// a status and a catalogue key; a refusing gate's answer carries the fields read so far.
    async fn read(
        parts: &Parts,
        body: axum::body::Body,
        gate: impl AsyncFnOnce(&[(String, String)]) -> Result<(), ()>,
    ) -> Result<Form, (StatusCode, &'static str, Vec<(String, String)>)> {
        use crate::upload::{UploadError, read_multipart};
        let bad = |fields| (StatusCode::BAD_REQUEST, "error.invalid", fields);
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await.map_err(|_| bad(vec![]))?;
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).map_err(|_| bad(vec![]))?;
            if crate::control_field(&fields).is_some() {
                return Err((StatusCode::UNPROCESSABLE_ENTITY, "error.control_characters", vec![]));
            }
            return Ok(Form { fields, files: vec![] });
        }
        if !content_type.starts_with("multipart/form-data") {
            return Err(bad(vec![]));
        }
        // The parts keep the route's body limit (the resolve form's photos).
        match read_multipart(parts, body, "photo", false, gate).await {
            Ok(u) if crate::control_field(&u.fields).is_some() => {
                Err((StatusCode::UNPROCESSABLE_ENTITY, "error.control_characters", vec![]))
            }
            Ok(u) => Ok(Form { fields: u.fields, files: u.files }),
            Err(UploadError::TooLarge) => Err((StatusCode::PAYLOAD_TOO_LARGE, "report.err.photo_size", vec![])),
            Err(UploadError::Refused((), fields)) => Err((StatusCode::FORBIDDEN, "error.csrf", fields)),
            Err(_) => Err(bad(vec![])),
        }
    }
}

/// A console form post: the form, its CSRF token checked (403 without it), then the session.
///
/// A session that ended while the form was filled in answers 401 with the sign-in form
/// carrying the fields (passwords excepted); after signing in, the user resubmits them to the
/// same address with a fresh token.
pub(crate) struct StaffForm {
    pub(crate) staff: Staff,
    pub(crate) form: Form,
}

impl FromRequest<AppState> for StaffForm {
    type Rejection = PageError;

    /// The session first (from its cookie, before the body is read), then the form: its CSRF
    /// token before any photo is read. Without a session no photo is read at all.
    async fn from_request(req: Request, s: &AppState) -> Result<Self, PageError> {
        let (parts, body) = req.into_parts();
        let lang = PageLang::of(&parts);
        let session = session_of(s, &parts).await.map_err(|e| PageError::internal(lang, &e))?;
        let signed_in = session.is_some();
        let gate = async |fields: &[(String, String)]| {
            if signed_in && csrf::check(&parts, crate::upload::field(fields, csrf::NAME)) { Ok(()) } else { Err(()) }
        };
        let read = Form::read(&parts, body, gate).await;
        let form = match (read, signed_in) {
            (Ok(form), _) => form,
            // A photo form whose session ended: its text fields are carried through sign-in.
            (Err((StatusCode::FORBIDDEN, _, fields)), false) => Form { fields, files: vec![] },
            (Err((status, key, _)), _) => return Err(PageError::message(lang, status, key)),
        };
        if !csrf::check(&parts, form.get(csrf::NAME)) {
            return Err(PageError::message(lang, StatusCode::FORBIDDEN, "error.csrf"));
        }
        // A session whose password must change holds no role, so every use case refuses it.
        match session {
            Some(x) => Ok(StaffForm { staff: Staff::new(&parts, lang, x), form }),
            None => {
                let carry =
                    form.fields.into_iter().filter(|(k, _)| k != csrf::NAME && !k.contains("password")).collect();
                Err(PageError::Expired { lang, csrf: csrf::token(&parts), action: parts.uri.path().to_string(), carry })
            }
        }
    }
}
