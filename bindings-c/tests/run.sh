#!/usr/bin/env bash
# The C/C++ suite: installs libofficernd_auth into a prefix, builds the tests against that prefix
# (pkg-config for C, find_package for C++) and runs them with ctest (plain, valgrind, ASan,
# static). Ends with ctest's summary line.
#   bindings-c/tests/run.sh PREFIX BUILD_DIR [debug|release]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:?usage: run.sh PREFIX BUILD_DIR [profile]}"
build="${2:?usage: run.sh PREFIX BUILD_DIR [profile]}"
profile="${3:-debug}"
: "${OFFICERND_MOCK_BIN:?OFFICERND_MOCK_BIN must name the mock identity server binary (make mock)}"
"$here/../scripts/install.sh" "$prefix" "$profile"
prefix="$(cd "$prefix" && pwd)"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
cmake -S "$here" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Debug >/dev/null
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL cmake --build "$build" -j 2
cd "$build"
ctest --output-on-failure -j 2 --timeout 300
