-- Residents' channel (SQLite). Keep in step with ../postgres/0004_residents.sql.

-- Answers to a service's extra questions (Open311 `attribute[CODE]`), one row per code.
create table case_attributes (
    case_id bigint not null references cases(id),
    code text not null,
    value text not null,
    primary key (case_id, code)
);

-- Media attached to a case by reference (Open311 `media_url`), in the order given.
create table case_media (
    id integer primary key,
    case_id bigint not null references cases(id),
    url text not null,
    created_at bigint not null
);
create index case_media_case on case_media(case_id, id);
create index events_created_at on events(created_at, seq);

-- Photos a reporter attached, cleaned (re-encoded without metadata) and stored as files
-- `{file_key}.jpg` and `{file_key}.thumb.jpg` in the photo directory.
create table case_photos (
    file_key text primary key,
    case_id bigint not null references cases(id),
    width bigint not null,
    height bigint not null,
    bytes bigint not null,
    created_at bigint not null
);
create index case_photos_case on case_photos(case_id);
