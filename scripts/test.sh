#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds kopp's tests and the local control
# plane, and runs every test — unit tests, the same unit tests under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the integration tests against a real kube-apiserver
# (CTest starts one control plane for them and stops it afterwards).
#
#   scripts/test.sh            # everything
#   BUILD_DIR=... scripts/test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

"$root/scripts/install-deps.sh"
# rustup installs cargo here; the benchmark harness (bench.quick) builds the kube-rs peer.
if [[ -d "$HOME/.cargo/bin" ]]; then export PATH="$HOME/.cargo/bin:$PATH"; fi

echo "== configure + build ($build)"
# Debug: the tests compile faster, and assertions stay on.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug
cmake --build "$build" -j "$jobs"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer ($build-asan)"
cmake -S "$root" -B "$build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DKOPP_SANITIZE=ON -DKOPP_BUILD_INTEGRATION_TESTS=OFF
cmake --build "$build-asan" -j "$jobs" --target kopp_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$build-asan/tests/kopp_unit_tests" --order rand

echo "== all tests (unit, control plane acceptance, integration, package)"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
