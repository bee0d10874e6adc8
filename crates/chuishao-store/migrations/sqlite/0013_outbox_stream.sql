-- Outbox rows name their record (issue 11), sqlite. Keep in step with the other engine's 0013_outbox_stream.sql.
-- A delivery announces an event of one record: its stream kind ('case', 'whistle', …) and id.
-- `case_id` keeps the case's id for case events and is 0 for other records' events (whistle
-- deliveries used to carry the whistle's id there).
alter table notification_outbox add column stream text not null default 'case';
alter table notification_outbox add column stream_id bigint not null default 0;
update notification_outbox set stream_id = case_id;
update notification_outbox set stream = 'whistle', case_id = 0 where event_kind like 'whistle\_%' escape '\';
