-- Login throttle per name and client address (issue 13), postgres. Keep in step with
-- ../sqlite/0031_login_pairs.sql. Failures from one address lock that name for that address
-- only; login_throttle (per name, every address) then only slows a name down, so a stranger
-- cannot lock a named user out.
create table login_throttle_pairs (
    username text not null,
    address text not null,
    failures bigint not null,
    blocked_until bigint not null,
    updated_at bigint not null,
    primary key (username, address)
);
