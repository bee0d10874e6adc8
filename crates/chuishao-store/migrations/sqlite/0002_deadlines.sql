-- Deadlines (issue 3). Keep the SQLite and PostgreSQL files in step.
-- Calendar years imported by an admin (TOML text, as `chuishao calendar import` reads it). They
-- override the years built into the binary and add new ones; every node loads the same set.
create table calendar_years (
    year bigint primary key,
    source text not null,
    imported_at bigint not null
);
-- One SLA clock per case and kind (acceptance, resolution, verification).
-- basis: 'wall' (24x7 milliseconds) or 'working' (milliseconds of working time).
-- state: running, paused or met; warned_at / overdue_at record what has fired, supervisions
-- how many overdue periods have been escalated. The due instant is recomputed from started_at,
-- the tier, extension_days and the time spent parked (credit_*_ms) whenever one changes.
-- next_fire_at is the due index: the next instant the timer worker must act on this clock
-- (the 80% warning, the deadline, the next supervision period), null when nothing is pending.
create table case_deadlines (
    case_id bigint not null references cases(id),
    kind text not null,
    tier text not null,
    basis text not null,
    allowed_ms bigint not null,
    started_at bigint not null,
    due_at bigint not null,
    warn_at bigint not null,
    state text not null,
    paused_at bigint,
    extension_days bigint not null,
    credit_wall_ms bigint not null,
    credit_working_ms bigint not null,
    warned_at bigint,
    overdue_at bigint,
    met_at bigint,
    supervisions bigint not null,
    next_fire_at bigint,
    primary key (case_id, kind)
);
create index case_deadlines_fire on case_deadlines(next_fire_at) where next_fire_at is not null;
create index case_deadlines_due on case_deadlines(due_at) where state = 'running';
-- Notifications: who wants which case events (kinds: webhook, wecom, dingtalk), and the outbox
-- of deliveries, written in the same transaction as the events they announce.
create table notification_subscriptions (
    id integer primary key,
    name text not null,
    channel text not null,
    url text not null,
    secret text,
    -- Comma-separated event kinds, or '*' for every kind.
    event_kinds text not null,
    -- Only cases whose place or handler lies under this org path.
    org_path text not null,
    format text not null,
    active boolean not null,
    created_at bigint not null
);
create table notification_outbox (
    id integer primary key,
    subscription_id bigint not null references notification_subscriptions(id),
    event_seq bigint not null,
    case_id bigint not null,
    event_kind text not null,
    body text not null,
    -- pending, delivered or dead (dead-lettered after the last attempt).
    state text not null,
    attempts bigint not null,
    next_attempt_at bigint not null,
    last_status bigint,
    last_error text,
    created_at bigint not null,
    delivered_at bigint
);
create index notification_outbox_due on notification_outbox(next_attempt_at) where state = 'pending';
create index notification_outbox_state on notification_outbox(state, id);
