-- Street people and patrols (issue 4), sqlite. Keep in step with the other engine's 0008_patrol.sql.

-- Who answers for a street: chiefs (街巷长), stewards (巷管家), the street council.
create table street_people (
    id integer primary key,
    street_id bigint not null references streets(id),
    user_id bigint not null references users(id),
    -- chief, steward, council_chief, council_secretary or council_member.
    duty text not null,
    created_at bigint not null,
    unique (street_id, user_id, duty)
);
create index street_people_user on street_people(user_id);

-- A patrol (巡查) of one street by one person.
create table patrols (
    id integer primary key,
    street_id bigint not null references streets(id),
    user_id bigint not null references users(id),
    -- ongoing or finished.
    status text not null,
    started_at bigint not null,
    finished_at bigint,
    -- Ticked checklist items as JSON: {"item_id": true|false}.
    checklist text not null,
    point_count bigint not null,
    last_point_at bigint,
    version bigint not null
);
create index patrols_street on patrols(street_id, started_at);
create index patrols_user on patrols(user_id, started_at);

-- The patrol's track: timestamped points in order.
create table patrol_points (
    patrol_id bigint not null references patrols(id),
    seq bigint not null,
    at bigint not null,
    lat double precision not null,
    lon double precision not null,
    primary key (patrol_id, seq)
);

-- Cases a patrol reported.
create table patrol_findings (
    patrol_id bigint not null references patrols(id),
    case_id bigint not null references cases(id),
    created_at bigint not null,
    primary key (patrol_id, case_id)
);
