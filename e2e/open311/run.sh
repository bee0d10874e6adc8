#!/usr/bin/env bash
# Runs the Open311 client test: a venv with `georeport` and `three` from PyPI, a fresh demo
# server on SQLite, an integrator token, then clients.py. Usage: e2e/open311/run.sh BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
venv="${OPEN311_VENV:-$HOME/.cache/chuishao-open311-venv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check georeport==0.3.1 three==0.8.0
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="sqlite://$work/o311.db"
"$bin" --database-url "$db" serve --demo --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 120); do
  addr="$(grep -o 'listening on http://[0-9.:]*' "$work/serve.log" | head -n1 | sed 's#listening on http://##' || true)"
  [ -n "$addr" ] && break
  sleep 0.5
done
[ -n "$addr" ] || { cat "$work/serve.log"; echo "server did not start" >&2; exit 1; }
key="$("$bin" --database-url "$db" users create-token integrator 2>/dev/null | tail -n1)"
"$venv/bin/python" "$here/clients.py" "http://$addr/open311/v2" "$key"
