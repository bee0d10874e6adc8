#!/usr/bin/env bash
# Server cost per request of intake and tracking, measured so that a loaded machine does not
# move it (issue 11's "not slower", docs/benchmarks.md): the server runs as its own process and
# a separate client process sends a fixed number of requests; the figure is the server's CPU
# time (utime + stime from /proc/PID/stat) per request, or, with `callgrind`, the instructions
# it executed per request (valgrind counts instructions, which waiting for a core does not
# change). Wall-clock throughput is not reported here: `chuishao bench` and
# `chuishao bench-residents` measure that.
#
# Usage: bash bench/records-cpu.sh cpu|callgrind REPS BINARY_LABEL=PATH [BINARY_LABEL=PATH ...]
#   e.g. bash bench/records-cpu.sh cpu 5 before=/tmp/chuishao-c6d772b after=target/release/chuishao
# Binaries are run in turn within each repetition (interleaved), each on a fresh SQLite copy
# of a database seeded once per binary (`migrate`, `demo`, two API tokens). One line per run
# on stdout: mode label rep phase requests value_per_request (µs of CPU, or instructions).
# Environment: N_INTAKE, N_PAGE, N_JSON (requests per phase; defaults 2000, 5000, 5000, or
# 300 each under callgrind), CONCURRENCY (client connections, default 8), WARMUP (default 200, 30 under callgrind).
set -euo pipefail
mode=${1:?cpu or callgrind}; reps=${2:?repetitions}; shift 2
if [ "$mode" = callgrind ]; then def=300; many=300; warm=30; else def=2000; many=5000; warm=200; fi
N_INTAKE=${N_INTAKE:-$def}; N_PAGE=${N_PAGE:-$many}; N_JSON=${N_JSON:-$many}
CONCURRENCY=${CONCURRENCY:-8}; WARMUP=${WARMUP:-$warm}
work=$(mktemp -d /tmp/records-cpu.XXXXXX)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
tck=$(getconf CLK_TCK)

# The load client: PHASE URL-or-"intake" N TOKEN; sends N requests over CONCURRENCY
# keep-alive connections; fails on any unexpected status.
cat > "$work/client.py" <<'EOF'
import http.client, json, sys, threading
host, port, what, n, token, conc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
body = lambda i: json.dumps({"description": f"基准测试第{i}号诉求：小区东门暴露垃圾，请尽快清运", "category_code": "E0101",
    "grid_code": "110199001001001", "lat": 39.9745, "lon": 116.3961, "address": "樱花园社区小区东门",
    "reporter": {"name": "张先生", "phone": "13812341234"}}).encode()
