//! Authentication: API tokens (random, shown once, stored as SHA-256), passwords (argon2id),
//! and the users and role bindings behind them.

use crate::admin::Admin;
use crate::{AppError, Result};
use argon2::password_hash::{PasswordHasher, SaltString};
use chuishao_domain::access::{Actor, Role, RoleBinding};
use chuishao_domain::ids::UserId;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of every API token, so a leaked one is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "csk_";

/// SHA-256 of a token, hex: what the database keeps. Tokens carry 192 random bits, so a fast
/// hash is enough (no dictionary to attack) and lookup stays one indexed read.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// Checks a username: 2–64 characters of ASCII letters, digits, '.', '_' or '-'.
pub fn validate_username(username: &str) -> Result<()> {
    chuishao_domain::admin::check_username(username)
        .map_err(|_| AppError::invalid("username", "2–64 letters, digits, '.', '_' or '-'"))
}

/// An argon2id hash of `password` with a random salt, in PHC string form.
pub(crate) fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AppError::Internal(e.to_string()))?
        .to_string())
}

impl Admin<'_> {
    /// The actor behind a bearer token, or `Unauthenticated`.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Err(AppError::Unauthenticated);
        }
        let owner = self.store.token_owner(&token_hash(token)).await?.ok_or(AppError::Unauthenticated)?;
        Ok(Actor { user_id: owner.user_id, username: owner.username, bindings: owner.bindings })
    }

    /// Creates a user with role bindings given as (role, org code). Fails if the name is taken.
    pub async fn create_user(&self, username: &str, display_name: &str, roles: &[(Role, &str)]) -> Result<UserId> {
        validate_username(username)?;
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        if tx.user_by_username(username).await?.is_some() {
            return Err(AppError::AlreadyExists(format!("user {username}")));
        }
        let id = tx.insert_user(username, display_name, now).await?;
        for (role, code) in roles {
            let org = tx
                .org_by_code(code)
                .await?
                .ok_or_else(|| AppError::invalid("org", format!("no organisation {code}")))?;
            tx.grant_role(id, *role, org.id, now).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Issues a new API token for `username` and returns it. Only its hash is stored.
    pub async fn create_token(&self, username: &str, label: &str) -> Result<String> {
        let now = self.now_ms();
        let mut tx = self.store.begin().await?;
        let user = tx.user_by_username(username).await?.ok_or(AppError::NotFound("user"))?;
        if !user.active {
            return Err(AppError::Forbidden(format!("user {username} is deactivated")));
        }
        let token = new_token();
        tx.insert_token(UserId(user.id), &token_hash(&token), label, now).await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Sets a user's password (argon2id with a random salt) if it meets the password policy
    /// (`chuishao_domain::admin::check_password`).
    pub async fn set_password(&self, username: &str, password: &str) -> Result<()> {
        if chuishao_domain::admin::check_password(username, password).is_err() {
            return Err(AppError::invalid(
                "password",
                "8+ characters, two of letters, digits and symbols, not containing the username",
            ));
        }
        let hash = hash_password(password)?;
        let mut tx = self.store.begin().await?;
        let user = tx.user_by_username(username).await?.ok_or(AppError::NotFound("user"))?;
        tx.set_password_hash(UserId(user.id), &hash).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a password against the stored hash (constant work whether or not the user exists).
    pub async fn check_password(&self, username: &str, password: &str) -> Result<bool> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let user = self.store.user_by_username(username).await?;
        let stored = user.as_ref().filter(|u| u.active).and_then(|u| u.password_hash.clone());
        // A fixed dummy hash keeps the timing of unknown users close to known ones.
        let dummy = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$Xb0Oj9xN4y4eQZbJ0a5GfZ4Z0mS9Tnq2o2bqf3s2Wm0";
        let hash_text = stored.as_deref().unwrap_or(dummy);
        let ok = match PasswordHash::new(hash_text) {
            Ok(parsed) => argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
        Ok(ok && stored.is_some())
    }

    /// The actor for a username (for the CLI and the demo).
    pub async fn actor_for(&self, username: &str) -> Result<Actor> {
        let user = self.store.user_by_username(username).await?.ok_or(AppError::NotFound("user"))?;
        let bindings = self.store.role_bindings(UserId(user.id)).await?;
        Ok(Actor { user_id: UserId(user.id), username: user.username, bindings })
    }

    /// Every user with their role bindings, by username (for the CLI's `users list`).
    pub async fn users_with_roles(&self) -> Result<Vec<(chuishao_store::UserRow, Vec<RoleBinding>)>> {
        let mut out = Vec::new();
        for user in self.store.list_users().await? {
            let roles = self.store.role_bindings(UserId(user.id)).await?;
            out.push((user, roles));
        }
        Ok(out)
    }
}
