//! Staff accounts in the browser: login with a throttle per submitted name and client
//! address (a few free attempts, then exponential backoff, then a lockout of that name from
//! that address only) and a slow-down per name from every address (never a lockout, so a
//! stranger cannot lock a named user out), server-side sessions (only the
//! SHA-256 of the cookie token is stored; revocable), logout and password change. Logins,
//! failed logins, lockouts and password changes go to the audit chain (stream `account`).

use crate::admin::Admin;
use crate::admin::auth::token_hash;
use crate::{AppError, Result};
use chuishao_domain::access::Actor;
use chuishao_domain::ids::UserId;
use chuishao_store::{ThrottleRow, Tx};
use rand::RngCore;

/// How long a browser session lives.
pub const SESSION_TTL_MS: i64 = 8 * 3600 * 1000;
/// Failures allowed before any delay.
pub const FREE_FAILURES: i64 = 3;
/// Failures after which the name is locked out for [`LOCKOUT_MS`].
pub const LOCKOUT_FAILURES: i64 = 10;
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;
/// Failures under one name from every address before each further attempt on it waits
/// [`SLOWDOWN_MS`] (a slow-down that never locks the name).
pub const NAME_FREE_FAILURES: i64 = 20;
pub const SLOWDOWN_MS: i64 = 2000;
/// Prefix of session tokens (distinct from API tokens, which cannot open sessions).
pub const SESSION_PREFIX: &str = "css_";

/// How long the next attempt must wait after `failures` consecutive failures: nothing for
/// the first few, then 1 s, 2 s, 4 s … and the lockout from [`LOCKOUT_FAILURES`] on.
pub fn backoff_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        0
    } else if failures >= LOCKOUT_FAILURES {
        LOCKOUT_MS
    } else {
        1000i64 << (failures - FREE_FAILURES).min(20)
    }
}

/// The answer to a login attempt. `Failed` is the same whether the name exists or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Logged in: the cookie token (shown once) and its expiry.
    Ok {
        token: String,
        expires_at: i64,
    },
    Failed,
    /// Too many failures under this name: try again after this many milliseconds.
    Blocked {
        retry_after_ms: i64,
    },
}

/// A live browser session: who, and the hash of its token.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub display_name: String,
    pub token_hash: String,
    pub expires_at: i64,
    /// An admin set the password: until the user changes it, the session holds no role
    /// (so it may do nothing else) and the console sends it to the password page.
    pub must_change_password: bool,
}

/// Names are compared as typed, trimmed; the throttle key is capped so any input is storable.
fn throttle_key(username: &str) -> String {
    username.trim().chars().take(64).collect()
}

async fn audit(tx: &mut Tx, user: Option<UserId>, kind: &str, payload: serde_json::Value, now: i64) -> Result<()> {
    let account = chuishao_domain::record::StreamKind::Account;
    let id = user.map_or(0, |u| u.0);
    crate::record::log_fact(tx, account, id, 0, kind, payload.to_string(), user.map(|u| u.0), now).await?;
    Ok(())
}

