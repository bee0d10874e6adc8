#!/usr/bin/env bash
# Deadline arithmetic throughput on one core (issue 3: at least 1,000,000 per second).
# Usage: bash bench/calendar.sh [N]   — results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/chuishao-target}"
cargo run -q --release -p chuishao-calendar --example bench_calendar -- "${1:-10000000}"
