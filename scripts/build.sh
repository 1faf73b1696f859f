#!/usr/bin/env bash
# Configures and builds gradlab. Usage: scripts/build.sh [--sanitize] [TARGET...]
#   default:     build/       Release, -Wall -Wextra -Werror
#   --sanitize:  build-asan/  ASan + UBSan, -O1 with line tables
#   TARGET...:   only these targets (and what they need), e.g. `gradlab`, the CLI; default all
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
options=(-DCMAKE_BUILD_TYPE=Release -DGRADLAB_WERROR=ON)
if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  build_dir=build-asan
  # -g1: line tables are all the sanitizers' stack traces need, and much cheaper to compile than -g.
  options=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1"
           -DGRADLAB_WERROR=ON -DGRADLAB_SANITIZE=ON -DGRADLAB_BUILD_BENCH=OFF)  # CI time: benchmarks need no sanitizer
fi
targets=()
for target in "$@"; do targets+=(--target "$target"); done

cmake -S . -B "$build_dir" "${options[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
