#!/usr/bin/python3
"""PyTorch on the same work as gradlab_bench train: the baseline gradlab is measured against.

Usage: pytorch_baseline.py MODEL BATCH [MNIST_FOLDER]   (MODEL: mlp, lenet or strided). Trains on
the first 8 batches of MNIST from the folder (raw IDX files), else on random images. Prints one
JSON object.

Made fair as issue #3 asks: two threads, flush-to-zero, and a real BLAS (Debian's python3-torch
uses the "generic" libblas alternative, the slow netlib reference unless libopenblas0-openmp is
installed; the BLAS actually loaded is reported).
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn


def loaded_blas():
    with open("/proc/self/maps") as maps:
        libraries = {line.split()[-1] for line in maps if ".so" in line}
    blas = sorted(lib for lib in libraries if "blas" in lib.lower() or "lapack" in lib.lower())
    return [lib for lib in blas if "blas" in lib.lower()]


def make_model(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    if name == "strided":  # gradlab_bench's strided model (issue #11)
        return nn.Sequential(nn.Conv2d(1, 27, 3, stride=2, padding=2), nn.ReLU(),
                             nn.Conv2d(27, 21, 3, stride=2, padding=2), nn.ReLU(),
                             nn.Conv2d(21, 33, 3, padding=2), nn.MaxPool2d(2), nn.ReLU(), nn.Flatten(),
                             nn.Linear(825, 10))
    return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))


def mnist_batches(folder, batch, count):
    """The first count·batch training images and labels of an MNIST folder (raw IDX files)."""
    with open(f"{folder}/train-images-idx3-ubyte", "rb") as f:  # only the bytes needed
        f.seek(16)
        pixels = f.read(count * batch * 784)
    with open(f"{folder}/train-labels-idx1-ubyte", "rb") as f:
        f.seek(8)
        classes = f.read(count * batch)
    x = (torch.frombuffer(bytearray(pixels), dtype=torch.uint8).float() / 255.0 - 0.1307) / 0.3081
    x = x.reshape(count, batch, 1, 28, 28)
    y = torch.frombuffer(bytearray(classes), dtype=torch.uint8).long().reshape(count, batch)
    return [x[i].contiguous() for i in range(count)], [y[i].contiguous() for i in range(count)]


def time_per_run(work, min_seconds, min_runs=20, warmup=5):
    for _ in range(warmup):
        work()
    runs, start = 0, time.perf_counter()
    while runs < min_runs or time.perf_counter() - start < min_seconds:
        work()
        runs += 1
    return (time.perf_counter() - start) / runs


def main():
    name, batch = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(2)
    torch.set_flush_denormal(True)
    torch.manual_seed(42)
    model = make_model(name)
    if name == "mlp":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    if len(sys.argv) > 3:  # the first 8 batches of MNIST, normalised as gradlab_bench does
        images, labels = mnist_batches(sys.argv[3], batch, 8)
    else:
        images = [torch.rand(batch, 1, 28, 28) * 3.22 - 0.42 for _ in range(8)]
        labels = [torch.randint(0, 10, (batch,)) for _ in range(8)]
    state = {"next": 0}

    def step():
        i = state["next"] % 8
        state["next"] += 1
        optimizer.zero_grad()
        loss_fn(model(images[i]), labels[i]).backward()
        optimizer.step()

    step_seconds = time_per_run(step, 2.0)
    model.eval()

    def infer():
        with torch.no_grad():
            i = state["next"] % 8
            state["next"] += 1
            model(images[i])

    infer_seconds = time_per_run(infer, 1.0)
    print(json.dumps({
        "model": name, "backend": "pytorch", "batch": batch, "threads": torch.get_num_threads(),
        "data": "mnist" if len(sys.argv) > 3 else "random",
        "torch": torch.__version__, "blas": loaded_blas(),
        "train_step_ms": step_seconds * 1e3, "train_images_per_second": batch / step_seconds,
        "inference_images_per_second": batch / infer_seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }, indent=2))


if __name__ == "__main__":
    main()
