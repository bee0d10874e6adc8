-- Caches every node keeps (issue 20), PostgreSQL. Keep in step with ../sqlite/0030_cache_versions.sql.
-- One row per cache: its version goes up with every statement that changes the tables it is
-- built from, in the same transaction, and `pg_notify('chuishao_cache', name)` wakes every
-- node's watcher at commit, so each reloads what changed at once.
create table cache_versions (
    name text primary key,
    version bigint not null
);
insert into cache_versions (name, version) values ('orgs', 0), ('categories', 0), ('calendar', 0);

create function chuishao_cache_changed() returns trigger language plpgsql as $$
begin
    update cache_versions set version = version + 1 where name = tg_argv[0];
    perform pg_notify('chuishao_cache', tg_argv[0]);
    return null;
end
$$;
create trigger org_nodes_cache after insert or update or delete on org_nodes
    for each statement execute function chuishao_cache_changed('orgs');
create trigger categories_cache after insert or update or delete on categories
    for each statement execute function chuishao_cache_changed('categories');
create trigger calendar_years_cache after insert or update or delete on calendar_years
    for each statement execute function chuishao_cache_changed('calendar');
