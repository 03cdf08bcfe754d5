#!/usr/bin/env bash
# package.scaffold: a newcomer's first ten minutes, from the installed package only. The
# installed `kopp` command scaffolds a project in a temporary directory outside kopp's tree
# (`kopp init`, then `kopp create api` for a namespaced and a cluster-scoped kind); running
# the commands again changes nothing; the project configures against the installed kopp
# (find_package), builds with warnings as errors, writes its CRDs, and passes its own
# generated tests as generated: unit tests on the fake cluster, the CRD up-to-date tests, and
# the end-to-end tests on a control plane of its own (the controllers as the operator's
# ServiceAccount with config/rbac's role; config/default rendered by kustomize and accepted
# by the API server in a server-side dry run).
#
#   scaffold.sh PREFIX CONTROLPLANE_BIN_DIR KOPP_SOURCE_DIR
#
# KOPP_KEEP_WORK=1 keeps the temporary directory for a look after a failure.
set -euo pipefail

prefix=$(cd "${1:?PREFIX}" && pwd)
cp_bin=${2:?CONTROLPLANE_BIN_DIR}
kopp_source=$(cd "${3:?KOPP_SOURCE_DIR}" && pwd)
jobs=${JOBS:-$(nproc)}
kopp=$prefix/bin/kopp

work=$(mktemp -d "${TMPDIR:-/tmp}/kopp-scaffold.XXXXXX")
case "$work/" in
  "$kopp_source"/*) echo "FAIL: the temporary directory $work is inside kopp's tree" >&2; exit 1 ;;
esac
project=$work/shop-operator
build=$work/build

cleanup() {
  local rc=$?
  if [[ -x $cp_bin/kopp-controlplane && -d $build/controlplane ]]; then
    "$cp_bin/kopp-controlplane" down --dir "$build/controlplane" >/dev/null 2>&1 || true
  fi
  if [[ $rc -ne 0 && -n ${KOPP_KEEP_WORK:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo; echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "kopp init and kopp create api with the installed $kopp"
[[ -x $kopp ]] || fail "the package installed no kopp command ($kopp)"
"$kopp" version
"$kopp" init --domain example.com --name shop-operator "$project"
(cd "$project" && "$kopp" create api --group cache --version v1alpha1 --kind Memcached)
"$kopp" create api --group infra --version v1 --kind Zone --cluster-scoped --project-dir "$project"

step "running the commands again changes nothing"
again=$( "$kopp" init --domain example.com --name shop-operator "$project"
         "$kopp" create api --group cache --version v1alpha1 --kind Memcached --project-dir "$project"
         "$kopp" create api --group infra --version v1 --kind Zone --cluster-scoped --project-dir "$project" )
echo "$again"
if grep -E '^ +(created|updated|overwrote|kept) ' <<<"$again"; then fail "a second run wrote the files above"; fi

step "an edited file is kept, and said so"
echo "// edited" >>"$project/src/memcached_controller.cpp"
kept=$("$kopp" create api --group cache --version v1alpha1 --kind Memcached --project-dir "$project")
grep -q 'kept       src/memcached_controller.cpp' <<<"$kept" || fail "the edited controller was not reported as kept"
tail -1 "$project/src/memcached_controller.cpp" | grep -q '// edited' || fail "the edited controller was overwritten"
if "$kopp" create api --group cache --version v1 --kind Memcached --project-dir "$project" 2>"$work/err.txt"; then
  fail "a second version of Memcached was scaffolded without a conversion"
fi
grep -q 'conversion' "$work/err.txt" || fail "the refusal of a second version does not say why: $(cat "$work/err.txt")"
if grep -rIl -- "$kopp_source" "$project"; then fail "the files above name kopp's tree ($kopp_source)"; fi

step "configure against the installed kopp in $prefix, build with warnings as errors"
cmake -S "$project" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g0 \
  -DCMAKE_CXX_FLAGS=-Werror -DCMAKE_PREFIX_PATH="$prefix" -DKOPP_CONTROLPLANE_BIN_DIR="$cp_bin"
found=$(sed -n 's/^kopp_DIR:PATH=//p' "$build/CMakeCache.txt")
case "$found" in
  "$prefix"/*) echo "kopp found in $found" ;;
  *) fail "kopp was found in '$found', not in the installed prefix $prefix" ;;
esac
cmake --build "$build" -j "$jobs"
for crd in cache.example.com_memcacheds.yaml infra.example.com_zones.yaml; do
  [[ -s $project/config/crd/bases/$crd ]] || fail "the build wrote no config/crd/bases/$crd"
done
grep -q 'scope: Cluster' "$project/config/crd/bases/infra.example.com_zones.yaml" || fail "Zone's CRD is not cluster-scoped"
"$build/shop-operator" --help >"$work/help.txt"
grep -q -- '--leader-elect' "$work/help.txt" || fail "shop-operator --help does not list --leader-elect"

step "the project's own tests, as generated"
ctest --test-dir "$build" -N | tee "$work/tests.txt"
for test in unit e2e memcached.crd_up_to_date zone.crd_up_to_date; do
  grep -q "Test *#[0-9]*: $test\$" "$work/tests.txt" || fail "the project registers no test $test"
done
# Each kind's test cases and the deploy test are in the executables ctest runs.
unit_cases=$("$build/shop_operator_unit_tests" --list-test-names-only | grep -c 'becomes Available' || true)
e2e_cases=$("$build/shop_operator_e2e_tests" --list-test-names-only | grep -c -E 'real API server|config/default' || true)
[[ $unit_cases == 2 && $e2e_cases == 3 ]] || fail "expected 2 unit and 3 e2e test cases, found $unit_cases and $e2e_cases"
ctest --test-dir "$build" --output-on-failure -j "$jobs"
echo "PASS: a project scaffolded by the installed kopp builds outside kopp's tree and passes its generated tests"
