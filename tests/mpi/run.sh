#!/usr/bin/env bash
# Runs a command under Open MPI's mpirun for the tests: N ranks (default 2) on this machine,
# oversubscribed (CI machines have 2 cores), as root where CI runs as root, one OpenMP thread per
# rank, and over TCP on the loopback interface instead of shared memory when TRANSPORT=tcp.
# Usage: tests/mpi/run.sh [-np N] COMMAND...
set -euo pipefail
ranks=2
if [[ "${1:-}" == "-np" ]]; then ranks=$2; shift 2; fi
options=(--oversubscribe -np "$ranks" -x OMP_NUM_THREADS=1)
[[ $(id -u) -eq 0 ]] && options+=(--allow-run-as-root)
if [[ "${TRANSPORT:-}" == "tcp" ]]; then
  options+=(--mca btl tcp,self --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
fi
# Under the sanitizer build, Open MPI's own allocations kept past MPI_Finalize are not ours:
# suppressed by library (lsan.supp), which needs whole stacks (fast unwinding stops at frames
# without frame pointers, inside Open MPI's components, and leaves "<unknown module>").
if [[ -n "${ASAN_OPTIONS:-}" ]]; then
  export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
  export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp:print_suppressions=0"
  options+=(-x ASAN_OPTIONS -x LSAN_OPTIONS -x UBSAN_OPTIONS)
fi
exec mpirun "${options[@]}" "$@"
