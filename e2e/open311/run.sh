#!/usr/bin/env bash
# Runs the Open311 client test: a venv with `georeport` and `three` from PyPI, a fresh demo
# server on SQLite, an integrator token, then clients.py. Usage: e2e/open311/run.sh BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
venv="${OPEN311_VENV:-$HOME/.cache/chuishao-open311-venv}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check georeport==0.3.1 three==0.8.0
# shellcheck source=../serve-demo.sh
. "$here/../serve-demo.sh"
key="$("$bin" --database-url "$db" users create-token integrator 2>/dev/null | tail -n1)"
"$venv/bin/python" "$here/clients.py" "http://$addr/open311/v2" "$key"
