-- Whistles (吹哨报到, issue 5). Keep the SQLite and PostgreSQL files in step.
-- One row per whistle: the folded state (JSON, the domain's Whistle) and the columns lists and
-- scopes filter on. The event log (stream 'whistle') is the source of truth.
create table whistles (
    id integer primary key,
    kind text not null,
    status text not null,
    raised_by_org_id bigint not null references org_nodes(id),
    raised_by_path text not null,
    title text not null,
    description text not null,
    address text not null,
    lat double precision not null,
    lon double precision not null,
    -- Comma-separated ids of the linked cases (each keeps its own lifecycle).
    case_ids text not null,
    state text not null,
    version bigint not null,
    raised_at bigint not null,
    updated_at bigint not null,
    closed_at bigint
);
create index whistles_raiser on whistles(raised_by_path, id);
create index whistles_raised_at on whistles(raised_at);
-- One row per summoned unit, rewritten with the whistle: department scopes, the scorecards,
-- and the check-in due index (next_fire_at: when the timer worker must look at the unit; null
-- once it has checked in, been found overdue, or the whistle is no longer open).
create table whistle_units (
    whistle_id bigint not null references whistles(id),
    org_id bigint not null references org_nodes(id),
    org_path text not null,
    status text not null,
    raised_at bigint not null,
    due_at bigint not null,
    checked_in_at bigint,
    late boolean not null,
    done_at bigint,
    rating bigint,
    overdue_at bigint,
    next_fire_at bigint,
    primary key (whistle_id, org_id)
);
create index whistle_units_fire on whistle_units(next_fire_at) where next_fire_at is not null;
create index whistle_units_org on whistle_units(org_path, raised_at);
