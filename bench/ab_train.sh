#!/usr/bin/env bash
# Two builds of gradlab on the same training, in alternating rounds (A, B, A, B, ...), so that
# a shared machine's drift falls on both alike: the check that a change costs no speed.
# Reports each build's median training images/s (metrics.jsonl, the epoch's own timing) and the
# ratio B / A. Run it alone on the machine.
# Usage: bench/ab_train.sh GRADLAB_A GRADLAB_B CONFIG [ROUNDS] [--set key=value ...]
set -euo pipefail
a=$1 b=$2 config=$3
rounds=${4:-5}
shift $(($# >= 4 ? 4 : 3))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
for ((round = 1; round <= rounds; round++)); do
  for side in a b; do
    binary=$a; [[ $side == b ]] && binary=$b
    "$binary" train "$config" "$@" --set "output=\"$work/$side-$round\"" >"$work/$side-$round.log" 2>&1
    python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["images_per_second"])' \
      "$work/$side-$round/metrics.jsonl" >>"$work/$side.rates"
  done
done
python3 - "$work/a.rates" "$work/b.rates" "$config" "$OMP_NUM_THREADS" <<'PY'
import statistics, sys
a, b = ([float(x) for x in open(path)] for path in sys.argv[1:3])
ma, mb = statistics.median(a), statistics.median(b)
print(f"{sys.argv[3]} ({sys.argv[4]} threads, {len(a)} alternating rounds): "
      f"A {ma:.0f} images/s (range {min(a):.0f}-{max(a):.0f}), "
      f"B {mb:.0f} images/s (range {min(b):.0f}-{max(b):.0f}); B/A = {mb / ma:.3f}")
PY
