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
echo "bench: kernels"
build/gradlab_bench kernels >"$out/kernels.json"
for model in mlp lenet; do
  for batch in 64 256; do
    for backend in onednn reference; do
      echo "bench: $model batch $batch $backend"
      build/gradlab_bench train "$model" "$backend" "$batch" >"$out/train-$model-$batch-$backend.json"
    done
    echo "bench: $model batch $batch pytorch"
    /usr/bin/python3 bench/pytorch_baseline.py "$model" "$batch" >"$out/train-$model-$batch-pytorch.json"
  done
done
echo "bench: one LeNet epoch on MNIST (peak memory)"
/usr/bin/time -f '{"max_rss_kib": %M, "wall_seconds": %e}' -o "$out/lenet-epoch-time.json" \
  build/gradlab train experiments/mnist_lenet.json --set epochs=1 --set "output=\"$out/lenet-run\"" >"$out/lenet-epoch.log"
/usr/bin/python3 bench/report.py "$out" | tee "$out/report.md"
