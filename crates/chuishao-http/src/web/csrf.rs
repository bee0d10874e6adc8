//! CSRF protection for forms, with tokens an attacker cannot make up even when it can plant
//! cookies (a sibling subdomain can): every token is an HMAC under the deployment's `csrf`
//! key ([`Key`], stored once in the database and shared by the nodes).
//!
//! - **Console forms** (a session): the token is the HMAC of the session cookie
//!   ([`session_token`], [`check_session`]). It is valid for that session only; no cookie of
//!   its own, so a planted `csrf` cookie changes nothing.
//! - **Forms before a session** (the report form, the tracking page, sign-in): a signed double
//!   submit ([`token`], [`check`]). The `HttpOnly; SameSite=Strict` cookie holds a random value
//!   and its HMAC, the form field the same; a cookie the server did not sign is refused, so a
//!   made-up pair is worthless.

use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::sync::{Arc, OnceLock};

/// The cookie (and form field) name.
pub const NAME: &str = "csrf";

/// The name of the key in the database (`server_keys`).
pub const KEY_NAME: &str = "csrf";

/// The key tokens are signed with, put on every request by [`attach_key`].
#[derive(Clone)]
pub struct Key(Arc<Vec<u8>>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("csrf::Key(..)")
    }
}

impl Key {
    pub fn new(secret: &[u8]) -> Key {
        Key(Arc::new(secret.to_vec()))
    }

    /// Hex of HMAC-SHA256 over `purpose`, a NUL and `value`.
    fn sign(&self, purpose: &str, value: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else { return String::new() };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The token of the forms of the session whose cookie is `sid`.
    pub fn session_token(&self, sid: &str) -> String {
        self.sign("session", sid)
    }
}

/// The request's key; without [`attach_key`] (the database could not be asked) one made for
/// this process, so forms still work on a single node.
fn key(parts: &Parts) -> Key {
    static FALLBACK: OnceLock<Key> = OnceLock::new();
    parts.extensions.get::<Key>().cloned().unwrap_or_else(|| {
        FALLBACK
            .get_or_init(|| {
                tracing::warn!("the csrf key could not be read from the database; using one for this process");
                let mut b = [0u8; 32];
                rand::rng().fill_bytes(&mut b);
                Key::new(&b)
            })
            .clone()
    })
}

/// Middleware: the deployment's `csrf` key (read, or made, once per process) on the requests
/// of web pages (the API, Open311, health checks and assets have no forms).
pub async fn attach_key(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if ["/api/", "/open311", "/healthz", "/readyz", "/metrics", "/assets/"].iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    let got = s
        .csrf_key
        .get_or_try_init(|| async { s.app.admin().server_key(KEY_NAME).await.map(|k| Key::new(k.as_bytes())) });
    match got.await {
        Ok(k) => {
            req.extensions_mut().insert(k.clone());
        }
        Err(e) => tracing::error!(error = %e, "reading the csrf key"),
    }
    next.run(req).await
}

/// Whether `a` equals `b`, compared without early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A pre-session token (`value.mac`) the server signed.
fn signed(key: &Key, t: &str) -> bool {
    match t.split_once('.') {
        Some((v, mac)) => v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()) && same(mac, &key.sign("form", v)),
        None => false,
    }
}

/// The request's pre-session token, or a fresh one (then [`set_cookie`] must be called on the
/// response).
pub fn token(parts: &Parts) -> (String, bool) {
    let key = key(parts);
    match super::cookie(parts, NAME).filter(|t| signed(&key, t)) {
        Some(t) => (t, false),
        None => {
            let mut b = [0u8; 16];
            rand::rng().fill_bytes(&mut b);
            let v = hex::encode(b);
            let mac = key.sign("form", &v);
            (format!("{v}.{mac}"), true)
        }
    }
}

/// Sets the pre-session token's cookie on a response.
pub fn set_cookie(res: &mut Response, token: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("{NAME}={token}; Path=/; HttpOnly; SameSite=Strict")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Whether a submitted pre-session token matches a cookie the server signed.
pub fn check(parts: &Parts, submitted: Option<&str>) -> bool {
    let (Some(cookie), Some(form)) = (super::cookie(parts, NAME), submitted) else { return false };
    signed(&key(parts), &cookie) && same(&cookie, form)
}

/// The token of the forms of the session whose cookie is `sid`.
pub fn session_token(parts: &Parts, sid: &str) -> String {
    key(parts).session_token(sid)
}

/// Whether a submitted token was issued for the session whose cookie is `sid`.
pub fn check_session(parts: &Parts, sid: &str, submitted: Option<&str>) -> bool {
    !sid.is_empty() && submitted.is_some_and(|t| same(t, &session_token(parts, sid)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parts(cookie: &str, key: &Key) -> Parts {
        let mut req = axum::http::Request::builder().uri("/").header(header::COOKIE, cookie).body(()).unwrap();
        req.extensions_mut().insert(key.clone());
        req.into_parts().0
    }

    #[test]
    fn only_tokens_the_key_signed_pass() {
        let key = Key::new(b"k1");
        let (t, fresh) = token(&parts("", &key));
        assert!(fresh);
        assert!(check(&parts(&format!("csrf={t}"), &key), Some(&t)));
        // Same pair under another key, a made-up pair, an unsigned old-style pair: refused.
        assert!(!check(&parts(&format!("csrf={t}"), &Key::new(b"k2")), Some(&t)));
        let made_up = format!("{}.{}", "0".repeat(32), "0".repeat(64));
        assert!(!check(&parts(&format!("csrf={made_up}"), &key), Some(&made_up)));
        let old = "0123456789abcdef0123456789abcdef";
        assert!(!check(&parts(&format!("csrf={old}"), &key), Some(old)));
        // A signed cookie is kept; a forged one is replaced.
        assert_eq!(token(&parts(&format!("csrf={t}"), &key)), (t.clone(), false));
        assert!(token(&parts(&format!("csrf={made_up}"), &key)).1);
    }

    #[test]
    fn session_tokens_are_bound_to_their_session() {
        let key = Key::new(b"k1");
        let p = parts("", &key);
        let a = session_token(&p, "css_a");
        assert!(check_session(&p, "css_a", Some(&a)));
        assert!(!check_session(&p, "css_b", Some(&a)));
        assert!(!check_session(&p, "", Some(&session_token(&p, ""))));
        assert!(!check_session(&p, "css_a", None));
    }
}
