#!/usr/bin/env bash
# The Debian package as a user gets it: cpack -G DEB in build/ makes gradlab_<version>_amd64.deb,
# apt installs it (its Depends: pulled from the archive), then the installed CLI and the example
# project built against /usr are checked (tests/install/check_installed.sh), and the package is
# removed again. Called by scripts/test.sh after the release build's tests.
# Usage: scripts/test-package.sh   (root, or a user with sudo; needs build/ built)
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"

(cd build && cpack -G DEB >/dev/null)
version=$(sed -n 's/^project(gradlab VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
deb=$PWD/build/gradlab_${version}_amd64.deb
echo "test-package: $(dpkg-deb -f "$deb" Package Version Depends | tr '\n' ' ')"
if dpkg-query -W -f='${Status}' gradlab 2>/dev/null | grep -q "install ok installed"; then
  echo "test-package: a gradlab package is installed already; not replacing it" >&2
  exit 1
fi
trap '$sudo apt-get purge -y -qq gradlab >/dev/null || true' EXIT
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
tests/install/check_installed.sh /usr build/tests/make_synthetic_idx "$PWD"
