#!/usr/bin/env bash
# Two Chuishao nodes on one PostgreSQL behind HAProxy, on this machine's loopback addresses.
#
#   deploy/cluster.sh BIN          functional checks (what CI runs): report and track through
#                                  the balancer, per-resident rate limits, forwarded addresses
#                                  from untrusted peers refused, staff on both nodes, live
#                                  streams across nodes, caches across nodes, timers once,
#                                  metrics on each node
#   deploy/cluster.sh BIN drill    also the failure drills under steady load: kill -9 a node,
#                                  then restart PostgreSQL (figures in docs/operations.md)
#   deploy/cluster.sh BIN intake   also intake through the balancer with two nodes, then with
#                                  one (figures in docs/benchmarks.md; WRITERS, SECONDS)
#
# PostgreSQL is a private cluster (initdb in a temporary directory, its own port), so that
# restarting it disturbs nobody else on the machine. HAProxy comes from Debian's package,
# installed if missing; its configuration is deploy/haproxy.cfg, the nodes' deploy/cluster-node.toml.
set -euo pipefail
BIN="$(readlink -f "$1")"
MODE="${2:-check}"
cd "$(dirname "$0")/.."
ROOT="$PWD"

if ! command -v haproxy >/dev/null; then
  # Do not let the package start a system-wide HAProxy (no init system here anyway).
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made_policy=1; fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"

WORK="$(mktemp -d /tmp/chuishao-cluster.XXXXXX)"
chmod 755 "$WORK"
BASE=$((20000 + RANDOM % 20000))
PGPORT=$((BASE + 9))
NODE1="127.0.0.1:$BASE"; NODE2="127.0.0.1:$((BASE + 1))"; LB="127.0.0.1:$((BASE + 2))"
METRICS1="127.0.0.1:$((BASE + 3))"; METRICS2="127.0.0.1:$((BASE + 4))"
DB="postgres://postgres@127.0.0.1:$PGPORT/postgres"
pids=()

pg() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/pg" "$@"; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${HAPROXY_PID:-}" ] && kill "$HAPROXY_PID" 2>/dev/null || true
  pg stop -m immediate >/dev/null 2>&1 || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

echo "== PostgreSQL (private cluster on port $PGPORT)"
mkdir -p "$WORK/pg" "$WORK/run" && chown postgres "$WORK/pg" "$WORK/run"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres >/dev/null
PGOPTS="-p $PGPORT -k $WORK/run -c listen_addresses=127.0.0.1"
pg -o "$PGOPTS" -l "$WORK/run/pg.log" -w start >/dev/null

export CHUISHAO_CONFIG="$ROOT/deploy/cluster-node.toml"
export CHUISHAO_DATABASE_URL="$DB"
export CHUISHAO_PHOTO_DIR="$WORK/photos"
"$BIN" demo | tail -n1
export DRILL_INTEGRATOR_TOKEN="$("$BIN" users create-token integrator | tail -n1)"
export DRILL_DISPATCHER_TOKEN="$("$BIN" users create-token dispatcher | tail -n1)"

start_node() { # index listen metrics
  CHUISHAO_LISTEN="$2" CHUISHAO_METRICS_LISTEN="$3" "$BIN" serve >"$WORK/node$1.log" 2>&1 &
  pids[$1]=$!
}
wait_ready() { # url
  for _ in $(seq 1 100); do curl -fsS "$1/readyz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$1 did not become ready" >&2; return 1
}
start_node 1 "$NODE1" "$METRICS1"
start_node 2 "$NODE2" "$METRICS2"
wait_ready "http://$NODE1"; wait_ready "http://$NODE2"

echo "== HAProxy on $LB"
CHUISHAO_LB_LISTEN="$LB" CHUISHAO_LB_SOURCE=127.0.0.2 CHUISHAO_NODE_1="$NODE1" CHUISHAO_NODE_2="$NODE2" \
  haproxy -db -f "$ROOT/deploy/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
HAPROXY_PID=$!
wait_ready "http://$LB"

nodes=(--node "http://$NODE1" --node "http://$NODE2")
echo "== checks"
"$BIN" drill check --lb "http://$LB" "${nodes[@]}" --database-url "$DB"

duplicates() {
  psql "$DB" -Atc "select count(*) from (select stream_id, kind, payload from events
    where kind in ('deadline_warning', 'deadline_overdue', 'whistle_check_in_overdue')
    group by 1, 2, 3 having count(*) > 1) d"
}
fired() { psql "$DB" -Atc "select count(*) from events where kind in ('deadline_warning', 'deadline_overdue')"; }

# Both nodes' timer workers ran against the same clocks (the demo's overdue cases, the drill's
# one-minute acceptance clocks): each fired once.
sleep 2
[ "$(duplicates)" = 0 ] || { echo "a timer fired twice" >&2; exit 1; }
echo "  ok  $(fired) timer events, none fired twice (both nodes' workers running)"
for m in "$METRICS1" "$METRICS2"; do
  curl -fsS "http://$m/metrics" >"$WORK/metrics.txt"
  grep -q '^chuishao_http_request_duration_seconds_bucket{method="POST",route="/api/v1/cases/{id}/transitions"' "$WORK/metrics.txt" ||
    { echo "no request histogram on $m" >&2; exit 1; }
done
echo "  ok  Prometheus text on each node's metrics listener"

if [ "$MODE" = drill ]; then
  echo "== drill 1: kill -9 node 1 under load"
  "$BIN" drill load --lb "http://$LB" "${nodes[@]}" --database-url "$DB" --name "kill -9 one node" \
    --seconds "${DRILL_SECONDS:-30}" --fault-at 10 --fault "kill -9 ${pids[1]}"
  start_node 1 "$NODE1" "$METRICS1"; wait_ready "http://$NODE1"; sleep 1.5
  echo "== drill 2: restart PostgreSQL under load (down for 3 s)"
  "$BIN" drill load --lb "http://$LB" "${nodes[@]}" --database-url "$DB" --name "restart PostgreSQL" \
    --seconds "${DRILL_SECONDS:-30}" --fault-at 10 \
    --fault "runuser -u postgres -- $PGBIN/pg_ctl -D $WORK/pg -m fast -w stop && sleep 3 &&
             runuser -u postgres -- $PGBIN/pg_ctl -D $WORK/pg -w start -o '$PGOPTS' -l $WORK/run/pg.log"
  sleep 2
  [ "$(duplicates)" = 0 ] || { echo "a timer fired twice" >&2; exit 1; }
  echo "  timer events after the drills: $(fired), none fired twice"
fi
if [ "$MODE" = intake ]; then
  for n in 2 1; do
    if [ "$n" = 1 ]; then kill "${pids[2]}"; wait "${pids[2]}" 2>/dev/null || true; sleep 2; fi
    "$BIN" drill load --lb "http://$LB" "${nodes[@]}" --database-url "$DB" --name "intake, $n node(s)" \
      --seconds "${SECONDS_EACH:-20}" --writers "${WRITERS:-16}" --followers 1
  done
fi
echo "cluster: all checks passed"
