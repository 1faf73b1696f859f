#!/usr/bin/python3
"""Compares gradlab and PyTorch on the same recipe over seeds (the output of bench/recipe_seeds.sh).

Usage: compare_recipes.py OUT_DIR...   (one directory per recipe variant)

Prints Markdown: per variant and side, the test accuracy of each seed, their mean and spread
(max - min), and the validation accuracy per epoch (mean over seeds, with min-max). gradlab's
test accuracy is that of its best validation epoch, PyTorch's of its last; with a cosine schedule
to zero the two are the same epoch or close (the table says which epoch gradlab took).
"""
import glob
import json
import os
import statistics
import sys


def read_runs(directory, side):
    runs = {}
    for path in sorted(glob.glob(os.path.join(directory, side + "-*.jsonl"))):
        seed = os.path.basename(path)[len(side) + 1:-len(".jsonl")]
        lines = [json.loads(line) for line in open(path) if line.strip()]
        epochs = [line for line in lines if "epoch" in line]
        final = next((line for line in lines if "test_accuracy" in line), None)
        if final is None:
            continue  # a run still going, or one that failed: left out
        runs[seed] = {"val": [e["val_accuracy"] for e in epochs], "test": final["test_accuracy"],
                      "best_epoch": final.get("best_epoch", len(epochs)),
                      "images_per_second": statistics.median(e["images_per_second"] for e in epochs)}
    return runs


def percent(x):
    return f"{100 * x:.2f}"


def main():
    directories = sys.argv[1:]
    if not directories:
        print(__doc__, file=sys.stderr)
        return 2
    print("| variant | side | test accuracy by seed (%) | mean | spread | training images/s |")
    print("|---|---|---|---|---|---|")
    curves = {}
    for directory in directories:
        variant = os.path.basename(os.path.normpath(directory))
        for side in ("gradlab", "pytorch"):
            runs = read_runs(directory, side)
            if not runs:
                continue
            tests = [run["test"] for run in runs.values()]
            seeds = ", ".join(
                f"{seed}: {percent(run['test'])}" + (f" (epoch {run['best_epoch']})" if side == "gradlab" else "")
                for seed, run in runs.items())
            speed = statistics.median(run["images_per_second"] for run in runs.values())
            print(f"| {variant} | {side} | {seeds} | **{percent(statistics.mean(tests))}** | "
                  f"{percent(max(tests) - min(tests))} | {speed:,.0f} |")
            curves[(variant, side)] = [run["val"] for run in runs.values()]
    print()
    epochs = max(len(curve) for runs in curves.values() for curve in runs)
    print("Validation accuracy (%) per epoch, mean over seeds (min-max):")
    print()
    print("| variant | side | " + " | ".join(str(e + 1) for e in range(epochs)) + " |")
    print("|---|---|" + "---|" * epochs)
    for (variant, side), runs in curves.items():
        cells = []
        for e in range(epochs):
            values = [curve[e] for curve in runs if len(curve) > e]
            cells.append(f"{percent(statistics.mean(values))} ({percent(min(values))}-{percent(max(values))})"
                         if values else "")
        print(f"| {variant} | {side} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
