#!/usr/bin/env bash
# `chuishao bench` (intake) and `chuishao bench-residents` (tracking) for several binaries,
# interleaved (every binary once per repetition, in turn), so that a machine whose load drifts
# moves all of them alike (issue 11's "not slower", docs/benchmarks.md). One line per run on
# stdout; the full tables go to DIR/LABEL.REP.{bench,residents}.md.
#
# Usage: bash bench/records-wall.sh REPS DIR LABEL=PATH [LABEL=PATH ...]
# Environment: BENCH_ARGS (default: the defaults of `chuishao bench`), RESIDENTS_ARGS
# (default `--subscribers 2000`).
set -euo pipefail
reps=${1:?repetitions}; dir=${2:?output directory}; shift 2
mkdir -p "$dir"
read -r -a bench_args <<<"${BENCH_ARGS:-}"
read -r -a residents_args <<<"${RESIDENTS_ARGS:---subscribers 2000}"
# `| phase | n | errors | rate | p50 | p99 | max |`: the rate and the p99 of the row matching $2.
row() { grep -F "$2" "$1" | head -1 | awk -F'|' '{ gsub(/ /, "", $5); gsub(/ /, "", $7); printf "%s/s p99=%s", $5, $7 }'; }
for rep in $(seq 1 "$reps"); do
  for spec in "$@"; do
    label=${spec%%=*}; path=${spec#*=}
    b="$dir/$label.$rep.bench.md"; r="$dir/$label.$rep.residents.md"
    "$path" bench "${bench_args[@]}" >"$b" 2>/dev/null
    "$path" bench-residents "${residents_args[@]}" >"$r" 2>/dev/null
    bare=$(grep -F 'one transaction per case' "$b" | awk -F'|' '{ gsub(/ /, "", $5); print $5 }')
    echo "$label $rep intake_flat $(row "$b" 'flat out') intake_fixed $(row "$b" 'fixed rate') bare=$bare/s" \
      "page $(row "$r" '/t/{code}') json $(row "$r" 'public/cases') sse_last=$(tail -1 "$r" | awk -F'|' '{ gsub(/ /, "", $7); print $7 }')"
  done
done
