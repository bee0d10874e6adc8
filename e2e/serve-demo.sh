# Sourced by the e2e scripts: starts `$bin serve --demo` on a fresh SQLite file in a temporary
# directory and sets `addr` (host:port), `db` (its URL), `work` and `pid`; stops it on exit.
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/demo.db"
CHUISHAO_PHOTO_DIR="$work/photos" "$bin" --database-url "$db" serve --demo --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 120); do
  addr="$(grep -o 'listening on http://[0-9.:]*' "$work/serve.log" | head -n1 | sed 's#listening on http://##' || true)"
  [ -n "$addr" ] && break
  sleep 0.5
done
[ -n "$addr" ] || { cat "$work/serve.log"; echo "server did not start" >&2; exit 1; }
