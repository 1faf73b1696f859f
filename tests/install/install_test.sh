#!/usr/bin/env bash
# install.example: cmake --install of the build into a fresh prefix, then that tree checked as a
# user meets it (check_installed.sh), with CMake and with pkg-config.
# Usage: install_test.sh BUILD_DIR MAKE_SYNTHETIC_IDX SOURCE_DIR
set -eu
build=$1 make_data=$2 source=$3
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
"$source/tests/install/check_installed.sh" "$prefix" "$make_data" "$source" --pkg-config
