-- Grids and the map (issue 4), sqlite. Keep in step with the other engine's 0003_geo.sql.

-- Streets and alleys (街巷): lines on the map, each inside a community.
create table streets (
    id integer primary key,
    code text not null unique,
    name_zh text not null,
    name_en text not null,
    community_id bigint not null references org_nodes(id),
    -- GeoJSON LineString or MultiLineString (WGS-84).
    geometry text not null,
    created_at bigint not null,
    updated_at bigint not null
);
create index streets_community on streets(community_id);

-- One row: bumped by every geometry import, so every app node knows when to rebuild its
-- grid index.
create table geo_state (
    id bigint primary key,
    revision bigint not null,
    updated_at bigint not null
);
insert into geo_state (id, revision, updated_at) values (1, 0, 0);
