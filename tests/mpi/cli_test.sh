#!/usr/bin/env bash
# `mpirun -np 2 gradlab train` end to end on synthetic data (tests/mpi/run.sh starts the ranks):
# the run folder and metrics of a 2-rank run, its learning against one process, resume, and
# faults — a rank with a bad data folder, a diverging run, a rank killed mid-run — each stopping
# the whole job within seconds with a message naming the cause, the last checkpoint loadable.
# Usage: cli_test.sh GRADLAB MAKE_SYNTHETIC_IDX SOURCE_DIR
set -u
gradlab=$1 make_data=$2 source=$3
mpi="$source/tests/mpi/run.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$source/tests/expect.sh"
EXPECT_TIMEOUT=120  # a hung rank must not hang CI

"$make_data" "$work/data" 600 100
config="$source/tests/cli/tiny.json"
data=(--set "data.folder=\"$work/data\"")
ema=(--set ema.decay=0.9)  # a weight average: every rank keeps rank 0's

# A run on two ranks: rank 0 alone writes the folder and the log; the test metrics cover the
# whole test split (100 images), not one rank's half.
expect 0 "data-parallel: 2 processes, batch 32 split 16-16" -- \
  "$mpi" "$gradlab" train "$config" "${data[@]}" "${ema[@]}" --set "output=\"$work/two\""
expect 0 '"processes": 2' -- cat "$work/two/final_metrics.json"
expect 0 "^100$" -- python3 -c "import json, sys; m = json.load(open(sys.argv[1]));
print(sum(map(sum, m['test']['confusion'])))" "$work/two/final_metrics.json"
expect 0 "^2$" -- bash -c "wc -l <'$work/two/metrics.jsonl'"

# An image folder on two ranks: both find (or build) the cache at once, each trains on its slice;
# the test metrics cover all 100 test images.
"$gradlab" data write-folder "$work/folder" --dataset idx --data "$work/data" >/dev/null
export GRADLAB_CACHE_DIR="$work/cache"
expect 0 "data-parallel: 2 processes.*test \(100 images" -- bash -c "'$mpi' '$gradlab' train '$config' \
  --set data.dataset=image_folder --set 'data.folder=\"$work/folder\"' --set 'output=\"$work/folder_two\"' | tr '\n' ' '"
expect 0 "^2$" -- bash -c "ls '$work/cache' | wc -l"  # one cache each for train/ and test/, no leftovers

# The same recipe on one process learns the same: the global batch is the config's, so the two
# runs take the same steps on the same batches (float32 sums in another order apart).
expect 0 "test \(100 images" -- "$gradlab" train "$config" "${data[@]}" "${ema[@]}" --set "output=\"$work/one\""
same_losses() {
  python3 - "$work/one/metrics.jsonl" "$work/two/metrics.jsonl" <<'PY'
import json, sys
one, two = ([json.loads(line) for line in open(path)] for path in sys.argv[1:3])
for a, b in zip(one, two):
    for key in ("train_loss", "val_loss", "ema_val_loss"):
        if abs(a[key] - b[key]) > 1e-3 * max(1.0, abs(a[key])):
            sys.exit(f"epoch {a['epoch']} {key}: one process {a[key]}, two {b[key]}")
PY
}
check "one process and two ranks learn alike" -- same_losses

# Resume a run started under MPI, under MPI; then with one process (the global batch and the
# epoch's order do not depend on the number of ranks).
expect 0 "resuming .* after epoch 2" -- "$mpi" "$gradlab" train --resume "$work/two" --set epochs=3
expect 0 "^3$" -- bash -c "wc -l <'$work/two/metrics.jsonl'"
expect 0 "resuming .* after epoch 3" -- "$gradlab" train --resume "$work/two" --set epochs=4
expect 0 "^4$" -- bash -c "wc -l <'$work/two/metrics.jsonl'"

# A rank whose data folder does not exist (a host without the data): the job stops at once,
# naming the rank and the folder.
expect 1 "error on rank 1 of 2 on .*: .*$work/missing" -- \
  "$mpi" -np 1 "$gradlab" train "$config" "${data[@]}" --set "output=\"$work/bad\"" : \
  -np 1 "$gradlab" train "$config" --set "data.folder=\"$work/missing\"" --set "output=\"$work/bad\""

# Ranks given different models (each host reads its own copy of the config): every rank stops
# before the first step, naming the first parameter that differs and the two ranks.
expect 1 "rank 0 has parameter 0.weight \\[4, 1, 3, 3\\], rank 1 has parameter 0.weight \\[8, 1, 3, 3\\]" -- \
  "$mpi" -np 1 "$gradlab" train "$config" "${data[@]}" --set "output=\"$work/differ\"" : \
  -np 1 "$gradlab" train "$config" "${data[@]}" --set "model.layers[0].out_channels=8" --set "output=\"$work/differ\""

# A diverging run: every rank sees the same combined loss, all stop, rank 0 says why.
expect 3 "training diverged at step [0-9]+ \(epoch 1\)" -- \
  "$mpi" "$gradlab" train "$config" "${data[@]}" --set "output=\"$work/diverge\"" \
  --set 'optimizer={"type": "sgd", "lr": 1e30}'

# Rank 1 killed (kill -9) after the first checkpoint: mpirun ends the job within seconds, and
# the last checkpoint evaluates.
"$mpi" "$gradlab" train "$config" "${data[@]}" --set "output=\"$work/killed\"" --set epochs=100000 \
  >"$work/killed.log" 2>&1 &
job=$!
for _ in $(seq 600); do
  [[ -f "$work/killed/checkpoints/last.safetensors" ]] && break
  sleep 0.1
done
victim=""
for pid in $(pgrep -f "output=\"$work/killed\""); do
  if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then
    victim=$pid
  fi
done
killed_at=$(date +%s)
if [[ -n "$victim" ]]; then kill -9 "$victim"; fi
for _ in $(seq 300); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$job" 2>/dev/null; then
  failed=$((failed + 1)); echo "FAILED: the job still runs 30 s after rank 1 was killed"
  kill -9 "$job"
else
  wait "$job"; status=$?
  seconds=$(($(date +%s) - killed_at))
  if [[ -n "$victim" && $status -ne 0 && $seconds -le 10 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: killing rank 1 (pid '${victim}'): job exit $status after ${seconds} s"
    tail -5 "$work/killed.log" | sed 's/^/    /'
  fi
fi
expect 0 "\(100 images\) loss" -- bash -c "'$gradlab' eval '$work/killed/checkpoints/last.safetensors' | tr '\n' ' '"

finish "mpi cli"
