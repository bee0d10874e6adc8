-- Whistle ↔ case links in a table (issue 11), postgres. Keep in step with the other engine's 0014_whistle_cases.sql.
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
insert into whistle_cases (whistle_id, case_id, position)
select w.id, c.id, min(t.ord) - 1
from whistles w
cross join lateral unnest(string_to_array(w.case_ids, ',')) with ordinality as t(item, ord)
join cases c on c.id = case when t.item ~ '^[0-9]+$' then t.item::bigint end
group by w.id, c.id;
alter table whistles drop column case_ids;
