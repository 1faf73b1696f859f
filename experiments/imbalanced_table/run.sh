#!/usr/bin/env bash
# The imbalanced-table experiment (docs/imbalance.md): a synthetic payments table with 1.5% fraud
# (make_table.py), an MLP 29-32-16-2 trained four ways — plain cross-entropy, balanced class
# weights, oversampling, focal loss (gamma 2) — over three seeds each, the best epoch chosen by
# validation macro-F1. Prints the table of docs/imbalance.md. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -f data/payments/train.csv ]] || python3 experiments/imbalanced_table/make_table.py
seeds=(42 1 2)
for variant in plain balanced_weights oversample focal; do
  for seed in "${seeds[@]}"; do
    rm -rf "runs/imbalanced_table_${variant}_$seed"
    build/gradlab train "experiments/imbalanced_table/$variant.json" --set "seed=$seed" \
      --set "output=\"runs/imbalanced_table_${variant}_$seed\"" | tail -2 | head -1
  done
done
python3 - "${seeds[@]}" <<'PY'
import json, statistics, sys
seeds = sys.argv[1:]
rows = [("plain cross-entropy", "plain"), ("balanced class weights", "balanced_weights"),
        ("oversampling (class-balanced sampler)", "oversample"), ("focal loss, gamma 2", "focal")]
def cell(values, scale=1, digits=3):
    mean = statistics.mean(values) * scale
    return f"{mean:.{digits}f} ({min(values) * scale:.{digits}f}–{max(values) * scale:.{digits}f})"
print("| technique | fraud recall | fraud precision | macro-F1 | balanced accuracy | accuracy |")
print("|---|---|---|---|---|---|")
for name, variant in rows:
    tests = [json.load(open(f"runs/imbalanced_table_{variant}_{s}/final_metrics.json"))["test"]
             for s in seeds]
    print(f"| {name} | {cell([t['recall'][1] for t in tests])} | "
          f"{cell([t['precision'][1] for t in tests])} | {cell([t['macro_f1'] for t in tests])} | "
          f"{cell([t['balanced_accuracy'] for t in tests], 100, 2)}% | "
          f"{cell([t['accuracy'] for t in tests], 100, 2)}% |")
PY
