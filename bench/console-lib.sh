# Sourced by the console page benchmarks after e2e/serve-demo.sh (which sets `addr` and `work`).
# sign_in USER: signs in with the demo password, keeping the session in "$jar".
# time_pages PATH...: one Markdown row per page, its status and the best of five curl timings.
jar="$work/jar"
sign_in() {
  curl -fsS -c "$jar" -b "$jar" "http://$addr/login" -o /dev/null
  local csrf
  csrf="$(awk '$6 == "csrf" {print $7}' "$jar")"
  curl -sS -c "$jar" -b "$jar" -o /dev/null --data "csrf=$csrf&username=$1&password=chuishao-demo" "http://$addr/login"
}
time_pages() {
  local p best
  for p in "$@"; do
    best="$(for _ in 1 2 3 4 5; do curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' "http://$addr$p"; done | sort -k2 -n | head -n1)"
    printf '| %s | %s | %.1f ms |\n' "$p" "${best% *}" "$(echo "${best#* } * 1000" | bc -l)"
  done
}
