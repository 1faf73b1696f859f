#!/usr/bin/env bash
# Installs the Debian packages gradlab needs, only those missing. Idempotent; safe to re-run.
# Usage: scripts/install-deps.sh [EXTRA_PACKAGE...]   (extras: a script's own tools, e.g. clang)
set -euo pipefail

packages=(
  g++ cmake make pkgconf
  clang-format                          # scripts/check-format.sh (CI checks the formatting)
  libxtensor-dev xtl-dev libxsimd-dev   # tensors
  nlohmann-json3-dev                    # configs, checkpoint headers
  catch2                                # tests (v2)
  libdnnl-dev                           # oneDNN 2.6 kernels
  ocl-icd-opencl-dev opencl-c-headers   # Debian's dnnl-config.cmake requires OpenCL (see docs)
  libcli11-dev                          # command line
  zlib1g-dev                            # .gz data sets
  libpng-dev                            # PNG images: predict's input, the PCA figures
  libjpeg62-turbo-dev                   # JPEG images in image folders (libjpeg-turbo)
  libxtensor-blas-dev liblapack-dev libblas-dev   # eigen/SVD (LAPACK) for framework/math
  libopenblas0-openmp                   # ...run by OpenBLAS (also the PyTorch baseline's BLAS)
  libopenmpi-dev openmpi-bin            # data-parallel training: mpirun -np N gradlab train
  libonnx-dev libprotobuf-dev           # gradlab export --onnx (ONNX's own classes and checker)
  gnuplot-nox                           # the run report's PNG copies (train/report/gnuplot.h)
  libcpp-httplib-dev                    # gradlab watch's HTTP server (train/watch/watch.h)
  ca-certificates                       # npm over TLS
  python3                               # the tests' JSON checks, experiment generators
  "$@"
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
