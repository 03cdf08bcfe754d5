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
# Each stage's heading says how long the run has taken so far (CI time is budgeted).
started=$SECONDS
stage() { echo "== $* [$((SECONDS - started)) s]"; }

"$root/scripts/install-deps.sh"
# rustup installs cargo here; the benchmark harness (bench.quick) builds the kube-rs peer.
if [[ -d "$HOME/.cargo/bin" ]]; then export PATH="$HOME/.cargo/bin:$PATH"; fi

# The local control plane (Go) and the benchmark's Go and Rust peers build in the
# background while the C++ builds below run: on a fresh machine much of their time is
# downloading Go modules and crates. CTest's fixture and bench.quick then find them built.
# Not niced: at low priority the cold Go build had barely started when the C++ builds
# ended (47 CPU-seconds in 38 minutes), and CTest then waited for all of it. Stopped if
# this script fails first.
mkdir -p "$build"
prebuild_log="$build/prebuild.log"
bash -c 'set -e
  bash "$1/tools/controlplane/build.sh" "$2/controlplane-bin"
  echo "prebuild: the control plane built after $SECONDS s"
  python3 "$1/bench/run.py" --build-peers-only --quick --build-dir "$2/bench/quick"
  echo "prebuild: the benchmark peers built after $SECONDS s"' _ "$root" "$build" \
  >"$prebuild_log" 2>&1 &
prebuild_pid=$!
trap 'kill "$prebuild_pid" 2>/dev/null || true' EXIT

# The unit tests build and run twice, under the sanitizers only: AddressSanitizer +
# UndefinedBehaviorSanitizer (all of them) and ThreadSanitizer (the runtime's). The main build
# (integration tests, examples, benchmarks, packaging) does not compile them a third time.
stage "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer ($build-asan)"
# -g1 (line tables): sanitizer reports and backtraces name files and lines; full debug
# info would cost about an eighth more compile time and much more link time.
cmake -S "$root" -B "$build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DKOPP_SANITIZE=ON -DKOPP_BUILD_INTEGRATION_TESTS=OFF -DKOPP_BUILD_EXAMPLES=OFF \
  -DKOPP_BUILD_BENCHMARKS=OFF -DKOPP_INSTALL=OFF
cmake --build "$build-asan" -j "$jobs" --target kopp_unit_tests
# They run (about two minutes, on one core) while the fuzz targets build; the result is
# read after that stage. handle_sigill: UBSan traps (tests/CMakeLists.txt); ASan prints where.
asan_log="$build-asan/unit-tests.log"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:handle_sigill=1 \
  "$build-asan/tests/kopp_unit_tests" --order rand --warn NoAssertions >"$asan_log" 2>&1 &
asan_pid=$!
trap 'kill "$prebuild_pid" "$asan_pid" 2>/dev/null || true' EXIT

stage "fuzz targets, ${KOPP_FUZZ_SECONDS:-20} s each, on their committed corpora ($build-fuzz)"
# libFuzzer needs Clang; tests/fuzz is a project of its own. Each target first replays its
# corpus (seeds and the inputs of past crashes), then mutates for the time given.
cmake -S "$root/tests/fuzz" -B "$build-fuzz" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14
cmake --build "$build-fuzz" -j "$jobs"
"$root/tests/fuzz/run.sh" "$build-fuzz" "${KOPP_FUZZ_SECONDS:-20}" "$jobs"

stage "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer: result ($asan_log)"
if ! wait "$asan_pid"; then
  cat "$asan_log" >&2
  echo "test.sh: the unit tests failed under AddressSanitizer + UndefinedBehaviorSanitizer (output above)" >&2
  exit 1
fi
tail -n 3 "$asan_log"

stage "runtime unit tests under ThreadSanitizer ($build-tsan)"
cmake -S "$root" -B "$build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DKOPP_SANITIZE_THREAD=ON -DKOPP_BUILD_INTEGRATION_TESTS=OFF -DKOPP_BUILD_EXAMPLES=OFF \
  -DKOPP_BUILD_BENCHMARKS=OFF -DKOPP_INSTALL=OFF
# Also the Manager's multi-threaded integration tests, against this tree's instrumented
# kopp::compiled: the main build's CTest runs them on the control plane (integration.tsan.*).
cmake --build "$build-tsan" -j "$jobs" --target kopp_runtime_unit_tests kopp_integration_tsan_tests
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
  "$build-tsan/tests/kopp_runtime_unit_tests" --order rand --warn NoAssertions

stage "configure + build ($build)"
# Debug: the tests compile faster, and assertions stay on. The example operators build once,
# in their package tests (copied out of the tree, against the installed kopp).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DKOPP_BUILD_UNIT_TESTS=OFF \
  -DKOPP_BUILD_EXAMPLE_OPERATORS=OFF -DKOPP_TSAN_INTEGRATION_EXECUTABLE="$build-tsan/tests/kopp_integration_tsan_tests"
cmake --build "$build" -j "$jobs"

stage "waiting for the control plane and benchmark peers built in the background ($prebuild_log)"
if ! wait "$prebuild_pid"; then
  cat "$prebuild_log" >&2
  echo "test.sh: building the control plane or the benchmark peers failed (log above)" >&2
  exit 1
fi
grep '^prebuild:' "$prebuild_log"  # when each part was ready (seconds since this script began building it)

stage "all tests (control plane acceptance, integration, examples, package, compile checks)"
# Includes the examples' Dockerfile build stages (package.example.*: kopp fetched from git,
# a Release build of each operator; about 3 CPU-minutes each). KOPP_EXAMPLE_IMAGE_STAGE=0
# leaves them out of a local run.
ctest --test-dir "$build" --output-on-failure -j "$jobs"
stage "all tests passed"
