#!/usr/bin/env bash
# Browser end-to-end: installs playwright-core (as a test tool), starts a fresh demo server,
# runs the residents, console and console admin tests against it. Usage: e2e/run.sh BIN
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$1"
(cd "$here" && npm install --no-audit --no-fund --silent)
# shellcheck source=serve-demo.sh
. "$here/serve-demo.sh"
token="$("$bin" --database-url "$db" users create-token dispatcher 2>/dev/null | tail -n1)"
staff="$("$bin" --database-url "$db" users create-token staff_cgw 2>/dev/null | tail -n1)"
(cd "$here" && node residents.test.mjs "http://$addr" "$token" "$staff")
(cd "$here" && node console.test.mjs "http://$addr" "$token" "$here/../target/screenshots")
(cd "$here" && node console_admin.test.mjs "http://$addr" "$here/../target/screenshots")
(cd "$here" && node console_whistles.test.mjs "http://$addr" "$token" "$here/../target/screenshots")
