#!/usr/bin/env bash
# Fetches a pinned bundle of npm packages into .cache/<bundle>/node_modules (git-ignored), checking
# each tarball's sha512 against the registry's integrity recorded here. Install scripts are never
# run (onnxruntime-node's would fetch CUDA builds from GitHub). Skips the download when the bundle
# is complete. Usage: scripts/fetch-npm.sh BUNDLE
#   onnxruntime  onnxruntime-node + onnxruntime-common 1.30.0: the ONNX export tests' runtime (its
#                Linux x64 library, bin/napi-v6/linux/x64/libonnxruntime.so.1, is inside)
#   uplot        uPlot 1.6.32 (MIT): the run report's charts, inlined into gradlab at build time
#   playwright   playwright-core 1.64.1 (Apache-2.0): drives Debian's chromium in the report test
set -euo pipefail
cd "$(dirname "$0")/.."

bundle=${1:?usage: scripts/fetch-npm.sh onnxruntime|uplot|playwright}
case "$bundle" in
  onnxruntime)
    packages=(
      "onnxruntime-node@1.30.0 sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw=="
      "onnxruntime-common@1.30.0 sha512-7fdVWjAID1dVhH/G8qK3APARunV4VkBFoCQAP7qp4Wkab0mrorvmc+sqiT+mKXOzDqdjN5j+/Z9nb4gzNPWcyA=="
    ) ;;
  uplot)
    packages=("uplot@1.6.32 sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==") ;;
  playwright)
    packages=("playwright-core@1.64.1 sha512-BC4s8y6SEVA6Q1rSxZTto8hI1KUI3xXlHGZgvGqP4IqPdI/a6FX9H29IDNz7vKo9l21b6LfYosScPL6M3xxyDQ==") ;;
  *) echo "fetch-npm: unknown bundle '$bundle' (onnxruntime, uplot or playwright)" >&2; exit 2 ;;
esac

target=.cache/$bundle
stamp="$target/complete-$(printf '%s\n' "${packages[@]}" | cut -d' ' -f1 | tr '\n' '+' | tr -d '/')"
if [[ -f "$stamp" ]]; then
  echo "fetch-npm: $bundle is in $target"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-npm: npm is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$target" && mkdir -p "$target/node_modules"
for entry in "${packages[@]}"; do
  spec=${entry%% *} expected=${entry#* }
  name=${spec%@*} version=${spec##*@}
  echo "fetch-npm: downloading $spec from the npm registry"
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  tarball="$work/$name-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$actual" != "$expected" ]]; then
    echo "fetch-npm: $spec: checksum $actual, expected $expected" >&2
    exit 1
  fi
  mkdir -p "$target/node_modules/$name"
  tar xzf "$tarball" -C "$target/node_modules/$name" --strip-components=1
done
touch "$stamp"
echo "fetch-npm: $bundle is in $target"
