-- The public text policy (issue 13), SQLite. Keep in step with ../postgres/0035_public_text.sql.
-- A dispatcher's choice of what the public sees of a case: the description as written
-- (redacted, 'auto'), their own text ('edited', redacted too) or none ('withheld'), and
-- whether the case is listed publicly (null: as its source decides). No row: 'auto'.
create table case_public_text (
    case_id bigint primary key references cases(id),
    mode text not null,
    text text,
    listed boolean,
    updated_by bigint references users(id),
    updated_at bigint not null
);
