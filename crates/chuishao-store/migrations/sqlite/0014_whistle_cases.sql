-- Whistle ↔ case links in a table (issue 11), sqlite. Keep in step with the other engine's 0014_whistle_cases.sql.
-- Replaces the comma-separated `whistles.case_ids` (searched with LIKE): one row per link,
-- the case's whistles found by index. Existing lists are carried over (ids of cases that do
-- not exist are dropped).
create table whistle_cases (
    whistle_id bigint not null references whistles(id),
    case_id bigint not null references cases(id),
    -- The link's place in the whistle's list, as raised.
    position bigint not null,
    primary key (whistle_id, case_id)
);
create index whistle_cases_case on whistle_cases(case_id, whistle_id);
with recursive split(whistle_id, position, item, rest) as (
    select id, 0, '', case_ids || ',' from whistles
    union all
    select whistle_id, position + 1, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1)
    from split where rest <> ''
)
insert or ignore into whistle_cases (whistle_id, case_id, position)
select s.whistle_id, cast(s.item as integer), s.position - 1
from split s join cases c on c.id = cast(s.item as integer)
where s.item <> '';
alter table whistles drop column case_ids;
