#!/usr/bin/env bash
# One machine, two cores, two ways: 1 process × 2 threads against 2 processes × 1 thread
# (mpirun), training the shipped MLP and LeNet on MNIST through the CLI; images/s of the
# training loop (its own figure in metrics.jsonl) and, under MPI, the time per step spent in the
# gradient allreduce (final_metrics.json). Alternating, ROUNDS times (default 3); then
# bench/distributed_report.py prints the table and the scaling model (docs/distributed.md).
# Run it alone on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
scripts/fetch-mnist.sh
out=build/bench-distributed
rm -rf "$out" && mkdir -p "$out"
build/gradlab_bench machine >"$out/machine.json"
mpi=(mpirun --oversubscribe -np 2 -x OMP_NUM_THREADS=1)
[[ $(id -u) -eq 0 ]] && mpi+=(--allow-run-as-root)
for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  for model in mlp lenet; do
    epochs=1; [[ $model == mlp ]] && epochs=3
    echo "distributed: round $round, $model, 1 process x 2 threads"
    OMP_NUM_THREADS=2 build/gradlab train "experiments/mnist_$model.json" --set "epochs=$epochs" \
      --set "output=\"$out/$model-1x2-$round\"" >"$out/$model-1x2-$round.log"
    echo "distributed: round $round, $model, 2 processes x 1 thread"
    "${mpi[@]}" build/gradlab train "experiments/mnist_$model.json" --set "epochs=$epochs" \
      --set "output=\"$out/$model-2x1-$round\"" >"$out/$model-2x1-$round.log"
  done
done
/usr/bin/python3 bench/distributed_report.py "$out" | tee "$out/report.md"
