#!/usr/bin/env bash
# Grid lookups and import at 100,000 grids, side by side with PostGIS ST_Contains over a GiST
# index on the same polygons and points. PostGIS is installed here, for this benchmark only
# (Debian's package); Chuishao itself never needs it.
#
#   bash bench/geo-postgis.sh            # results as Markdown on stdout
#   PG_URL=postgres://postgres@127.0.0.1:5432/postgres PG_POINTS=200000 bash bench/geo-postgis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_POINTS="${PG_POINTS:-200000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/chuishao-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p chuishao
"$CARGO_TARGET_DIR/release/chuishao" bench-geo --dump "$work" > "$work/chuishao.md"

pg_major="$(psql "$PG_URL" -Atc 'show server_version_num' | cut -c1-2)"
if ! psql "$PG_URL" -Atc "select 1 from pg_available_extensions where name = 'postgis'" | grep -q 1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "postgresql-${pg_major}-postgis-3" >/dev/null
fi

db="chuishao_bench_geo"
psql "$PG_URL" -qc "drop database if exists $db" -c "create database $db" >/dev/null
DB_URL="${PG_URL%/*}/$db"
head -n "$PG_POINTS" "$work/points.csv" > "$work/points-pg.csv"
psql "$DB_URL" -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
create extension postgis;
create table grids_wkt (code text, wkt text);
create table pts_raw (id bigint, lon double precision, lat double precision);
\copy grids_wkt from '$work/grids.csv'
\copy pts_raw from '$work/points-pg.csv'
SQL
t0=$(date +%s.%N)
psql "$DB_URL" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create table grids as select code, st_geomfromtext(wkt, 4326)::geometry(Polygon, 4326) as geom from grids_wkt;
create index grids_gist on grids using gist (geom);
analyze grids;
SQL
t1=$(date +%s.%N)
psql "$DB_URL" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create table pts as select id, st_setsrid(st_makepoint(lon, lat), 4326) as geom from pts_raw;
analyze pts;
SQL
# Each point's grid, the smallest code on shared edges, as Chuishao answers it.
query="select count(x.code) from pts p left join lateral
         (select g.code from grids g where st_contains(g.geom, p.geom) order by g.code limit 1) x on true"
psql "$DB_URL" -Atc "$query" >/dev/null   # warm the cache
t2=$(date +%s.%N)
found=$(psql "$DB_URL" -Atc "$query")
t3=$(date +%s.%N)
psql "$PG_URL" -qc "drop database $db" >/dev/null

calc() { awk "BEGIN { print $1 }"; }
load_s=$(calc "$t1 - $t0")
query_s=$(calc "$t3 - $t2")
pg_rate=$(calc "$PG_POINTS / $query_s")
ours=$(grep -o 'lookups on one core | [0-9]*' "$work/chuishao.md" | grep -o '[0-9]*$')
cat "$work/chuishao.md"
printf '| PostGIS: build geometries + GiST index (100,000 grids) | %.1f s |\n' "$load_s"
printf '| PostGIS ST_Contains lookups (one backend, %d points in one query, %d found) | %.0f /s |\n' "$PG_POINTS" "$found" "$pg_rate"
printf '| ratio Chuishao / PostGIS | %.1f× |\n' "$(calc "$ours / $pg_rate")"
