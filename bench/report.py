#!/usr/bin/python3
"""Turns the JSON files of bench/run.sh into the Markdown tables of docs/benchmarks.md.

Each figure was measured in several rounds (file suffix -1, -2, ...), gradlab and PyTorch back to
back within a round; tables show medians over the rounds, and ratios show their spread.
"""
import glob
import json
import os
import re
import statistics
import subprocess
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def rounds(folder, stem):
    """The JSON of every round of one measurement, by round number."""
    found = {}
    for path in glob.glob(os.path.join(folder, f"{stem}-*.json")):
        match = re.fullmatch(re.escape(stem) + r"-(\d+)\.json", os.path.basename(path))
        if match:
            found[int(match.group(1))] = load(path)
    if not found:
        raise SystemExit(f"report.py: no {stem}-N.json in {folder}")
    return found


def median(values):
    return statistics.median(values)


MODELS = ("mlp", "lenet", "strided")


def kernel_table(kernel_rounds):
    """{kernel name: {backend: [entries, one per round]}}"""
    table = {}
    for result in kernel_rounds.values():
        for k in result["kernels"]:
            table.setdefault(k["kernel"], {}).setdefault(k["backend"], []).append(k)
    return table


def main(folder):
    kernel_rounds = rounds(folder, "kernels")
    repeats = len(kernel_rounds)
    date = subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M UTC"], capture_output=True, text=True).stdout.strip()
    machine = load(os.path.join(folder, "machine.json"))

    def bf16_rate(machine):
        bf16 = machine.get("matmul_2048_bf16") or {}
        if bf16.get("gflops") is None:
            return "not measured (" + bf16.get("why", "an older gradlab_bench") + ")"
        return f"{bf16['gflops']:.0f} GFLOP/s ({bf16.get('implementation', '?')})"

    print(f"Machine: {machine['cpu']}, {machine['cores']} cores; oneDNN ISA {machine['onednn_isa']}, "
          f"gradlab SIMD {machine['gradlab_simd']}; f32 matmul (2048³ sgemm) "
          f"{machine.get('matmul_2048_f32_gflops', float('nan')):.0f} GFLOP/s; bf16 matmul "
          f"{bf16_rate(machine)}; OMP_NUM_THREADS=2; {date}; "
          f"medians of {repeats} rounds, gradlab and PyTorch back to back in each\n")

    kernels = kernel_table(kernel_rounds)
    print("### Kernels (batch 64)\n")
    print("| kernel | oneDNN µs | oneDNN GFLOP/s | reference µs | reference GFLOP/s |")
    print("|---|---|---|---|---|")
    def cells(entries, digits_us, digits_gflops):
        if not entries:
            return "–", "–"
        us = f"{median(k['microseconds'] for k in entries):.{digits_us}f}"
        rates = [k["gflops"] for k in entries if "gflops" in k]
        return us, (f"{median(rates):.{digits_gflops}f}" if rates else "–")

    for name, entry in kernels.items():
        o_us, o_rate = cells(entry.get("onednn", []), 1, 1)
        r_us, r_rate = cells(entry.get("reference", []), 0, 2)
        print(f"| {name} | {o_us} | {o_rate} | {r_us} | {r_rate} |")

    print("\n### Training and inference, images/second\n")
    print("| model | batch | gradlab oneDNN | gradlab reference | PyTorch | oneDNN / PyTorch (min–max over rounds) |")
    print("|---|---|---|---|---|---|")
    memory = []
    ratios = {}
    gflops = {}
    for model in MODELS:
        for batch in (64, 256):
            o = rounds(folder, f"train-{model}-{batch}-onednn")
            p = rounds(folder, f"train-{model}-{batch}-pytorch")
            r = rounds(folder, f"train-{model}-{batch}-reference")
            for kind in ("train", "inference"):
                key = f"{kind}_images_per_second"
                per_round = [o[i][key] / p[i][key] for i in o if i in p]
                ratios[(model, batch, kind)] = median(per_round)
                print(f"| {model} {kind} | {batch} | {median(x[key] for x in o.values()):,.0f} | "
                      f"{median(x[key] for x in r.values()):,.0f} | {median(x[key] for x in p.values()):,.0f} | "
                      f"**{median(per_round):.2f}×** ({min(per_round):.2f}–{max(per_round):.2f}) |")
            memory.append((model, batch, max(x["peak_rss_mib"] for x in o.values()),
                           max(x["peak_rss_mib"] for x in p.values())))
            gflops[(model, batch)] = median(x["train_gflops"] for x in o.values())
    p = next(iter(rounds(folder, "train-mlp-64-pytorch").values()))
    print(f"\nPyTorch {p['torch']}, {p['threads']} threads, flush-to-zero, BLAS loaded: {', '.join(p['blas']) or 'none found'}.")

    print("\n### Training GFLOP/s (oneDNN): 3 × the forward FLOPs `gradlab summary` counts, per second\n")
    print("| model | batch 64 | batch 256 | share of LeNet's (batch 64) |")
    print("|---|---|---|---|")
    for model in ("lenet", "strided"):
        share = gflops[(model, 64)] / gflops[("lenet", 64)]
        print(f"| {model} | {gflops[(model, 64)]:.1f} | {gflops[(model, 256)]:.1f} | {100 * share:.0f}% |")

    print("\n### Step time against the kernels it contains (oneDNN, batch 64)\n")
    print("`gradlab_bench overhead`: in one process, alternating 25 times, a block of training steps and")
    print("the model's GEMMs run alone, as many times; the CNNs' convolution passes are timed inside the")
    print("steps themselves, apart from the chains' pooling, ReLU and reorders, which count as the step's")
    print("own work. Measuring both in the same minutes matters here: the machine's speed changes by 2×")
    print("within minutes. Per run the median of its 25 ratios; the table gives the median over runs and")
    print("the range of all ratios.\n")
    print("| model | step ms | its kernels ms | step / kernels (range) |")
    print("|---|---|---|---|")
    for model in MODELS:
        runs = list(rounds(folder, f"overhead-{model}").values())
        print(f"| {model} | {median(r['step_ms'] for r in runs):.3f} | {median(r['kernels_ms'] for r in runs):.3f} | "
              f"**{median(r['ratio'] for r in runs):.2f}** ({min(r['ratio_min'] for r in runs):.2f}–"
              f"{max(r['ratio_max'] for r in runs):.2f}) |")

    print("\n### Where a training step's time goes (`gradlab_bench profile`, oneDNN, batch 64)\n")
    for model in ("lenet", "strided", "mlp"):
        profiles = rounds(folder, f"profile-{model}")
        parts = {}
        for result in profiles.values():
            for part in result["parts"]:
                parts.setdefault(part["part"], []).append(part["microseconds"])
        step = median(r["step_microseconds"] for r in profiles.values())
        print(f"| {model}: part | µs | share |")
        print("|---|---|---|")
        for name, values in parts.items():
            print(f"| {name} | {median(values):.0f} | {100 * median(values) / step:.1f}% |")
        print(f"| **step** | **{step:.0f}** | |\n")

    print("### Peak resident memory\n")
    print("| run | peak RSS MiB |")
    print("|---|---|")
    for model, batch, o, p in memory:
        print(f"| {model} batch {batch}: gradlab oneDNN / PyTorch | {o:.0f} / {p:.0f} |")
    epoch = load(os.path.join(folder, "lenet-epoch-time.json"))
    print(f"| gradlab train experiments/mnist_lenet.json, 1 epoch on MNIST ({epoch['wall_seconds']:.0f} s) | "
          f"{epoch['max_rss_kib'] / 1024:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1])
