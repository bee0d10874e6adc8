#!/usr/bin/env bash
# User administration page times: starts `BIN serve --demo` on a fresh SQLite file, adds
# EXTRA (default 5000) users with a grid-worker role each (straight into the database, so the
# directory is district-sized), signs in as the admin and times each page (best of 5 with curl).
# Usage: bench/console-admin-pages.sh BIN [EXTRA]
set -euo pipefail
bin="$1"
extra="${2:-5000}"
# shellcheck source=../e2e/serve-demo.sh
. "$(cd "$(dirname "$0")" && pwd)/../e2e/serve-demo.sh"
sqlite3 "$work/demo.db" <<SQL
.timeout 10000
with recursive n(i) as (select 1 where $extra > 0 union all select i + 1 from n where i < $extra)
insert into users (username, display_name, password_hash, active, created_at, must_change_password)
  select 'bench_' || i, '压测用户' || i, null, 1, 0, 0 from n;
with g as (select id, row_number() over (order by id) - 1 as k, count(*) over () as c
           from org_nodes where kind = 'grid')
insert into user_roles (user_id, role, org_id, created_at)
  select u.id, 'grid_worker', g.id, 0 from users u join g on g.k = u.id % g.c
  where u.username like 'bench\_%' escape '\';
SQL
# shellcheck source=console-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/console-lib.sh"
sign_in admin
users="$(sqlite3 "$work/demo.db" 'select count(*) from users')"
echo "$users users"
echo "| page | status | best of 5 |"
echo "|---|---:|---:|"
last=$(( (users + 24) / 25 ))
time_pages /console/admin/users "/console/admin/users?q=bench_4321" "/console/admin/users?q=%E7%BD%91%E6%A0%BC" \
  "/console/admin/users?page=$last" /console/admin/users/new /console/admin/users/2 /console/admin/users/100
