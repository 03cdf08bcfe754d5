#!/usr/bin/env bash
# package.example.<name>: "copy this folder" works. An example operator is copied to a
# temporary directory outside kopp's tree and built there as a project of its own against
# kopp installed to a prefix (find_package, nothing fetched; the compiled mode, kopp::compiled,
# as the examples link it); its whole test suite runs in
# the copy (unit tests, the CRD up-to-date test, and the end-to-end test on a control plane
# of its own, through the installed KoppControlPlane.cmake); then its Dockerfile's build
# stage runs from the copy's root (dockerfile_build_stage.py: kopp fetched from git at
# KOPP_GIT_TAG, as an image build does) and the binary it produced starts.
#
#   copied_example.sh EXAMPLE_DIR PREFIX CONTROLPLANE_BIN_DIR KOPP_SOURCE_DIR [KOPP_GIT_TAG]
#
# CONTROLPLANE_BIN_DIR: where kopp-controlplane is (or is built, once: its build is skipped
# while the installed Go sources match). Without KOPP_GIT_TAG (kopp's source is not a git
# checkout) the Dockerfile step is left out, and the output says so.
# KOPP_EXAMPLE_CMAKE_ARGS: more configure arguments (kopp's CTest turns warnings into errors).
# KOPP_EXAMPLE_IMAGE_STAGE=0 leaves the Dockerfile step out (for a quicker local run).
# KOPP_KEEP_WORK=1 keeps the temporary directory for a look after a failure.
set -euo pipefail

example=$(cd "${1:?EXAMPLE_DIR}" && pwd)
prefix=$(cd "${2:?PREFIX}" && pwd)
cp_bin=${3:?CONTROLPLANE_BIN_DIR}
kopp_source=$(cd "${4:?KOPP_SOURCE_DIR}" && pwd)
kopp_tag=${5:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=$(basename "$example")
jobs=${JOBS:-$(nproc)}

work=$(mktemp -d "${TMPDIR:-/tmp}/kopp-example-$name.XXXXXX")
# When kopp's CTest runs this with ccache as the compiler launcher: paths under the temporary
# directories' parent hash alike, so the other outside-tree builds reuse what this one compiles.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$work")}
case "$work/" in
  "$kopp_source"/*) echo "FAIL: the temporary directory $work is inside kopp's tree" >&2; exit 1 ;;
esac
project=$work/$name
build=$work/build

cleanup() {
  local rc=$?
  # The copy's control plane (its CTest fixture stops it; this is for an interrupted run).
  if [[ -x $cp_bin/kopp-controlplane && -d $build/controlplane ]]; then
    "$cp_bin/kopp-controlplane" down --dir "$build/controlplane" >/dev/null 2>&1 || true
  fi
  if [[ $rc -ne 0 && -n ${KOPP_KEEP_WORK:-} ]]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

step() { echo; echo "== $*"; }

step "copy $example to $project"
mkdir -p "$project"
# The folder as a user copies it, without build directories an in-tree build may have left.
(cd "$example" && tar --exclude='./build*' -cf - .) | (cd "$project" && tar -xf -)
if grep -rIl -- "$kopp_source" "$project"; then
  echo "FAIL: the files above name kopp's tree ($kopp_source)" >&2
  exit 1
fi

step "configure against the installed kopp in $prefix"
cmake -S "$project" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g0 \
  -DCMAKE_PREFIX_PATH="$prefix" -DKOPP_CONTROLPLANE_BIN_DIR="$cp_bin" \
  ${KOPP_EXAMPLE_CMAKE_ARGS:-}
found=$(sed -n 's/^kopp_DIR:PATH=//p' "$build/CMakeCache.txt")
case "$found" in
  "$prefix"/*) echo "kopp found in $found" ;;
  *) echo "FAIL: kopp was found in '$found', not in the installed prefix $prefix" >&2; exit 1 ;;
esac

step "build"
cmake --build "$build" -j "$jobs"
# The examples link kopp::compiled: the installed package's compiled mode, built here from
# the installed headers (what package.find_package does for header-only mode).
compiled_lib=$(find "$build" -name libkopp_compiled.a -print -quit)
if [[ -z $compiled_lib ]]; then
  echo "FAIL: the copy's build holds no kopp::compiled library (libkopp_compiled.a)" >&2
  exit 1
fi
if ! grep -q -- "-I$prefix/include\|-isystem $prefix/include" <(cd "$build" && ninja -t commands "${compiled_lib#"$build"/}"); then
  echo "FAIL: kopp::compiled was not compiled from the installed headers in $prefix/include" >&2
  exit 1
fi
echo "kopp::compiled built from the installed headers: ${compiled_lib#"$build"/}"

step "the project's tests (ctest in the copy)"
ctest --test-dir "$build" -N | tee "$work/tests.txt"
for kind in unit e2e crd_up_to_date; do
  grep -q "Test *#[0-9]*: $name\.$kind" "$work/tests.txt" || {
    echo "FAIL: the copied project registers no test $name.$kind" >&2
    exit 1
  }
done
ctest --test-dir "$build" --output-on-failure -j "$jobs"

if [[ ${KOPP_EXAMPLE_IMAGE_STAGE:-1} == 0 ]]; then
  echo "PASS: $name copied outside kopp's tree: built against the installed kopp, tests passed;" \
    "the Dockerfile's build stage NOT run (KOPP_EXAMPLE_IMAGE_STAGE=0)"
  exit 0
fi
if [[ -z $kopp_tag ]]; then
  echo "PASS: $name copied outside kopp's tree: built against the installed kopp, tests passed;" \
    "the Dockerfile's build stage (it fetches kopp from git) not run: kopp's source is not a git checkout"
  exit 0
fi

step "the Dockerfile's build stage, from the copy's root (kopp fetched from git at $kopp_tag)"
python3 "$here/dockerfile_build_stage.py" --context "$project" --root "$work/image" \
  --build-arg "KOPP_GIT_REPOSITORY=$kopp_source" --build-arg "KOPP_GIT_TAG=$kopp_tag"
binary=$work/image/workspace/build/$name-operator
"$binary" --help >"$work/help.txt"
grep -q -- '--leader-elect' "$work/help.txt" || { echo "FAIL: $binary --help does not list --leader-elect" >&2; exit 1; }
echo "PASS: $name copied outside kopp's tree: built against the installed kopp, tests passed, image build stage ran"
