#!/usr/bin/env bash
# The benchmark, in one invocation: gradlab's kernels (both backends), gradlab training and
# inference (both backends), PyTorch on the same work, and the peak memory of a real LeNet
# training epoch on MNIST; then a Markdown report with the ratios (see docs/benchmarks.md).
# Run it alone on the machine: it uses both cores.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The PyTorch baseline, with OpenBLAS as the BLAS alternative so the comparison is fair.
missing=()
for package in python3-torch libopenblas0-openmp time; do
  [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)" == "install ok installed" ]] || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
scripts/build.sh
scripts/fetch-mnist.sh

out=build/bench-results
rm -rf "$out" && mkdir -p "$out"
export OMP_NUM_THREADS=2
# Which CPU, and which instruction sets oneDNN and gradlab's own kernels run with on it (lowered
# by ONEDNN_MAX_CPU_ISA / GRADLAB_MAX_CPU_ISA if set): the figures mean little without them.
build/gradlab_bench machine >"$out/machine.json"
echo "bench: $(tr -d '\n' <"$out/machine.json")"
# This machine is shared: the same figure varies by up to 2x from one run to the next. So every
# gradlab figure and its PyTorch counterpart are measured back to back, the pair is repeated
# $repeats times, and the report takes medians (and shows the spread of the ratios).
repeats=${BENCH_REPEATS:-5}
for ((rep = 1; rep <= repeats; rep++)); do
  echo "bench: round $rep of $repeats: kernels"
  build/gradlab_bench kernels >"$out/kernels-$rep.json"
  echo "bench: round $rep of $repeats: profile"
  for model in lenet strided mlp; do
    build/gradlab_bench profile "$model" 64 data/mnist >"$out/profile-$model-$rep.json"
    build/gradlab_bench overhead "$model" 64 data/mnist >"$out/overhead-$model-$rep.json"
  done
  for model in mlp lenet strided; do
    for batch in 64 256; do
      echo "bench: round $rep of $repeats: $model batch $batch, gradlab and PyTorch"
      build/gradlab_bench train "$model" onednn "$batch" data/mnist >"$out/train-$model-$batch-onednn-$rep.json"
      /usr/bin/python3 bench/pytorch_baseline.py "$model" "$batch" data/mnist >"$out/train-$model-$batch-pytorch-$rep.json"
    done
  done
done
# The reference backend is 20-60x slower: once is enough to show it.
for model in mlp lenet strided; do
  for batch in 64 256; do
    echo "bench: $model batch $batch reference"
    build/gradlab_bench train "$model" reference "$batch" data/mnist >"$out/train-$model-$batch-reference-1.json"
  done
done
echo "bench: one LeNet epoch on MNIST (peak memory)"
/usr/bin/time -f '{"max_rss_kib": %M, "wall_seconds": %e}' -o "$out/lenet-epoch-time.json" \
  build/gradlab train experiments/mnist_lenet.json --set epochs=1 --set "output=\"$out/lenet-run\"" >"$out/lenet-epoch.log"
/usr/bin/python3 bench/report.py "$out" | tee "$out/report.md"
