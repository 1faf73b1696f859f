#!/usr/bin/env bash
# Fetches ONNX Runtime for the export tests: the npm packages onnxruntime-node 1.30.0 (its Linux
# x64 runtime, bin/napi-v6/linux/x64/libonnxruntime.so.1, is inside) and onnxruntime-common, into
# .cache/onnxruntime/node_modules (git-ignored), checking each package's sha512 against the
# registry's integrity recorded here. Their install scripts are not run (they would fetch CUDA
# builds from GitHub). Skips the download when the folder is complete.
set -euo pipefail
cd "$(dirname "$0")/.."

target=.cache/onnxruntime
version=1.30.0
declare -A integrity=(
  [onnxruntime-node]="sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=="
  [onnxruntime-common]="sha512-7fdVWjAID1dVhH/G8qK3APARunV4VkBFoCQAP7qp4Wkab0mrorvmc+sqiT+mKXOzDqdjN5j+/Z9nb4gzNPWcyA=="
)
if [[ -f "$target/complete-$version" ]]; then
  echo "fetch-onnxruntime: ONNX Runtime $version is in $target"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-onnxruntime: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$target" && mkdir -p "$target/node_modules"
for package in onnxruntime-node onnxruntime-common; do
  echo "fetch-onnxruntime: downloading $package@$version from the npm registry"
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tarball="$work/$package-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$actual" != "${integrity[$package]}" ]]; then
    echo "fetch-onnxruntime: $package@$version: checksum $actual, expected ${integrity[$package]}" >&2
    exit 1
  fi
  mkdir -p "$target/node_modules/$package"
  tar xzf "$tarball" -C "$target/node_modules/$package" --strip-components=1
done
touch "$target/complete-$version"
echo "fetch-onnxruntime: ONNX Runtime $version is in $target"
