#!/usr/bin/env bash
# The console's whistle pages on the demo district: starts `BIN serve --demo` on a fresh SQLite
# file, signs in as USER (default the district dispatcher) and times each page (best of 5 with
# curl). Usage: bench/console-whistle-pages.sh BIN [USER]
set -euo pipefail
bin="$1"
user="${2:-dispatcher}"
# shellcheck source=../e2e/serve-demo.sh
. "$(cd "$(dirname "$0")" && pwd)/../e2e/serve-demo.sh"
jar="$work/jar"
curl -fsS -c "$jar" -b "$jar" "http://$addr/login" -o /dev/null
csrf="$(awk '$6 == "csrf" {print $7}' "$jar")"
curl -sS -c "$jar" -b "$jar" -o /dev/null --data "csrf=$csrf&username=$user&password=chuishao-demo" "http://$addr/login"
month="$(date -u +%Y-%m)"
echo "| page ($user) | status | best of 5 |"
echo "|---|---:|---:|"
for p in /console/whistles "/console/whistles?subdistrict=110199002" "/console/whistles?fragment=1" \
  /console/whistles/1 /console/whistles/9 /console/whistles/17 "/console/scorecards?month=$month" \
  /console/map "/console/map?org=110199001&metric=open_cases"; do
  best="$(for _ in 1 2 3 4 5; do curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' "http://$addr$p"; done | sort -k2 -n | head -n1)"
  printf '| %s | %s | %.1f ms |\n' "$p" "${best% *}" "$(echo "${best#* } * 1000" | bc -l)"
done
