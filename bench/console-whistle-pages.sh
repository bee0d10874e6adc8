#!/usr/bin/env bash
# The console's whistle pages on the demo district: starts `BIN serve --demo` on a fresh SQLite
# file, signs in as USER (default the district dispatcher) and times each page (best of 5 with
# curl). Usage: bench/console-whistle-pages.sh BIN [USER]
set -euo pipefail
bin="$1"
user="${2:-dispatcher}"
# shellcheck source=../e2e/serve-demo.sh
. "$(cd "$(dirname "$0")" && pwd)/../e2e/serve-demo.sh"
# shellcheck source=console-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/console-lib.sh"
sign_in "$user"
month="$(date -u +%Y-%m)"
echo "| page ($user) | status | best of 5 |"
echo "|---|---:|---:|"
time_pages /console/whistles "/console/whistles?subdistrict=110199002" "/console/whistles?fragment=1" \
  /console/whistles/1 /console/whistles/9 /console/whistles/17 "/console/scorecards?month=$month" \
  /console/map "/console/map?org=110199001&metric=open_cases"
