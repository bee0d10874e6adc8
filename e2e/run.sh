#!/usr/bin/env bash
# Browser end-to-end: installs playwright-core (as a test tool), starts a fresh demo server,
# runs residents.test.mjs against it. Usage: e2e/run.sh BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
(cd "$here" && npm install --no-audit --no-fund --silent)
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/e2e.db"
"$bin" --database-url "$db" serve --demo --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 120); do
  addr="$(grep -o 'listening on http://[0-9.:]*' "$work/serve.log" | head -n1 | sed 's#listening on http://##' || true)"
  [ -n "$addr" ] && break
  sleep 0.5
done
[ -n "$addr" ] || { cat "$work/serve.log"; echo "server did not start" >&2; exit 1; }
token="$("$bin" --database-url "$db" users create-token dispatcher 2>/dev/null | tail -n1)"
(cd "$here" && node residents.test.mjs "http://$addr" "$token")
