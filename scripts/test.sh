#!/usr/bin/env bash
# The README's second command: install what is missing, check the formatting, build, run every
# test, then build the Debian package, install it and use it (scripts/test-package.sh).
# Usage: scripts/test.sh [--sanitize]   (--sanitize: the same tests under ASan + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
# chromium: the report's browser test (tests/report/); dpkg-dev, file: cpack's Debian package
scripts/install-deps.sh chromium dpkg-dev file
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
# The Debian package, installed on this machine and used (the release build only).
if [[ "$build_dir" == build ]]; then scripts/test-package.sh; fi
