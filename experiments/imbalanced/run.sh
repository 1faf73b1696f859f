#!/usr/bin/env bash
# The imbalanced-MNIST experiment (issue #4): all training images of digits 0–4, 2% of 5–9
# (seeded), the full balanced test set; plain cross-entropy against balanced class weights,
# oversampling and focal loss, same model (MLP 784-256-128-10), optimizer and budget (5 epochs).
# Prints the table of docs/imbalance.md. Needs data/mnist (scripts/fetch-mnist.sh) and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
for variant in plain balanced_weights oversample focal; do
  rm -rf "runs/imbalanced_$variant"
  build/gradlab train "experiments/imbalanced/$variant.json" | tail -1
done
python3 - <<'PY'
import json
rows = [("plain cross-entropy", "plain"), ("balanced class weights", "balanced_weights"),
        ("oversampling (class-balanced sampler)", "oversample"), ("focal loss, gamma 2", "focal")]
print("| technique | accuracy | balanced accuracy | macro-F1 | " + " | ".join(f"recall {c}" for c in range(10)) + " |")
print("|---|---|---|---|" + "---|" * 10)
for name, variant in rows:
    test = json.load(open(f"runs/imbalanced_{variant}/final_metrics.json"))["test"]
    recalls = " | ".join(f"{r:.3f}" for r in test["recall"])
    print(f"| {name} | {100 * test['accuracy']:.2f}% | {100 * test['balanced_accuracy']:.2f}% | "
          f"{test['macro_f1']:.4f} | {recalls} |")
PY
