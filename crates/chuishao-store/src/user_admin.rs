//! Storage for user administration: the user directory (with last sign-in, live sessions and
//! the login throttle), every role binding at once, API tokens, and the administrative writes
//! (disable, force a password change, remove a role, revoke a token).

use crate::{Result, Store, StoreError, Tx, run};
use chuishao_domain::access::{Role, RoleBinding};
use chuishao_domain::ids::{OrgId, UserId};

/// One user as the administration pages list them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DirectoryRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub active: bool,
    pub must_change_password: bool,
    /// When the user last signed in (a session was opened), if ever.
    pub last_login: Option<i64>,
    /// Unrevoked, unexpired browser sessions.
    pub live_sessions: i64,
    /// The login throttle under the username: consecutive failures and the blocked-until instant.
    pub failures: i64,
    pub blocked_until: i64,
}

/// An API token's metadata (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

const DIRECTORY: &str = "select u.id, u.username, u.display_name, u.active, u.must_change_password,
    (select max(s.created_at) from staff_sessions s where s.user_id = u.id) as last_login,
    (select count(*) from staff_sessions s
      where s.user_id = u.id and s.revoked_at is null and s.expires_at > $1) as live_sessions,
    coalesce(t.failures, 0) as failures, coalesce(t.blocked_until, 0) as blocked_until
  from users u left join (select username, max(failures) as failures, max(blocked_until) as blocked_until
      from (select username, failures, blocked_until from login_throttle
            union all select username, failures, blocked_until from login_throttle_pairs) a
      group by username) t on t.username = u.username";

impl Store {
    /// Every user with sign-in figures, by username.
    pub async fn user_directory(&self, now: i64) -> Result<Vec<DirectoryRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("{DIRECTORY} order by u.username"))
                .bind(now)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// One user of the directory.
    pub async fn directory_entry(&self, user: UserId, now: i64) -> Result<Option<DirectoryRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(&format!("{DIRECTORY} where u.id = $2"))
                .bind(now)
                .bind(user.0)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// Every role binding of every user, as (user id, binding), in grant order.
    pub async fn all_role_bindings(&self) -> Result<Vec<(i64, RoleBinding)>> {
        let mut c = self.read().await?;
        let rows: Vec<(i64, String, i64, String)> = run!(c.conn(), conn => {
            sqlx::query_as(
                "select r.user_id, r.role, r.org_id, o.path from user_roles r join org_nodes o on o.id = r.org_id
                 order by r.id",
            )
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter()
            .map(|(user, role, org_id, org_path)| {
                let role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?;
                Ok((user, RoleBinding { role, org_id: OrgId(org_id), org_path }))
            })
            .collect()
    }

    /// Ids of active users holding an admin role anywhere.
    pub async fn active_admin_ids(&self) -> Result<Vec<i64>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_scalar(
                "select distinct u.id from users u join user_roles r on r.user_id = u.id
                 where r.role = 'admin' and u.active = true order by u.id",
            )
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// A user's API tokens, newest first.
    pub async fn user_tokens(&self, user: UserId) -> Result<Vec<TokenRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select id, label, created_at, revoked_at from api_tokens where user_id = $1 order by id desc",
            )
            .bind(user.0)
            .fetch_all(&mut *conn)
            .await?
        }))
    }
}

impl Tx {
    pub async fn set_user_active(&mut self, user: UserId, active: bool) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update users set active = $1 where id = $2")
                .bind(active)
                .bind(user.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn set_must_change_password(&mut self, user: UserId, must: bool) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("update users set must_change_password = $1 where id = $2")
                .bind(must)
                .bind(user.0)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Removes `role` at `org` from `user`; returns whether it was held.
    pub async fn revoke_role(&mut self, user: UserId, role: Role, org: OrgId) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query("delete from user_roles where user_id = $1 and role = $2 and org_id = $3")
                .bind(user.0)
                .bind(role.as_str())
                .bind(org.0)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Revokes one of `user`'s tokens; returns whether a live one was revoked.
    pub async fn revoke_token(&mut self, user: UserId, token_id: i64, now: i64) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query("update api_tokens set revoked_at = $1 where id = $2 and user_id = $3 and revoked_at is null")
                .bind(now)
                .bind(token_id)
                .bind(user.0)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }
}
