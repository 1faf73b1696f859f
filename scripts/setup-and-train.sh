#!/usr/bin/env bash
# The README's first command: install what is missing, build, fetch MNIST, train the default
# experiment (the LeNet-style CNN, 3 epochs) into a fresh run folder runs/mnist_lenet-<time>.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh gradlab   # the CLI only: the tests are the second command's
scripts/fetch-mnist.sh
build/gradlab train experiments/mnist_lenet.json --set "output=\"runs/mnist_lenet-$(date +%Y%m%d-%H%M%S)\""
