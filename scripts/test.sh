#!/usr/bin/env bash
# The README's second command: install what is missing, check the formatting, build, run every
# test.
# Usage: scripts/test.sh [--sanitize]   (--sanitize: the same tests under ASan + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh chromium   # chromium: the report's browser test (tests/report/)
scripts/check-format.sh
scripts/build.sh "$@"
build_dir=build
[[ "${1:-}" == "--sanitize" ]] && build_dir=build-asan
# One OpenMP thread and one test at a time: two oneDNN processes with two threads each on two
# cores can run 300x slower (docs/decisions.md).
export OMP_NUM_THREADS=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build_dir" --output-on-failure -j1
