#!/usr/bin/env bash
# Fuzzing on stable Rust: runs each property-based fuzz harness (proptest, modules named
# `fuzz`) again and again with fresh random inputs for MINUTES each (default 10), failing on
# the first panic, failed property or hang (one round longer than ROUND_LIMIT seconds, default
# 300). CI runs the same harnesses as normal tests with a short pass.
#
#   bench/fuzz.sh [MINUTES]          every harness
#   bench/fuzz.sh 2 geo              only the harnesses whose crate name contains "geo"
#
# Honours CARGO_TARGET_DIR. CHUISHAO_FUZZ_CASES (default 2000) sets the cases per round.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-10}"
only="${2:-}"
round_limit="${ROUND_LIMIT:-300}"
export CHUISHAO_FUZZ_CASES="${CHUISHAO_FUZZ_CASES:-2000}"

# crate, test target flag, test name filter
harnesses=(
  "chuishao-geo --lib fuzz::"
  "chuishao-calendar --lib fuzz::"
  "chuishao-http --lib open311::fuzz::"
  "chuishao-app --lib residents::fuzz::"
  "chuishao-app --lib vault::tests::any_text"
)

cargo build --tests -p chuishao-geo -p chuishao-calendar -p chuishao-http -p chuishao-app -q

for h in "${harnesses[@]}"; do
  read -r crate target filter <<<"$h"
  if [ -n "$only" ] && [[ "$crate" != *"$only"* ]]; then continue; fi
  end=$(( $(date +%s) + minutes * 60 ))
  rounds=0
  while [ "$(date +%s)" -lt "$end" ]; do
    rounds=$((rounds + 1))
    set +e
    timeout "$round_limit" cargo test -q -p "$crate" "$target" -- "$filter" >"/tmp/fuzz-$crate.log" 2>&1
    rc=$?
    set -e
    if [ "$rc" -eq 124 ]; then
      echo "HANG: $crate $filter: round $rounds took over ${round_limit}s" >&2
      exit 1
    elif [ "$rc" -ne 0 ]; then
      cat "/tmp/fuzz-$crate.log" >&2
      echo "FAIL: $crate $filter in round $rounds (the minimal input is printed above)" >&2
      exit 1
    fi
  done
  echo "$crate $filter: $rounds rounds of $CHUISHAO_FUZZ_CASES cases each, no panic, no hang"
done
