#!/usr/bin/python3
"""Turns the JSON files of bench/run.sh into the Markdown tables of docs/benchmarks.md."""
import json
import os
import platform
import subprocess
import sys


def load(folder, name):
    with open(os.path.join(folder, name)) as f:
        return json.load(f)


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main(folder):
    kernels = load(folder, "kernels.json")
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; OMP_NUM_THREADS=2; "
          f"{subprocess.run(['date', '-u', '+%Y-%m-%d %H:%M UTC'], capture_output=True, text=True).stdout.strip()}\n")

    print("### Kernels (batch 64)\n")
    print("| kernel | oneDNN µs | oneDNN GFLOP/s | reference µs | reference GFLOP/s |")
    print("|---|---|---|---|---|")
    by_name = {}
    for k in kernels["kernels"]:
        by_name.setdefault(k["kernel"], {})[k["backend"]] = k
    for name, entry in by_name.items():
        o, r = entry["onednn"], entry["reference"]
        print(f"| {name} | {o['microseconds']:.1f} | {o['gflops']:.1f} | {r['microseconds']:.0f} | {r['gflops']:.2f} |")

    print("\n### Training and inference, images/second\n")
    print("| model | batch | gradlab oneDNN | gradlab reference | PyTorch | oneDNN / PyTorch |")
    print("|---|---|---|---|---|---|")
    rows = []
    for model in ("mlp", "lenet"):
        for batch in (64, 256):
            o, r, p = (load(folder, f"train-{model}-{batch}-{b}.json") for b in ("onednn", "reference", "pytorch"))
            rows.append((model, batch, o, r, p))
            for kind in ("train", "inference"):
                key = f"{kind}_images_per_second"
                print(f"| {model} {kind} | {batch} | {o[key]:,.0f} | {r[key]:,.0f} | {p[key]:,.0f} | "
                      f"**{o[key] / p[key]:.2f}×** |")
    p = rows[0][4]
    print(f"\nPyTorch {p['torch']}, {p['threads']} threads, flush-to-zero, BLAS loaded: {', '.join(p['blas']) or 'none found'}.")

    print("\n### Step time against the kernels it contains (oneDNN, batch 64)\n")
    print("| model | measured step ms | sum of its oneDNN kernels ms | ratio |")
    print("|---|---|---|---|")
    for model, prefix in (("mlp", "mlp "), ("lenet", "lenet ")):
        kernel_ms = sum(e["onednn"]["microseconds"] for n, e in by_name.items() if n.startswith(prefix)) / 1e3
        step = load(folder, f"train-{model}-64-onednn.json")["train_step_ms"]
        print(f"| {model} | {step:.3f} | {kernel_ms:.3f} | {step / kernel_ms:.2f} |")

    print("\n### Peak resident memory\n")
    print("| run | peak RSS MiB |")
    print("|---|---|")
    for model, batch, o, r, p in rows:
        print(f"| {model} batch {batch}: gradlab oneDNN / PyTorch | {o['peak_rss_mib']:.0f} / {p['peak_rss_mib']:.0f} |")
    epoch = load(folder, "lenet-epoch-time.json")
    print(f"| gradlab train experiments/mnist_lenet.json, 1 epoch on MNIST ({epoch['wall_seconds']:.0f} s) | "
          f"{epoch['max_rss_kib'] / 1024:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1])
