-- Staff console (sqlite). Keep in step with ../postgres/0006_console.sql.

-- Browser sessions of staff: the cookie carries a random token, the table its SHA-256.
-- A session ends at expires_at, or earlier when revoked (logout, password change, admin).
create table staff_sessions (
    id integer primary key,
    user_id bigint not null references users(id),
    token_hash text not null unique,
    created_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint
);
create index staff_sessions_user on staff_sessions(user_id);

-- Failed logins per submitted name (known or not, so the answer never tells which):
-- consecutive failures, and the instant before which no attempt is checked.
create table login_throttle (
    username text not null primary key,
    failures bigint not null,
    blocked_until bigint not null,
    updated_at bigint not null
);
