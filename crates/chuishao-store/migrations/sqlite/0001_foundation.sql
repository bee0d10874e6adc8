-- Chuishao foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- a test migrates both engines and compares tables, columns and nullability.
-- Instants are bigint milliseconds since the Unix epoch (UTC) on both engines.

create table org_nodes (
    id integer primary key,
    code text not null unique,
    kind text not null,
    name_zh text not null,
    name_en text not null,
    parent_id bigint references org_nodes(id),
    path text not null,
    households bigint,
    population bigint,
    stationed_in_id bigint references org_nodes(id),
    -- GeoJSON geometry (WGS-84) of a place: polygon for areas, line for streets.
    geometry text,
    created_at bigint not null
);
create index org_nodes_parent on org_nodes(parent_id);
create index org_nodes_path on org_nodes(path);

create table categories (
    code text primary key,
    class text not null,
    major_code text not null,
    minor_code text not null,
    major_name_zh text not null,
    major_name_en text not null,
    name_zh text not null,
    name_en text not null,
    description_zh text not null,
    description_en text not null,
    department_code text,
    tier text not null,
    ownership text not null,
    active boolean not null,
    sort_order bigint not null
);

create table users (
    id integer primary key,
    username text not null unique,
    display_name text not null,
    password_hash text,
    active boolean not null,
    created_at bigint not null
);

create table user_roles (
    id integer primary key,
    user_id bigint not null references users(id),
    role text not null,
    org_id bigint not null references org_nodes(id),
    created_at bigint not null,
    unique (user_id, role, org_id)
);

create table api_tokens (
    id integer primary key,
    user_id bigint not null references users(id),
    token_hash text not null unique,
    label text not null,
    created_at bigint not null,
    revoked_at bigint
);

create table cases (
    id integer primary key,
    tracking_code text not null unique,
    source text not null,
    category_code text references categories(code),
    urgency text not null,
    status text not null,
    description text not null,
    lat double precision,
    lon double precision,
    address text,
    location_path text not null,
    subdistrict_id bigint references org_nodes(id),
    community_id bigint references org_nodes(id),
    grid_id bigint references org_nodes(id),
    handler_id bigint references org_nodes(id),
    handler_kind text,
    handler_path text,
    parked boolean not null,
    extension_pending_days bigint,
    extension_days bigint not null,
    supervision_count bigint not null,
    reopen_count bigint not null,
    merged_into bigint references cases(id),
    duplicate_count bigint not null,
    callback_solved boolean,
    callback_satisfaction text,
    created_by bigint references users(id),
    version bigint not null,
    created_at bigint not null,
    updated_at bigint not null,
    closed_at bigint
);
create index cases_status on cases(status, id);
create index cases_location on cases(location_path, id);
create index cases_handler on cases(handler_path, id);
create index cases_created on cases(created_at);
create index cases_category on cases(category_code, id);

-- Reporter identity and contact, kept apart from the case (PII vault).
create table reporters (
    case_id bigint primary key references cases(id),
    name text,
    phone text,
    created_at bigint not null
);

-- The event log: append-only, every row chained to the one before by a SHA-256 hash.
create table events (
    seq bigint primary key,
    stream text not null,
    stream_id bigint not null,
    stream_version bigint not null,
    kind text not null,
    payload text not null,
    actor_id bigint,
    created_at bigint not null,
    prev_hash text not null,
    hash text not null
);
create index events_stream on events(stream, stream_id, seq);

create table audit_head (
    id bigint primary key,
    seq bigint not null,
    hash text not null
);
insert into audit_head (id, seq, hash) values (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

create table idempotency_keys (
    user_id bigint not null references users(id),
    idem_key text not null,
    request_hash text not null,
    case_id bigint not null references cases(id),
    created_at bigint not null,
    primary key (user_id, idem_key)
);
