//! The console's page error: every refusal or failure of a console page or form is one of
//! these, and each renders as a styled page in the page's language (or a redirect), so
//! handlers return `Result<Response, PageError>` and use `?`.

use crate::web::{Msgs, PageLang, html};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chuishao_app::AppError;

/// Why a console page or form did not answer with its own page.
#[derive(Debug)]
pub(crate) enum PageError {
    /// Go elsewhere first: sign in (coming back to `next`), or change the password.
    Redirect(String),
    /// The session ended while a form was filled in: sign in again, the fields carried to
    /// be resubmitted to `action` (`csrf` is the sign-in form's token and whether it is new).
    Expired { lang: PageLang, csrf: (String, bool), action: String, carry: Vec<(String, String)> },
    /// A refusal or failure: the catalogue's `key` on a styled page, with `status`.
    Message { lang: PageLang, status: StatusCode, key: String },
}

impl PageError {
    /// A refusal with a message from the catalogue.
    pub(crate) fn message(lang: PageLang, status: StatusCode, key: impl Into<String>) -> PageError {
        PageError::Message { lang, status, key: key.into() }
    }

    /// A failure of a use case: logged, shown as "the service is unavailable".
    pub(crate) fn internal(lang: PageLang, e: &AppError) -> PageError {
        tracing::error!(error = %e, "console failed");
        PageError::message(lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
    }

    /// Not found (a malformed id in the path, an unknown operation).
    pub(crate) fn not_found(lang: PageLang) -> PageError {
        PageError::message(lang, StatusCode::NOT_FOUND, "error.not_found")
    }
}

#[derive(askama::Template)]
#[template(path = "console_error.html")]
struct ErrorPage<'a> {
    t: Msgs,
    switch_href: String,
    status: u16,
    key: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Redirect(to) => Redirect::to(&to).into_response(),
            PageError::Expired { lang, csrf, action, carry } => {
                let expired = Some(lang.msgs().t("login.expired").to_string());
                let mut res = super::session::login_page(
                    lang,
                    csrf,
                    StatusCode::UNAUTHORIZED,
                    String::new(),
                    action,
                    carry,
                    expired,
                );
                res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
            PageError::Message { lang, status, key } => {
                let page = ErrorPage {
                    t: lang.msgs(),
                    switch_href: lang.switch_href("/console"),
                    status: status.as_u16(),
                    key: &key,
                };
                let mut res = html(status, &page);
                res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
        }
    }
}
