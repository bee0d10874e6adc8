-- Community mobilisation (issue 15), sqlite. Keep in step with the other engine's 0015_community.sql.
-- One projection table for every community record (party organisations, party members,
-- posts, activities, volunteers): the folded state (JSON) and the columns lists and scopes
-- filter on. The event log (streams party_org, party_member, community_post, activity,
-- volunteer) is the source of truth; ids are shared by every kind.
create table community_records (
    id integer primary key,
    stream text not null,
    community_id bigint not null references org_nodes(id),
    community_path text not null,
    status text not null,
    -- What may be registered once per kind (a member's or a volunteer's phone), else null.
    unique_key text,
    -- When it happens (an activity's start), else its creation.
    at bigint not null,
    state text not null,
    version bigint not null,
    created_at bigint not null,
    updated_at bigint not null
);
create unique index community_records_key on community_records(stream, unique_key);
create index community_records_scope on community_records(stream, community_path, id);
create index community_records_at on community_records(stream, at);
-- Confirmed service, one row per confirmed attendance, rewritten with its activity: the
-- yearly counts against commitments, a volunteer's hours, and what the kindness exchange
-- (issue 16) reads.
create table community_service (
    activity_id bigint not null references community_records(id),
    volunteer_id bigint not null references community_records(id),
    member_id bigint references community_records(id),
    party_org_id bigint references community_records(id),
    community_id bigint not null references org_nodes(id),
    community_path text not null,
    kind text not null,
    half_hours bigint not null,
    starts_at bigint not null,
    confirmed_at bigint not null,
    primary key (activity_id, volunteer_id)
);
create index community_service_member on community_service(member_id, starts_at);
create index community_service_org on community_service(party_org_id, starts_at);
create index community_service_volunteer on community_service(volunteer_id, starts_at);
create index community_service_confirmed on community_service(confirmed_at);
-- Who signed up for which activity (any status), rewritten with the activity: a volunteer's
-- own page lists their activities from here.
create table community_attendance (
    activity_id bigint not null references community_records(id),
    volunteer_id bigint not null references community_records(id),
    status text not null,
    starts_at bigint not null,
    primary key (activity_id, volunteer_id)
);
create index community_attendance_volunteer on community_attendance(volunteer_id, starts_at);
-- The configurable skills list (codes worded in both languages), in its order; empty: the
-- default list (medical, education, legal, mediation, culture, technology, trades,
-- elderly_care, other), worded by the catalogue.
create table community_skills (
    code text primary key,
    name_zh text not null,
    name_en text not null,
    position bigint not null
);
-- Volunteers' passwords (argon2id) beside their records: never in the record or the log.
create table volunteer_credentials (
    volunteer_id bigint primary key references community_records(id),
    phone text not null unique,
    password_hash text not null
);
-- Volunteers' sessions: only the SHA-256 of the token is kept.
create table volunteer_sessions (
    token_hash text primary key,
    volunteer_id bigint not null references community_records(id),
    created_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint
);
create index volunteer_sessions_volunteer on volunteer_sessions(volunteer_id);
