#!/usr/bin/env bash
# gradlab against PyTorch 1.13 (bench/pytorch_recipe.py) on the same recipe, in alternating
# rounds (the machine's speed drifts; both see it alike), with the machine's matmul rate measured
# before and after (gradlab_bench machine: oneDNN, 2048³, best of 5). Prints each round's
# images/s (the first epoch's own timing), the ratio gradlab / PyTorch, and gradlab's training
# rate — 3 × the forward FLOPs per image of `gradlab summary` × images/s — as a fraction of the
# matmul rate measured before and after the rounds. Run it alone on the machine, from the
# repository root, after scripts/build.sh.
# Usage: bench/vs_pytorch.sh CONFIG ROUNDS [--set key=value ...]
#   PRECISION=bf16 trains both in bf16 (gradlab's "precision" key, PyTorch's CPU autocast)
#   and reads the bf16 matmul rate.
# Example (issue #29's figures): bench/vs_pytorch.sh experiments/fashion_resnet.json 3 \
#   --set epochs=1 --set data.limit=14222 --set 'data.augment={"horizontal_flip": false}'
set -euo pipefail
config=$1 rounds=$2
shift 2
precision=${PRECISION:-f32}
export OMP_NUM_THREADS=2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gradlab_precision=()
[[ $precision != f32 ]] && gradlab_precision=(--set "precision=\"$precision\"")
build/gradlab_bench machine >"$work/machine-before.json"
flops=$(build/gradlab summary "$config" "$@" | sed -n 's/.* \([0-9]*\) forward FLOPs per image/\1/p')
for ((round = 1; round <= rounds; round++)); do
  build/gradlab train "$config" "$@" "${gradlab_precision[@]}" \
    --set "output=\"$work/gradlab-$round\"" >"$work/gradlab-$round.log" 2>&1
  /usr/bin/python3 bench/pytorch_recipe.py "$config" "$@" --precision "$precision" \
    --out "$work/pytorch-$round.jsonl" >"$work/pytorch-$round.log" 2>&1
done
build/gradlab_bench machine >"$work/machine-after.json"
python3 - "$work" "$rounds" "$flops" "$precision" <<'PY'
import json, statistics, sys
work, rounds, flops, precision = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def first_epoch(path):
    return json.loads(open(path).readline())["images_per_second"]
def rate(name):
    machine = json.load(open(f"{work}/machine-{name}.json"))
    if precision == "bf16":
        return (machine.get("matmul_2048_bf16") or {}).get("gflops")
    return machine["matmul_2048_f32_gflops"]
rates = [rate("before"), rate("after")]
print(f"matmul 2048³ ({precision}, 2 threads): before {rates[0] or 0:.0f}, after {rates[1] or 0:.0f} GFLOP/s")
ratios, fractions = [], []
for r in range(1, rounds + 1):
    g = first_epoch(f"{work}/gradlab-{r}/metrics.jsonl")
    p = first_epoch(f"{work}/pytorch-{r}.jsonl")
    gflops = 3 * flops * g / 1e9
    ratios.append(g / p)
    line = f"round {r}: gradlab {g:.0f} images/s, PyTorch {p:.0f}, ratio {g / p:.2f}; gradlab {gflops:.0f} GFLOP/s"
    if all(rates):
        fractions += [gflops / x for x in rates]
        line += f" = {gflops / max(rates):.2f}-{gflops / min(rates):.2f} of the matmul rate"
    print(line)
print(f"median ratio {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})"
      + (f"; fraction of the matmul rate {min(fractions):.2f}-{max(fractions):.2f}" if fractions else ""))
PY
