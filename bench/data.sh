#!/usr/bin/env bash
# Your own data, measured (docs/benchmarks.md, "Image folders and CSV tables"): run it alone, it
# uses both cores.
#   1. MNIST written as a PNG image folder (70,000 files), then gradlab_bench data: decoding it
#      into the cache, loading the cache, making a run's TrainingData from it, and LeNet training
#      steps fed from the cache against the IDX files', alternating rounds.
#   2. A 1,000,000-row × 50-column CSV table (48 numeric columns, one categorical of 8 values, the
#      label of 2), loaded as training loads it: seconds and peak memory against its float matrix.
# Usage: bench/data.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
out=build/bench-data
mkdir -p "$out"
export OMP_NUM_THREADS=2
build/gradlab_bench machine >"$out/machine.json"
echo "data: $(tr -d '\n' <"$out/machine.json")"
[[ -d "$out/mnist_png" ]] || build/gradlab data write-folder "$out/mnist_png" --dataset mnist >/dev/null
build/gradlab_bench data data/mnist "$out/mnist_png" "$rounds" | tee "$out/images.json"
if [[ ! -f "$out/table.csv" ]]; then
  awk 'BEGIN { srand(7); printf "label,category";
    for (c = 0; c < 48; c++) printf ",x%d", c; printf "\n";
    for (r = 0; r < 1000000; r++) {
      printf "%s,k%d", (rand() < 0.3 ? "yes" : "no"), int(rand() * 8);
      for (c = 0; c < 48; c++) printf ",%.6g", (rand() - 0.5) * 1000;
      printf "\n" } }' >"$out/table.csv"
fi
build/gradlab_bench table "$out/table.csv" label | tee "$out/table.json"