impl Admin<'_> {
    /// Checks a name and password and opens a session. The throttle counts failures per
    /// submitted name whether or not such a user exists, so answers never reveal which.
    ///
    /// `from` is the client address (`chuishao_http::client_addr`): ten failures lock the
    /// name for that address only; past [`NAME_FREE_FAILURES`] failures from anywhere, each
    /// attempt on the name waits [`SLOWDOWN_MS`].
    pub async fn login(&self, username: &str, password: &str, from: &str) -> Result<LoginOutcome> {
        let key = throttle_key(username);
        let from: String = from.chars().take(64).collect();
        let now = self.now_ms();
        let blocked = |(pair, name): &(ThrottleRow, ThrottleRow)| {
            let until = pair.blocked_until.max(name.blocked_until);
            (now < until).then(|| LoginOutcome::Blocked { retry_after_ms: until - now })
        };
        let before = {
            let mut tx = self.store.begin().await?;
            let t = (tx.login_throttle_pair(&key, &from).await?, tx.login_throttle(&key).await?);
            tx.commit().await?;
            t
        };
        if let Some(b) = blocked(&before) {
            return Ok(b);
        }
        // The expensive hash runs outside the write transaction.
        let ok = self.check_password(&key, password).await?;
        let user = self.store.user_by_username(&key).await?;
        let mut tx = self.store.begin().await?;
        let (pair, name) = (tx.login_throttle_pair(&key, &from).await?, tx.login_throttle(&key).await?);
        if let Some(b) = blocked(&(pair, name)) {
            // Another attempt failed meanwhile and blocked the name.
            return Ok(b);
        }
        let user_id = user.as_ref().map(|u| UserId(u.id));
        if ok && let Some(uid) = user_id {
            tx.clear_login_throttle(&key, Some(&from)).await?;
            let token = new_session_token();
            let expires_at = now + SESSION_TTL_MS;
            tx.insert_session(uid, &token_hash(&token), now, expires_at).await?;
            audit(&mut tx, Some(uid), "login", serde_json::json!({ "username": key }), now).await?;
            tx.commit().await?;
            return Ok(LoginOutcome::Ok { token, expires_at });
        }
        let failures = pair.failures + 1;
        let wait = backoff_ms(failures);
        tx.set_login_throttle_pair(&key, &from, ThrottleRow { failures, blocked_until: now + wait }, now).await?;
        let everywhere = name.failures + 1;
        let slow = if everywhere >= NAME_FREE_FAILURES { now + SLOWDOWN_MS } else { 0 };
        tx.set_login_throttle(&key, ThrottleRow { failures: everywhere, blocked_until: slow }, now).await?;
        let kind = if failures == LOCKOUT_FAILURES { "login_locked" } else { "login_failed" };
        let payload = serde_json::json!({ "username": key, "failures": failures, "address": from });
        audit(&mut tx, user_id, kind, payload, now).await?;
        tx.commit().await?;
        Ok(LoginOutcome::Failed)
    }

    /// The session behind a cookie token, if it is live.
    pub async fn session(&self, token: &str) -> Result<Option<Session>> {
        if !token.starts_with(SESSION_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(row) = self.store.live_session(&hash, self.now_ms()).await? else { return Ok(None) };
        let bindings =
            if row.must_change_password { vec![] } else { self.store.role_bindings(UserId(row.user_id)).await? };
        Ok(Some(Session {
            must_change_password: row.must_change_password,
            actor: Actor { user_id: UserId(row.user_id), username: row.username, bindings },
            display_name: row.display_name,
            token_hash: hash,
            expires_at: row.expires_at,
        }))
    }

    /// The deployment's secret named `name` (32 random bytes, hex), made on first use and
    /// shared by every node through the database; the web forms' CSRF tokens are signed with
    /// the one named `csrf`, activities' QR codes with `activity_qr`.
    pub async fn server_key(&self, name: &str) -> Result<String> {
        if let Some(secret) = self.store.stored_server_key(name).await? {
            return Ok(secret);
        }
        let mut fresh = [0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        let mut tx = self.store.begin().await?;
        let secret = tx.server_key(name, &hex::encode(fresh), self.now_ms()).await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Ends a session (logout).
    pub async fn logout(&self, session: &Session) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        if tx.revoke_session(&session.token_hash, now).await? {
            audit(&mut tx, Some(session.actor.user_id), "logout", serde_json::json!({}), now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Changes the session user's password after checking the current one; every other
    /// session of the user is revoked and a forced change (after an admin's reset) is done.
    pub async fn change_password(&self, session: &Session, current: &str, new: &str) -> Result<()> {
        if !self.check_password(&session.actor.username, current).await? {
            return Err(AppError::invalid("current_password", "is not the current password"));
        }
        if current == new {
            return Err(AppError::invalid("new_password", "must differ from the current password"));
        }
        self.set_password(&session.actor.username, new).await?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        tx.set_must_change_password(session.actor.user_id, false).await?;
        let revoked = tx.revoke_user_sessions(session.actor.user_id, Some(&session.token_hash), now).await?;
        audit(
            &mut tx,
            Some(session.actor.user_id),
            "password_changed",
            serde_json::json!({ "other_sessions_revoked": revoked }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn new_session_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SESSION_PREFIX}{}", hex::encode(bytes))
}

/// The documented password of every demo user (docs/operations.md). Demo only.
pub const DEMO_PASSWORD: &str = "chuishao-demo";

impl Admin<'_> {
    /// Gives `usernames` the demo password. One argon2 hash is computed and shared (the
    /// salt is then shared too, acceptable for demo accounts only).
    pub async fn set_demo_passwords(&self, usernames: &[String]) -> Result<()> {
        let Some(first) = usernames.first() else { return Ok(()) };
        self.set_password(first, DEMO_PASSWORD).await?;
        let hash = self
            .store
            .user_by_username(first)
            .await?
            .and_then(|u| u.password_hash)
            .ok_or_else(|| AppError::Internal("demo password not stored".into()))?;
        let mut tx = self.store.begin().await?;
        for name in &usernames[1..] {
            if let Some(u) = tx.user_by_username(name).await? {
                tx.set_password_hash(UserId(u.id), &hash).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_free_then_doubles_then_locks() {
        assert_eq!(backoff_ms(0), 0);
        assert_eq!(backoff_ms(FREE_FAILURES - 1), 0);
        assert_eq!(backoff_ms(FREE_FAILURES), 1000);
        assert_eq!(backoff_ms(FREE_FAILURES + 1), 2000);
        assert_eq!(backoff_ms(LOCKOUT_FAILURES), LOCKOUT_MS);
        assert_eq!(backoff_ms(LOCKOUT_FAILURES + 50), LOCKOUT_MS);
    }

    proptest::proptest! {
        #[test]
        fn backoff_never_shrinks(f in 0i64..1000) {
            proptest::prop_assert!(backoff_ms(f + 1) >= backoff_ms(f));
            proptest::prop_assert!(backoff_ms(f) <= LOCKOUT_MS);
        }
    }
}
