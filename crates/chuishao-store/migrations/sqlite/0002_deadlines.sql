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
