#!/usr/bin/python3
"""The table of bench/distributed.sh, and the scaling model of docs/distributed.md built on it.

Usage: distributed_report.py OUT_DIR

Measured: training images/s of 1 process x 2 threads and of 2 processes x 1 thread (medians over
rounds), the allreduce time per step under MPI, the model's gradient bytes. Modelled: the same
step on N machines, each rank computing its slice of the global batch at the measured
one-process rate, and a ring allreduce of the gradients over a network of 10, 25 or 100 Gb/s:
  t_allreduce(N) = 2 (N - 1) / N * bytes / bandwidth + 2 (N - 1) * latency   (latency 20 us)
  t_step(N)      = t_compute / N + t_allreduce(N)     (no overlap of the two)
  speed-up(N)    = t_compute / t_step(N)
"Stops scaling" is the N past which another machine makes the step slower (the speed-up's peak),
and the N at which the efficiency speed-up / N falls below 50%.
"""
import glob
import json
import os
import re
import statistics
import sys

LATENCY = 20e-6
BANDWIDTHS = {"10 Gb/s": 10e9 / 8, "25 Gb/s": 25e9 / 8, "100 Gb/s": 100e9 / 8}


def rates(out, model, layout):
    speeds, allreduce = [], []
    for run in sorted(glob.glob(os.path.join(out, f"{model}-{layout}-*/"))):
        lines = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]
        speeds.append(statistics.median(line["images_per_second"] for line in lines))
        final = json.load(open(os.path.join(run, "final_metrics.json")))
        if "allreduce_seconds_per_step" in final:
            allreduce.append(final["allreduce_seconds_per_step"])
    return speeds, allreduce


def model_facts(out, model):
    log = open(sorted(glob.glob(os.path.join(out, f"{model}-1x2-*.log")))[0]).read()
    parameters = int(re.search(r"model: (\d+) parameters", log).group(1))
    config = json.load(open(glob.glob(os.path.join(out, f"{model}-1x2-*/config.json"))[0]))
    return parameters, config["batch_size"]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    machine = json.load(open(os.path.join(out, "machine.json")))
    print(f"Machine: {machine['cpu']}, {machine['cores']} cores; oneDNN ISA {machine['onednn_isa']}, "
          f"gradlab SIMD {machine['gradlab_simd']}\n")
    print("| model | gradient bytes per step | batch | 1 process × 2 threads (images/s) | "
          "2 processes × 1 thread (images/s) | ratio | allreduce per step (ms) | share of the step |")
    print("|---|---|---|---|---|---|---|---|")
    facts = {}
    for model in ("mlp", "lenet"):
        one, _ = rates(out, model, "1x2")
        two, allreduce = rates(out, model, "2x1")
        if not one or not two:
            continue
        parameters, batch = model_facts(out, model)
        gradient_bytes = 4 * parameters
        one_rate, two_rate = statistics.median(one), statistics.median(two)
        reduce_time = statistics.median(allreduce)
        step_two = batch / two_rate
        print(f"| {model} | {gradient_bytes:,} | {batch} | {one_rate:,.0f} | {two_rate:,.0f} | "
              f"{two_rate / one_rate:.2f} | {reduce_time * 1e3:.3f} | {100 * reduce_time / step_two:.1f}% |")
        facts[model] = (gradient_bytes, batch / one_rate)
    print("\nScaling model (one process per machine at the measured 2-thread rate; ring allreduce):\n")
    print("| model | compute per step (ms) | network | allreduce at N = 8 (ms) | speed-up at 8 | "
          "best N (peak speed-up) | N at 50% efficiency |")
    print("|---|---|---|---|---|---|---|")
    for model, (gradient_bytes, compute) in facts.items():
        for network, bandwidth in BANDWIDTHS.items():
            def allreduce(n):
                return 2 * (n - 1) / n * gradient_bytes / bandwidth + 2 * (n - 1) * LATENCY

            def speedup(n):
                return compute / (compute / n + allreduce(n))
            best = max(range(1, 1025), key=speedup)
            half = next((n for n in range(2, 1025) if speedup(n) / n < 0.5), None)
            print(f"| {model} | {compute * 1e3:.2f} | {network} | {allreduce(8) * 1e3:.3f} | "
                  f"{speedup(8):.1f} | {best} ({speedup(best):.1f}×) | {half} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
