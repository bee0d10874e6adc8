-- User administration (issue 7), sqlite. Keep in step with ../postgres/0010_user_admin.sql.

-- Set when an admin creates the account or resets its password: until the user picks a new
-- password, a session may do nothing but change it.
alter table users add column must_change_password boolean not null default false;
