-- User administration (issue 7), postgres. Keep in step with ../sqlite/0010_user_admin.sql.

-- Set when an admin creates the account or resets its password: until the user picks a new
-- password, a session may do nothing but change it.
alter table users add column must_change_password boolean not null default false;
