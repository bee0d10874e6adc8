#!/usr/bin/env bash
# Staff console page times on the demo district: starts `BIN serve --demo` on a fresh SQLite
# file, signs in as the dispatcher and times each main page (best of 5 with curl).
# Usage: bench/console-pages.sh BIN
set -euo pipefail
bin="$1"
# shellcheck source=../e2e/serve-demo.sh
. "$(cd "$(dirname "$0")" && pwd)/../e2e/serve-demo.sh"
jar="$work/jar"
curl -fsS -c "$jar" -b "$jar" "http://$addr/login" -o /dev/null
csrf="$(awk '$6 == "csrf" {print $7}' "$jar")"
curl -sS -c "$jar" -b "$jar" -o /dev/null --data "csrf=$csrf&username=dispatcher&password=chuishao-demo" "http://$addr/login"
echo "| page | status | best of 5 |"
echo "|---|---:|---:|"
for p in /login /console/board "/console/board?queue=working" "/console/board?queue=returns" /console/inbox \
  /console/overdue "/console/board?queue=supervised" /console/cases/1 /console/cases/160 /console/cases/320; do
  best="$(for _ in 1 2 3 4 5; do curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' "http://$addr$p"; done | sort -k2 -n | head -n1)"
  printf '| %s | %s | %.1f ms |\n' "$p" "${best% *}" "$(echo "${best#* } * 1000" | bc -l)"
done
