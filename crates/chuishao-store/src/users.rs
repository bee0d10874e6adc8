//! Users, their role bindings and API tokens (stored as SHA-256 hashes, never in clear).

use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::access::{Role, RoleBinding};
use chuishao_domain::ids::{OrgId, UserId};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub active: bool,
}

/// The user a token belongs to, with role bindings, as authentication needs it.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub user_id: UserId,
    pub username: String,
    pub bindings: Vec<RoleBinding>,
}

const USER_COLUMNS: &str = "id, username, display_name, password_hash, active";

impl Tx {
    pub async fn insert_user(&mut self, username: &str, display_name: &str, now: i64) -> Result<UserId> {
        let id: i64 = run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into users (username, display_name, password_hash, active, created_at)
                 values ($1, $2, null, true, $3) returning id",
            )
            .bind(username)
            .bind(display_name)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| StoreError::unique(e, &format!("user {username}")))?
        });
        Ok(UserId(id))
    }

    pub async fn user_by_username(&mut self, username: &str) -> Result<Option<UserRow>> {
        Ok(run!(self.conn(), conn => {
            sqlx::query_as(&format!("select {USER_COLUMNS} from users where username = $1"))
                .bind(username)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// Binds `role` at `org` (no-op if already bound). Returns whether it was new.
    pub async fn grant_role(&mut self, user: UserId, role: Role, org: OrgId, now: i64) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query(
                "insert into user_roles (user_id, role, org_id, created_at) values ($1, $2, $3, $4)
                 on conflict (user_id, role, org_id) do nothing",
            )
            .bind(user.0)
            .bind(role.as_str())
            .bind(org.0)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    pub async fn set_password_hash(&mut self, user: UserId, hash: &str) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update users set password_hash = $1 where id = $2")
                .bind(hash)
                .bind(user.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn insert_token(&mut self, user: UserId, token_hash: &str, label: &str, now: i64) -> Result<i64> {
        Ok(run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into api_tokens (user_id, token_hash, label, created_at) values ($1, $2, $3, $4) returning id",
            )
            .bind(user.0)
            .bind(token_hash)
            .bind(label)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
        }))
    }
}

impl Store {
    /// The active user owning an unrevoked token with this hash, with their role bindings.
    pub async fn token_owner(&self, token_hash: &str) -> Result<Option<TokenOwner>> {
        let mut c = self.read().await?;
        let user: Option<(i64, String)> = run!(c.conn(), conn => {
            sqlx::query_as(
                "select u.id, u.username from api_tokens t join users u on u.id = t.user_id
                 where t.token_hash = $1 and t.revoked_at is null and u.active = true",
            )
            .bind(token_hash)
            .fetch_optional(&mut *conn)
            .await?
        });
        // Release the connection before taking another: nested acquisition can starve the pool.
        drop(c);
        let Some((id, username)) = user else { return Ok(None) };
        let bindings = self.role_bindings(UserId(id)).await?;
        Ok(Some(TokenOwner { user_id: UserId(id), username, bindings }))
    }

    /// A user's role bindings with each bound node's path.
    pub async fn role_bindings(&self, user: UserId) -> Result<Vec<RoleBinding>> {
        let mut c = self.read().await?;
        let rows: Vec<(String, i64, String)> = run!(c.conn(), conn => {
            sqlx::query_as(
                "select r.role, r.org_id, o.path from user_roles r join org_nodes o on o.id = r.org_id
                 where r.user_id = $1 order by r.id",
            )
            .bind(user.0)
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter()
            .map(|(role, org_id, org_path)| {
                let role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?;
                Ok(RoleBinding { role, org_id: OrgId(org_id), org_path })
            })
            .collect()
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {USER_COLUMNS} from users where username = $1"))
                .bind(username)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("select {USER_COLUMNS} from users order by username"))
                .fetch_all(&mut *conn)
                .await?
        }))
    }
}
