-- Server keys (issue 13), sqlite. Keep in step with ../postgres/0020_server_keys.sql.
-- Random secrets the nodes of a deployment share, made once on first use: `csrf` signs the
-- web forms' tokens (bound to the session, or to a signed value before sign-in), so tokens
-- stay valid across restarts and on every node.
create table server_keys (
    name text primary key,
    secret text not null,
    created_at bigint not null
);
