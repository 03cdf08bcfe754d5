#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds kopp's tests and the local control
# plane, and runs every test — unit tests under AddressSanitizer + UndefinedBehaviorSanitizer,
# the fuzz targets (libFuzzer, a bounded time each), the runtime's unit tests under
# ThreadSanitizer, and the integration tests against a real kube-apiserver (CTest starts one
# control plane for them and stops it afterwards).
#
#   scripts/test.sh            # everything
#   BUILD_DIR=... scripts/test.sh
#   KOPP_FUZZ_SECONDS=300 scripts/test.sh   # fuzz longer than the default 20 s per target
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

"$root/scripts/install-deps.sh"
# rustup installs cargo here; the benchmark harness (bench.quick) builds the kube-rs peer.
if [[ -d "$HOME/.cargo/bin" ]]; then export PATH="$HOME/.cargo/bin:$PATH"; fi

# The unit tests build and run twice, under the sanitizers only: AddressSanitizer +
# UndefinedBehaviorSanitizer (all of them) and ThreadSanitizer (the runtime's). The main build
# (integration tests, examples, benchmarks, packaging) does not compile them a third time.
echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer ($build-asan)"
cmake -S "$root" -B "$build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DKOPP_SANITIZE=ON -DKOPP_BUILD_INTEGRATION_TESTS=OFF -DKOPP_BUILD_EXAMPLES=OFF \
  -DKOPP_BUILD_BENCHMARKS=OFF -DKOPP_INSTALL=OFF
cmake --build "$build-asan" -j "$jobs" --target kopp_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$build-asan/tests/kopp_unit_tests" --order rand --warn NoAssertions

echo "== fuzz targets, ${KOPP_FUZZ_SECONDS:-20} s each, on their committed corpora ($build-fuzz)"
# libFuzzer needs Clang; tests/fuzz is a project of its own. Each target first replays its
# corpus (seeds and the inputs of past crashes), then mutates for the time given.
cmake -S "$root/tests/fuzz" -B "$build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14
cmake --build "$build-fuzz" -j "$jobs"
"$root/tests/fuzz/run.sh" "$build-fuzz" "${KOPP_FUZZ_SECONDS:-20}" "$jobs"

echo "== runtime unit tests under ThreadSanitizer ($build-tsan)"
cmake -S "$root" -B "$build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DKOPP_SANITIZE_THREAD=ON -DKOPP_BUILD_INTEGRATION_TESTS=OFF -DKOPP_BUILD_EXAMPLES=OFF \
  -DKOPP_BUILD_BENCHMARKS=OFF -DKOPP_INSTALL=OFF
cmake --build "$build-tsan" -j "$jobs" --target kopp_runtime_unit_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
  "$build-tsan/tests/kopp_runtime_unit_tests" --order rand --warn NoAssertions

echo "== configure + build ($build)"
# Debug: the tests compile faster, and assertions stay on.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKOPP_BUILD_UNIT_TESTS=OFF
cmake --build "$build" -j "$jobs"

echo "== all tests (control plane acceptance, integration, examples, package, compile checks)"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
