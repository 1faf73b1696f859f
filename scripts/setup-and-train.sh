#!/usr/bin/env bash
# The README's first command: install what is missing, build, fetch MNIST, train the default
# experiment. (Until the MNIST trainer lands, the default experiment is the spiral demo.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/fetch-mnist.sh
build/gradlab demo
