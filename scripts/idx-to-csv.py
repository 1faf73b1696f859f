#!/usr/bin/env python3
"""Writes an IDX image data set (MNIST, Fashion-MNIST: train-* and t10k-*, plain or .gz) as two CSV
tables in the common layout: a header "label,pixel0,...,pixel{H*W-1}", then one row per image, its
label and its pixels 0-255 row by row. For training gradlab's table path on the same images as the
IDX path (docs/results.md). Usage: idx-to-csv.py IDX_FOLDER OUT_FOLDER [LIMIT]
"""
import gzip
import os
import struct
import sys


def read_idx(folder, name):
    path = os.path.join(folder, name)
    opener = open
    if not os.path.exists(path):
        path += ".gz"
        opener = gzip.open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    sizes = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return sizes, data[4 + 4 * dims:]


def main():
    folder, out = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(out, exist_ok=True)
    for split, name in (("train", "train"), ("t10k", "test")):
        (count, height, width), pixels = read_idx(folder, f"{split}-images-idx3-ubyte")
        _, labels = read_idx(folder, f"{split}-labels-idx1-ubyte")
        count = min(count, limit) if limit else count
        size = height * width
        with open(os.path.join(out, f"{name}.csv"), "w") as f:
            f.write("label," + ",".join(f"pixel{i}" for i in range(size)) + "\n")
            for n in range(count):
                row = pixels[n * size:(n + 1) * size]
                f.write(str(labels[n]) + "," + ",".join(map(str, row)) + "\n")
        print(f"{out}/{name}.csv: {count} rows of {size} pixels")


if __name__ == "__main__":
    main()
