#!/usr/bin/env bash
# Staff console page times on the demo district: starts `BIN serve --demo` on a fresh SQLite
# file, signs in as the dispatcher and times each main page (best of 5 with curl).
# Usage: bench/console-pages.sh BIN
set -euo pipefail
bin="$1"
# shellcheck source=../e2e/serve-demo.sh
. "$(cd "$(dirname "$0")" && pwd)/../e2e/serve-demo.sh"
# shellcheck source=console-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/console-lib.sh"
sign_in dispatcher
echo "| page | status | best of 5 |"
echo "|---|---:|---:|"
time_pages /login /console/board "/console/board?queue=working" "/console/board?queue=returns" /console/inbox \
  /console/overdue "/console/board?queue=supervised" /console/cases/1 /console/cases/160 /console/cases/320
