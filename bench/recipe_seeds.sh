#!/usr/bin/env bash
# Trains one experiment config in gradlab and in PyTorch (bench/pytorch_recipe.py: the same
# recipe) over several seeds, one run after the other, for bench/compare_recipes.py to compare.
# Usage: bench/recipe_seeds.sh CONFIG OUT_DIR SEED... [-- --set KEY=VALUE ...]
#   The --set overrides go to both sides (e.g. a layer's "init"). SIDES="gradlab" or
#   SIDES="pytorch" runs one side only; PyTorch validates on the split of gradlab's run of the
#   same seed when OUT_DIR holds it (run gradlab first). Each run leaves
#   OUT_DIR/<side>-<seed>.jsonl (one line per epoch, then the test accuracy) and its log, and
#   gradlab's runs OUT_DIR/gradlab-<seed>.time (the whole command's wall time and peak memory). Run
#   it alone: each run uses both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if (($# < 3)); then
  echo "usage: bench/recipe_seeds.sh CONFIG OUT_DIR SEED... [-- --set KEY=VALUE ...]" >&2
  exit 2
fi
config=$1 out=$2
shift 2
seeds=()
while (($#)) && [[ "$1" != "--" ]]; do seeds+=("$1"); shift; done
[[ "${1:-}" == "--" ]] && shift
overrides=("$@")
sides=${SIDES:-gradlab pytorch}
mkdir -p "$out"
printf '%s\n' "$config" "${overrides[@]}" >"$out/recipe.txt"
export OMP_NUM_THREADS=2
for seed in "${seeds[@]}"; do
  for side in $sides; do
    echo "recipe_seeds: $side seed $seed $(date -u +%H:%M:%S)"
    if [[ $side == gradlab ]]; then
      run="$out/gradlab-$seed-run"
      rm -rf "$run"
      # The whole command's wall time and peak memory (the figure issue #30's targets are about).
      /usr/bin/time -f 'wall %e s, peak RSS %M KiB' -o "$out/gradlab-$seed.time" \
        build/gradlab train "$config" --set "seed=$seed" --set "output=\"$run\"" "${overrides[@]}" \
        >"$out/gradlab-$seed.log"
      # One file per run in PyTorch's form: the epochs' lines, then the test accuracy.
      /usr/bin/python3 - "$run" >"$out/gradlab-$seed.jsonl" <<'PY'
import json, sys
run = sys.argv[1]
for line in open(run + "/metrics.jsonl"):
    print(line.strip())
final = json.load(open(run + "/final_metrics.json"))
print(json.dumps({"test_accuracy": final["test"]["accuracy"], "best_epoch": final["best_epoch"]}))
PY
    else
      # On gradlab's validation split of the same seed when its run is there (issue #30: both
      # sides validate on the same images), else on PyTorch's own draw.
      split=()
      [[ -f "$out/gradlab-$seed-run/split.json" ]] && split=(--split "$out/gradlab-$seed-run/split.json")
      /usr/bin/python3 bench/pytorch_recipe.py "$config" --set "seed=$seed" "${overrides[@]}" \
        "${split[@]}" --out "$out/pytorch-$seed.jsonl" >"$out/pytorch-$seed.log"
    fi
  done
done
