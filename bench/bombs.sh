#!/usr/bin/env bash
# Image bombs against a running server (issue 13, bounded media): ROUNDS rounds of 16
# concurrent Open311 posts of a 12000×12000 PNG (~420 KB that decodes to 432 MB), half with a
# valid api_key and half without, and 16 report-form posts of it, while a legitimate report is
# filed after each round. Reports the server's peak RSS (VmHWM from /proc) and its RSS after.
# Usage: bash bench/bombs.sh [ROUNDS]   (PROFILE=debug for a debug build; extra CHUISHAO_*
# variables reach the server, e.g. CHUISHAO_PHOTO_MAX_PIXELS). Figures go to
# docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-5}"
PROFILE="${PROFILE:-release}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chuishao-target}"
if [ "$PROFILE" = release ]; then cargo build -q --release -p chuishao; else cargo build -q -p chuishao; fi
BIN="$CARGO_TARGET_DIR/$PROFILE/chuishao"
WORK="$(mktemp -d)"
PORT="${PORT:-18399}"
export CHUISHAO_DATABASE_URL="sqlite://$WORK/bench.db" CHUISHAO_LISTEN="127.0.0.1:$PORT" \
  CHUISHAO_PHOTO_DIR="$WORK/photos" CHUISHAO_LOG=warn
BASE="http://127.0.0.1:$PORT"

python3 - "$WORK/bomb.png" <<'EOF'
import struct, sys, zlib
w = h = 12000
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
z = zlib.compressobj(9)
row = b"\0" * (1 + 3 * w)
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", idat) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
EOF

"$BIN" migrate >/dev/null
"$BIN" demo >/dev/null
KEY="$("$BIN" users create-token integrator | tail -1 | awk '{print $NF}')"
"$BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PID/status"; }
echo "bomb: $(stat -c %s "$WORK/bomb.png") bytes; server RSS before: $(rss VmRSS) kB"

# The report form's token pair (the cookie passed by hand: it may be marked Secure).
FORM="$(curl -s -D "$WORK/headers" "$BASE/report")"
CSRF="$(printf '%s' "$FORM" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)"
COOKIE="$(sed -n 's/^[Ss]et-[Cc]ookie: \(csrf=[^;]*\).*/\1/p' "$WORK/headers" | head -1)"

codes="$WORK/codes"
: >"$codes"
ok=0
start=$(date +%s.%N)
for round in $(seq "$ROUNDS"); do
  pids=()
  for i in $(seq 8); do
    curl -s -o /dev/null -w '%{http_code}\n' -F "api_key=$KEY" -F service_code=E0101 -F lat=39.974 \
      -F long=116.396 -F description=bomb -F "media=@$WORK/bomb.png;type=image/png" \
      "$BASE/open311/v2/requests.json" >>"$codes" &
    pids+=($!)
    curl -s -o /dev/null -w '%{http_code}\n' -F service_code=E0101 -F lat=39.974 -F long=116.396 \
      -F description=bomb -F "media=@$WORK/bomb.png;type=image/png" \
      "$BASE/open311/v2/requests.json" >>"$codes" &
    pids+=($!)
  done
  for i in $(seq 16); do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Cookie: $COOKIE" -F "csrf=$CSRF" \
      -F "form_token=$(printf '%032x' "$round$i")" -F description=bomb -F address=x \
      -F "photo=@$WORK/bomb.png;type=image/png" "$BASE/report" >>"$codes" &
    pids+=($!)
  done
  # A legitimate report while the bombs are in flight.
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
    --data-urlencode service_code=E0101 --data-urlencode lat=39.974 --data-urlencode long=116.396 \
    --data-urlencode "description=井盖缺失 round $round" "$BASE/open311/v2/requests.json")"
  [ "$code" = 201 ] && ok=$((ok + 1))
  wait "${pids[@]}"
done
end=$(date +%s.%N)
echo "rounds: $ROUNDS × 32 bombs in $(echo "$end - $start" | bc) s; answers: $(sort "$codes" | uniq -c | tr '\n' ' ')"
echo "legitimate reports filed during the flood: $ok of $ROUNDS"
echo "server peak RSS (VmHWM): $(rss VmHWM) kB; RSS after: $(rss VmRSS) kB"