lock, nxt, bad = threading.Lock(), [0], []
def worker():
    c = http.client.HTTPConnection(host, port, timeout=600)
    while True:
        with lock:
            i = nxt[0]; nxt[0] += 1
        if i >= n: return
        if what == "intake":
            c.request("POST", "/api/v1/cases", body(i), {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            want = 201
        else:
            c.request("GET", what)
            want = 200
        r = c.getresponse(); r.read()
        if r.status != want: bad.append(r.status)
ts = [threading.Thread(target=worker) for _ in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
if bad: sys.exit(f"{len(bad)} unexpected statuses, e.g. {bad[:5]}")
EOF

api() { # METHOD PATH TOKEN [BODY]
  curl -sS --fail-with-body -X "$1" "http://127.0.0.1:$port$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}
}

# Seed one database per binary.
declare -A bin
labels=()
for spec in "$@"; do
  label=${spec%%=*}; path=${spec#*=}; bin[$label]=$path; labels+=("$label")
  db="$work/$label.db"
  "$path" --database-url "sqlite://$db" migrate >/dev/null 2>&1
  "$path" --database-url "sqlite://$db" demo >/dev/null 2>&1
  "$path" --database-url "sqlite://$db" users create-token integrator --label bench | tail -1 > "$work/$label.integrator"
  "$path" --database-url "sqlite://$db" users create-token dispatcher --label bench | tail -1 > "$work/$label.dispatcher"
done

# On-CPU nanoseconds of every thread of the server (the first field of each thread's
# schedstat), and the process's utime + stime in clock ticks (coarse, but it also counts
# threads that have exited) as a cross-check.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Waits until the server is idle (under 10 ms of CPU in a second): its start-up work, such as
# the timer worker firing the demo's overdue clocks, must not land in a measured window.
settle() {
  for _ in $(seq 1 600); do
    local a b; a=$(cpu_ns "$1"); sleep 1; b=$(cpu_ns "$1")
    [ $((b - a)) -lt 10000000 ] && return 0
  done
  echo "server $1 never settled" >&2; return 1
}

for rep in $(seq 1 "$reps"); do
  for label in "${labels[@]}"; do
    path=${bin[$label]}; db="$work/run.db"; rm -f "$db"*
    # The seeded database with its write-ahead log (the last writes may be only there).
    for f in "$work/$label.db"*; do cp "$f" "$db${f#"$work/$label.db"}"; done
    port=$((20000 + RANDOM % 20000))
    out="$work/cg.$label.$rep"
    if [ "$mode" = callgrind ]; then
      valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out.%p" \
        "$path" --database-url "sqlite://$db" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
    else
      "$path" --database-url "sqlite://$db" serve --listen "127.0.0.1:$port" >"$work/server.log" 2>&1 &
    fi
    pid=$!; echo $pid > "$work/server.pid"
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
    ti=$(cat "$work/$label.integrator"); td=$(cat "$work/$label.dispatcher")
    # The tracked case: submitted and registered, as `bench-residents` does.
    case=$(api POST /api/v1/cases "$ti" '{"description":"基准测试：小区东门暴露垃圾","category_code":"E0101","grid_code":"110199001001001","reporter":{"name":"张先生","phone":"13812341234"}}')
    id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$case")
    ver=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' <<<"$case")
    reg=$(api POST "/api/v1/cases/$id/transitions" "$td" "{\"action\":\"register\",\"version\":$ver}")
    code=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["tracking_code"])' <<<"$reg")
    run_phase() { # PHASE WHAT N
      python3 "$work/client.py" 127.0.0.1 "$port" "$2" "$WARMUP" "$ti" "$CONCURRENCY"
      settle "$pid"
      if [ "$mode" = callgrind ]; then
        callgrind_control -z "$pid" >/dev/null; callgrind_control -i on "$pid" >/dev/null
        python3 "$work/client.py" 127.0.0.1 "$port" "$2" "$3" "$ti" "$CONCURRENCY"
        callgrind_control -d "$1" "$pid" >/dev/null
        sleep 1
        f=$(ls -t "$out.$pid"* | grep -v "\.$pid$" | head -1)
        ir=$(awk '/^summary:/ {print $2} /^totals:/ {print $2}' "$f" | head -1)
        echo "$mode $label $rep $1 $3 $((ir / $3))"
      else
        a=$(cpu_ns "$pid"); at=$(cpu_ticks "$pid"); s=$(date +%s.%N)
        python3 "$work/client.py" 127.0.0.1 "$port" "$2" "$3" "$ti" "$CONCURRENCY"
        b=$(cpu_ns "$pid"); bt=$(cpu_ticks "$pid"); e=$(date +%s.%N)
        awk -v m="$mode" -v l="$label" -v r="$rep" -v p="$1" -v n="$3" -v d="$((b - a))" -v dt="$((bt - at))" -v t="$tck" \
          -v w="$(echo "$e - $s" | bc)" 'BEGIN { printf "%s %s %s %s %d %.1f ticks_us=%.0f wall_s=%.2f\n",
            m, l, r, p, n, d / 1000 / n, dt * 1e6 / t / n, w }'
      fi
    }
    run_phase intake intake "$N_INTAKE"
    run_phase page "/t/$code" "$N_PAGE"
    run_phase json "/api/v1/public/cases/$code" "$N_JSON"
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
