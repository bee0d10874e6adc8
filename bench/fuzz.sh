#!/usr/bin/env bash
# Fuzzing on stable Rust: runs each property-based fuzz harness (proptest, modules named
# `fuzz`) again and again with fresh random inputs for MINUTES each (default 10), failing on
# the first panic, failed property or hang (one round longer than ROUND_LIMIT seconds, default
# 300). CI runs the same harnesses as normal tests with a short pass.
#
#   bench/fuzz.sh [MINUTES] [ONLY]   every harness (ONLY: those whose "crate filter" contains it)
#   bench/fuzz.sh 2 geo              only the GeoJSON harness
#   PARALLEL=1 bench/fuzz.sh 10      every harness at once, one process each (at nice 19)
#
# The test binaries are built once and then run directly (no cargo lock between rounds, so
# harnesses can run side by side). Each round runs every property the filter matches with
# CHUISHAO_FUZZ_CASES (default 2000) cases each; the summary line counts the cases executed
# (properties passed × cases × rounds). Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-10}"
only="${2:-}"
round_limit="${ROUND_LIMIT:-300}"
export CHUISHAO_FUZZ_CASES="${CHUISHAO_FUZZ_CASES:-2000}"

# crate, test name filter
harnesses=(
  "chuishao-geo fuzz::"
  "chuishao-calendar fuzz::"
  "chuishao-http open311::fuzz::"
  "chuishao-app residents::fuzz::"
  "chuishao-app vault::tests::any_text"
)

# The library test binary of a crate.
binary() {
  cargo test -q -p "$1" --lib --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n1
}

if [ "${PARALLEL:-0}" = 1 ]; then
  pids=()
  for h in "${harnesses[@]}"; do
    if [ -n "$only" ] && [[ "$h" != *"$only"* ]]; then continue; fi
    read -r crate filter <<<"$h"
    binary "$crate" >/dev/null
    PARALLEL=0 nice -n 19 "$0" "$minutes" "$h" &
    pids+=("$!")
  done
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  exit "$rc"
fi

for h in "${harnesses[@]}"; do
  if [ -n "$only" ] && [[ "$h" != *"$only"* ]]; then continue; fi
  read -r crate filter <<<"$h"
  bin="$(binary "$crate")"
  [ -x "$bin" ] || { echo "no test binary for $crate" >&2; exit 1; }
  log="/tmp/fuzz-$crate-${filter//[^a-z]/_}.log"
  start=$(date +%s)
  end=$(( start + minutes * 60 ))
  rounds=0
  cases=0
  while [ "$(date +%s)" -lt "$end" ]; do
    rounds=$((rounds + 1))
    set +e
    timeout "$round_limit" "$bin" -q "$filter" >"$log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 124 ]; then
      echo "HANG: $crate $filter: round $rounds took over ${round_limit}s" >&2
      exit 1
    elif [ "$rc" -ne 0 ]; then
      cat "$log" >&2
      echo "FAIL: $crate $filter in round $rounds (the minimal input is printed above)" >&2
      exit 1
    fi
    passed="$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | head -n1)"
    if [ -z "$passed" ] || [ "$passed" -eq 0 ]; then
      echo "no property matched $crate $filter" >&2
      exit 1
    fi
    cases=$((cases + passed * CHUISHAO_FUZZ_CASES))
  done
  secs=$(( $(date +%s) - start ))
  echo "$crate $filter: $cases cases ($passed properties × $CHUISHAO_FUZZ_CASES cases × $rounds rounds) in ${secs} s, no panic, no hang"
done
