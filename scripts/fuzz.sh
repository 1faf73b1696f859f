#!/usr/bin/env bash
# Fuzzes gradlab's readers of untrusted input (tests/fuzz/targets.h) with libFuzzer under
# ASan + UBSan, for a fixed budget each, two at a time (one per core). Not part of the test suite:
# the unit tests replay the seed and regression corpora instead (tests/fuzz/README.md).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 600 s; all seven targets)
#
# Writes build-fuzz/report.md (executions, coverage, findings per target). A finding (crash,
# sanitizer report, undocumented exception, timeout, out-of-memory) is copied into
# tests/fuzz/regressions/<target>/ to be fixed and committed; the script then exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(idx config checkpoint image table image_cache run_folder)

scripts/install-deps.sh clang libclang-rt-14-dev  # libFuzzer ships with clang's runtime
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DGRADLAB_FUZZ=ON -DGRADLAB_SANITIZE=ON \
  -DGRADLAB_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

export OMP_NUM_THREADS=1
# A huge allocation comes back as std::bad_alloc (as without the sanitizer) so the readers' own
# handling of it is what gets tested; libFuzzer's -malloc_limit_mb still reports any single
# allocation over 2 GiB as a finding.
export ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_target() {
  local target=$1 work=build-fuzz/runs/$1
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/findings"
  # The checkpoint seeds are tens of kilobytes; the other inputs are small.
  local max_len=4096
  [[ $target == checkpoint ]] && max_len=65536
  [[ $target == image_cache ]] && max_len=8192
  [[ $target == run_folder ]] && max_len=32768  # a finished run's files are ~27 kB
  # New inputs go to the first folder; the seeds and earlier findings are read as starting points.
  local inputs=("$work/corpus" "tests/fuzz/seeds/$target")
  [[ -d tests/fuzz/regressions/$target ]] && inputs+=("tests/fuzz/regressions/$target")
  "build-fuzz/tests/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$work/findings/" "${inputs[@]}" \
    >"$work/log.txt" 2>&1 || true
}

# Two at a time: one per core.
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run_target "${targets[i]}" &
  ((i + 1 < ${#targets[@]})) && run_target "${targets[i + 1]}" &
  wait
done

report=build-fuzz/report.md
found=0
{
  echo "# Fuzzing report: $(date -u '+%Y-%m-%d %H:%M UTC'), ${seconds} s per target"
  echo
  echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); clang $(clang --version | head -1 | grep -o '[0-9][0-9.]*' | head -1); ASan + UBSan"
  echo
  echo "| target | executions | exec/s | coverage (edges) | features | corpus | findings |"
  echo "|---|---|---|---|---|---|---|"
  for target in "${targets[@]}"; do
    work=build-fuzz/runs/$target
    log=$work/log.txt
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)
    coverage=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
    features=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
    corpus=$(find "$work/corpus" -type f | wc -l)
    findings=$(find "$work/findings" -type f | wc -l)
    echo "| $target | $executions | $rate | $coverage | $features | $corpus | $findings |"
    if ((findings > 0)); then
      found=1
      mkdir -p "tests/fuzz/regressions/$target"
      cp "$work/findings/"* "tests/fuzz/regressions/$target/"
    fi
  done
} >"$report"
cat "$report"
if ((found)); then
  echo "fuzz: findings copied into tests/fuzz/regressions/; see build-fuzz/runs/<target>/log.txt" >&2
  exit 1
fi
