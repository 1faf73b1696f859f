#!/usr/bin/env bash
# An installed gradlab as a user meets it: the CLI (its version, the demo), and
# examples/train_mlp/ built against the installed headers and library alone, trained on synthetic
# MNIST-shaped data, its checkpoint evaluated by the installed CLI.
# Usage: check_installed.sh PREFIX MAKE_SYNTHETIC_IDX SOURCE_DIR [--pkg-config]
#   PREFIX: where gradlab is installed (a cmake --install prefix, or /usr for the Debian package)
#   --pkg-config: also build the example with g++ and pkg-config's flags instead of CMake
set -u
prefix=$1 make_data=$2 source=$3 with_pkg_config=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$source/tests/expect.sh"
gradlab=$prefix/bin/gradlab
libdir=$(dirname "$(find "$prefix"/lib* -maxdepth 2 -name libgradlab.so -print -quit)")
version=$(sed -n 's/^#define GRADLAB_VERSION "\(.*\)"$/\1/p' "$prefix/include/gradlab/version.h")

# The CLI runs from the installed tree (its library found beside it, not in the build folder).
expect 0 "^gradlab $version$" -- "$gradlab" --version
expect 0 "libgradlab\.so\.[0-9.]+ => $prefix/(bin/\.\./)?${libdir#"$prefix"/}/" -- bash -c "ldd '$gradlab' | grep libgradlab"
expect 0 "epoch +[0-9]+ +loss .*train accuracy" -- "$gradlab" demo

"$make_data" "$work/data" 2000 200
# CMake: find_package(gradlab) in the installed tree only.
expect 0 "Build files have been written" -- cmake -S "$source/examples/train_mlp" -B "$work/example" \
  -DCMAKE_BUILD_TYPE=Release "-DCMAKE_PREFIX_PATH=$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
expect 0 "Built target train_mlp" -- cmake --build "$work/example"
expect 0 "gradlab_DIR:PATH=$libdir/cmake/gradlab$" -- grep gradlab_DIR "$work/example/CMakeCache.txt"
expect 0 "^32 steps, mean training loss [0-9.]+.*saved" -- bash -c "'$work/example/train_mlp' '$work/data' '$work/mlp.safetensors' | tr '\n' ' '"
# The synthetic classes are bright blocks at class-specific places: one epoch learns them.
expect 0 "\(200 images\) loss [0-9.]+ +accuracy (9[0-9]|100)\.[0-9]+%" -- bash -c "'$gradlab' eval '$work/mlp.safetensors' | tr '\n' ' '"
expect 1 "train_mlp: .*nowhere.*" -- "$work/example/train_mlp" "$work/nowhere" "$work/x.safetensors"

if [[ "$with_pkg_config" == "--pkg-config" ]]; then
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  expect 0 "^$version$" -- pkg-config --modversion gradlab
  expect 0 "" -- bash -c "g++ -O1 \$(pkg-config --cflags gradlab) '$source/examples/train_mlp/train_mlp.cpp' \$(pkg-config --libs gradlab) -o '$work/train_mlp_pc'"
  expect 0 "^32 steps, mean training loss" -- env "LD_LIBRARY_PATH=$libdir" "$work/train_mlp_pc" "$work/data" "$work/pc.safetensors"
fi
finish install
