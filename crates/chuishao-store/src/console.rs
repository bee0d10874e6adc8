//! Storage for the staff console: browser sessions (SHA-256 of the cookie token, expiry,
//! revocation) and the per-name login throttle.

use crate::{Result, Store, Tx, run};
use chuishao_domain::ids::UserId;

/// A live session and the user behind it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub expires_at: i64,
    /// Set by an admin's reset: the session may only change the password.
    pub must_change_password: bool,
}

/// Consecutive failed logins under one name and the instant before which none is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct ThrottleRow {
    pub failures: i64,
    pub blocked_until: i64,
}

impl Tx {
    pub async fn insert_session(&mut self, user: UserId, token_hash: &str, now: i64, expires_at: i64) -> Result<i64> {
        Ok(run!(self.conn(), conn => {
            sqlx::query_scalar(
                "insert into staff_sessions (user_id, token_hash, created_at, expires_at, revoked_at)
                 values ($1, $2, $3, $4, null) returning id",
            )
            .bind(user.0)
            .bind(token_hash)
            .bind(now)
            .bind(expires_at)
            .fetch_one(&mut *conn)
            .await?
        }))
    }

    /// Revokes one session by its token hash; returns whether a live one was revoked.
    pub async fn revoke_session(&mut self, token_hash: &str, now: i64) -> Result<bool> {
        let n = run!(self.conn(), conn => {
            sqlx::query("update staff_sessions set revoked_at = $1 where token_hash = $2 and revoked_at is null")
                .bind(now)
                .bind(token_hash)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Revokes every live session of `user` except the one with `keep_hash`; returns how many.
    pub async fn revoke_user_sessions(&mut self, user: UserId, keep_hash: Option<&str>, now: i64) -> Result<u64> {
        Ok(run!(self.conn(), conn => {
            sqlx::query(
                "update staff_sessions set revoked_at = $1
                 where user_id = $2 and revoked_at is null and token_hash <> $3",
            )
            .bind(now)
            .bind(user.0)
            .bind(keep_hash.unwrap_or(""))
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }))
    }

    /// The throttle row of a name, inside the write transaction (so concurrent attempts count).
    pub async fn login_throttle(&mut self, username: &str) -> Result<ThrottleRow> {
        let row: Option<ThrottleRow> = run!(self.conn(), conn => {
            sqlx::query_as("select failures, blocked_until from login_throttle where username = $1")
                .bind(username)
                .fetch_optional(&mut *conn)
                .await?
        });
        Ok(row.unwrap_or_default())
    }

    pub async fn set_login_throttle(&mut self, username: &str, t: ThrottleRow, now: i64) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query(
                "insert into login_throttle (username, failures, blocked_until, updated_at) values ($1, $2, $3, $4)
                 on conflict (username) do update set failures = excluded.failures,
                   blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
            )
            .bind(username)
            .bind(t.failures)
            .bind(t.blocked_until)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// The throttle row of a name from one client address (migration 31).
    pub async fn login_throttle_pair(&mut self, username: &str, address: &str) -> Result<ThrottleRow> {
        let row: Option<ThrottleRow> = run!(self.conn(), conn => {
            sqlx::query_as("select failures, blocked_until from login_throttle_pairs where username = $1 and address = $2")
                .bind(username)
                .bind(address)
                .fetch_optional(&mut *conn)
                .await?
        });
        Ok(row.unwrap_or_default())
    }

    pub async fn set_login_throttle_pair(
        &mut self,
        username: &str,
        address: &str,
        t: ThrottleRow,
        now: i64,
    ) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query(
                "insert into login_throttle_pairs (username, address, failures, blocked_until, updated_at)
                 values ($1, $2, $3, $4, $5)
                 on conflict (username, address) do update set failures = excluded.failures,
                   blocked_until = excluded.blocked_until, updated_at = excluded.updated_at",
            )
            .bind(username)
            .bind(address)
            .bind(t.failures)
            .bind(t.blocked_until)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Clears the throttle of a name: its own row and that of `address`, or of every address.
    pub async fn clear_login_throttle(&mut self, username: &str, address: Option<&str>) -> Result<()> {
        run!(self.conn(), conn => {
            sqlx::query("delete from login_throttle where username = $1").bind(username).execute(&mut *conn).await?;
            sqlx::query("delete from login_throttle_pairs where username = $1 and ($2 is null or address = $2)")
                .bind(username)
                .bind(address)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}

impl Store {
    /// The unrevoked, unexpired session with this token hash, of an active user.
    pub async fn live_session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            sqlx::query_as(
                "select s.id, s.user_id, u.username, u.display_name, s.expires_at, u.must_change_password
                 from staff_sessions s join users u on u.id = s.user_id
                 where s.token_hash = $1 and s.revoked_at is null and s.expires_at > $2 and u.active = true",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }

    /// Which of `ids` were ever returned by a handling unit (the dispatcher's returns queue).
    pub async fn returned_case_ids(&self, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut c = self.read().await?;
        Ok(run!(c.conn(), conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "select distinct stream_id from events where stream = 'case' and kind = 'returned' and stream_id in (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_scalar().fetch_all(&mut *conn).await?
        }))
    }
}

impl Tx {
    /// The secret named `name`: the one stored, else `fresh`, stored now (the first node to
    /// ask wins; every later call, on any node, gets the same secret).
    pub async fn server_key(&mut self, name: &str, fresh: &str, now: i64) -> Result<String> {
        Ok(run!(self.conn(), conn => {
            sqlx::query("insert into server_keys (name, secret, created_at) values ($1, $2, $3) on conflict (name) do nothing")
                .bind(name)
                .bind(fresh)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            sqlx::query_scalar("select secret from server_keys where name = $1")
                .bind(name)
                .fetch_one(&mut *conn)
                .await?
        }))
    }
}
