-- Caches every node keeps (issue 20), sqlite. Keep in step with ../postgres/0030_cache_versions.sql.
-- One row per cache: its version goes up with every change to the tables it is built from, in
-- the same transaction (triggers, so every writer counts, whatever the code path). Nodes watch
-- the versions and reload what changed.
create table cache_versions (
    name text primary key,
    version bigint not null
);
insert into cache_versions (name, version) values ('orgs', 0), ('categories', 0), ('calendar', 0);

create trigger org_nodes_cache_insert after insert on org_nodes
begin update cache_versions set version = version + 1 where name = 'orgs'; end;
create trigger org_nodes_cache_update after update on org_nodes
begin update cache_versions set version = version + 1 where name = 'orgs'; end;
create trigger org_nodes_cache_delete after delete on org_nodes
begin update cache_versions set version = version + 1 where name = 'orgs'; end;

create trigger categories_cache_insert after insert on categories
begin update cache_versions set version = version + 1 where name = 'categories'; end;
create trigger categories_cache_update after update on categories
begin update cache_versions set version = version + 1 where name = 'categories'; end;
create trigger categories_cache_delete after delete on categories
begin update cache_versions set version = version + 1 where name = 'categories'; end;

create trigger calendar_years_cache_insert after insert on calendar_years
begin update cache_versions set version = version + 1 where name = 'calendar'; end;
create trigger calendar_years_cache_update after update on calendar_years
begin update cache_versions set version = version + 1 where name = 'calendar'; end;
create trigger calendar_years_cache_delete after delete on calendar_years
begin update cache_versions set version = version + 1 where name = 'calendar'; end;
