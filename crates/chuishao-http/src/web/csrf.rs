//! CSRF protection for forms: a random token in an `HttpOnly; SameSite=Strict` cookie and the
//! same token in a hidden field (double submit). A cross-site page can neither read the cookie
//! nor make the browser send it, so it cannot forge a matching pair.

use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use rand::RngCore;

/// The cookie (and form field) name.
pub const NAME: &str = "csrf";

/// The request's token, or a fresh one (then [`set_cookie`] must be called on the response).
pub fn token(parts: &Parts) -> (String, bool) {
    match super::cookie(parts, NAME).filter(|t| valid_shape(t)) {
        Some(t) => (t, false),
        None => {
            let mut b = [0u8; 16];
            rand::rng().fill_bytes(&mut b);
            (hex::encode(b), true)
        }
    }
}

fn valid_shape(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Sets the token cookie on a response.
pub fn set_cookie(res: &mut Response, token: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("{NAME}={token}; Path=/; HttpOnly; SameSite=Strict")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Whether a submitted form token matches the cookie (compared without early exit).
pub fn check(parts: &Parts, submitted: Option<&str>) -> bool {
    let (Some(cookie), Some(form)) = (super::cookie(parts, NAME), submitted) else { return false };
    if !valid_shape(&cookie) || cookie.len() != form.len() {
        return false;
    }
    cookie.bytes().zip(form.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
