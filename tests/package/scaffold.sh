#!/usr/bin/env bash
# package.scaffold: a newcomer's first ten minutes, from the installed package only. The
# installed `kopp` command scaffolds a project in a temporary directory outside kopp's tree
# (`kopp init`, `kopp create api` for a namespaced and a cluster-scoped kind, admission
# webhooks for both, a second version of one with a conversion webhook); running
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
# When kopp's CTest runs this with ccache as the compiler launcher: paths under the temporary
# directories' parent hash alike, so the other outside-tree builds reuse what this one compiles.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(dirname "$work")}
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
(cd "$project" && "$kopp" create webhook --group cache --version v1alpha1 --kind Memcached --defaulting --validation)
"$kopp" create webhook --group infra --version v1 --kind Zone --validation --project-dir "$project"
# Memcached in a second version, converted to and from v1alpha1 (stored, reconciled) by a webhook.
"$kopp" create api --group cache --version v1beta1 --kind Memcached --project-dir "$project"
"$kopp" create webhook --group cache --version v1alpha1 --kind Memcached --conversion --spoke v1beta1 \
  --project-dir "$project"

step "running the commands again changes nothing"
again=$( "$kopp" init --domain example.com --name shop-operator "$project"
         "$kopp" create api --group cache --version v1alpha1 --kind Memcached --project-dir "$project"
         "$kopp" create api --group infra --version v1 --kind Zone --cluster-scoped --project-dir "$project"
         "$kopp" create webhook --group cache --version v1alpha1 --kind Memcached --defaulting --project-dir "$project"
         "$kopp" create webhook --group infra --version v1 --kind Zone --validation --project-dir "$project"
         "$kopp" create api --group cache --version v1beta1 --kind Memcached --project-dir "$project"
         "$kopp" create webhook --group cache --version v1alpha1 --kind Memcached --conversion --spoke v1beta1 \
           --project-dir "$project" )
echo "$again"
if grep -E '^ +(created|updated|overwrote|kept) ' <<<"$again"; then fail "a second run wrote the files above"; fi

step "an edited file is kept, and said so"
echo "// edited" >>"$project/src/memcached_controller.cpp"
kept=$("$kopp" create api --group cache --version v1alpha1 --kind Memcached --project-dir "$project")
grep -q 'kept       src/memcached_controller.cpp' <<<"$kept" || fail "the edited controller was not reported as kept"
tail -1 "$project/src/memcached_controller.cpp" | grep -q '// edited' || fail "the edited controller was overwritten"
if "$kopp" create webhook --group cache --version v1beta1 --kind Memcached --conversion --spoke v1alpha1 \
     --project-dir "$project" 2>"$work/err.txt"; then
  fail "a conversion webhook was scaffolded with a version that is not the hub as the hub"
fi
grep -q 'the hub is v1alpha1' "$work/err.txt" || fail "the refusal of a hub does not name the hub: $(cat "$work/err.txt")"
if "$kopp" create webhook --group cache --version v1alpha1 --kind Memcached --conversion --spoke v2 \
     --project-dir "$project" 2>"$work/err.txt"; then
  fail "a conversion webhook was scaffolded for a version the project does not have"
fi
grep -q 'kopp create api --group cache --version v2 --kind Memcached' "$work/err.txt" ||
  fail "the refusal of an unknown spoke does not say what to run: $(cat "$work/err.txt")"
if "$kopp" create webhook --group cache --version v1alpha1 --kind Cache --validation --project-dir "$project" 2>"$work/err.txt"; then
  fail "a webhook was scaffolded for a kind the project does not have"
fi
grep -q 'kopp create api --group cache --version v1alpha1 --kind Cache' "$work/err.txt" ||
  fail "the refusal of a webhook for an unknown kind does not say what to run: $(cat "$work/err.txt")"
if grep -rIl -- "$kopp_source" "$project"; then fail "the files above name kopp's tree ($kopp_source)"; fi

step "configure against the installed kopp in $prefix, build with warnings as errors"
cmake -S "$project" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g0 \
  -DSHOP_OPERATOR_WARNINGS_AS_ERRORS=ON -DCMAKE_PREFIX_PATH="$prefix" -DKOPP_CONTROLPLANE_BIN_DIR="$cp_bin"
found=$(sed -n 's/^kopp_DIR:PATH=//p' "$build/CMakeCache.txt")
case "$found" in
  "$prefix"/*) echo "kopp found in $found" ;;
  *) fail "kopp was found in '$found', not in the installed prefix $prefix" ;;
esac
grep -q -- '-Werror' <(cd "$build" && ninja -t commands shop-operator) || fail "-DSHOP_OPERATOR_WARNINGS_AS_ERRORS=ON did not add -Werror"
cmake --build "$build" -j "$jobs"
for crd in cache.example.com_memcacheds.yaml infra.example.com_zones.yaml; do
  [[ -s $project/config/crd/bases/$crd ]] || fail "the build wrote no config/crd/bases/$crd"
done
# The ClusterRole, from the controllers' declarations: each kind's informer, its status,
# Events; the e2e tests run the controllers bound to it.
role=$project/config/rbac/role.yaml
[[ -s $role ]] || fail "the build wrote no config/rbac/role.yaml"
for resource in memcacheds memcacheds/status zones zones/status events; do
  grep -q -- "- $resource\$" "$role" || fail "config/rbac/role.yaml grants nothing on $resource: $(cat "$role")"
done
grep -q -- '- leases$' "$project/config/rbac/leader_election_role.yaml" ||
  fail "the build wrote no config/rbac/leader_election_role.yaml granting the Lease"
# The webhook configurations: Memcached's defaulting and validating webhooks, Zone's validating one.
manifests=$project/config/webhook/manifests.yaml
[[ -s $manifests ]] || fail "the build wrote no config/webhook/manifests.yaml"
for path in /mutate-cache-example-com-v1alpha1-memcached /validate-cache-example-com-v1alpha1-memcached \
            /validate-infra-example-com-v1-zone; do
  grep -q "path: $path\$" "$manifests" || fail "config/webhook/manifests.yaml has no webhook at $path"
done
grep -q '/mutate-infra' "$manifests" && fail "config/webhook/manifests.yaml has a defaulting webhook for Zone"
grep -q 'scope: Cluster' "$project/config/crd/bases/infra.example.com_zones.yaml" || fail "Zone's CRD is not cluster-scoped"
# Memcached's CRD serves both versions, stores v1alpha1, and converts through the webhook.
memcached_crd=$project/config/crd/bases/cache.example.com_memcacheds.yaml
for line in '- name: v1alpha1' '- name: v1beta1' 'strategy: Webhook' 'path: /convert'; do
  grep -q -- "$line" "$memcached_crd" || fail "Memcached's CRD has no '$line': $(cat "$memcached_crd")"
done
[[ $(grep -c 'storage: true' "$memcached_crd") == 1 ]] || fail "Memcached's CRD does not store exactly one version"
"$build/shop-operator" --help >"$work/help.txt"
grep -q -- '--leader-elect' "$work/help.txt" || fail "shop-operator --help does not list --leader-elect"

step "the project's own tests, as generated"
ctest --test-dir "$build" -N | tee "$work/tests.txt"
for test in unit e2e memcached.crd_up_to_date zone.crd_up_to_date webhook_manifests_up_to_date rbac_up_to_date \
            leader_election_role_up_to_date; do
  grep -q "Test *#[0-9]*: $test\$" "$work/tests.txt" || fail "the project registers no test $test"
done
# Each kind's test cases and the deploy test are in the executables ctest runs.
unit_cases=$("$build/shop_operator_unit_tests" --list-test-names-only |
             grep -c -E 'becomes Available|webhooks:|conversion:' || true)
e2e_cases=$("$build/shop_operator_e2e_tests" --list-test-names-only |
            grep -c -E 'real API server|config/default|API server calls them|API server converts' || true)
# Unit: 2 controllers; Memcached's defaulter, validator and manifests; Zone's validator and
# manifests; Memcached's v1beta1 conversions and CRD. End to end: 2 controllers, 2 kinds'
# webhooks, Memcached's conversion, config/default rendered three times.
[[ $unit_cases == 9 && $e2e_cases == 8 ]] || fail "expected 9 unit and 8 e2e test cases, found $unit_cases and $e2e_cases"
# In a temporary directory of their own: the e2e tests' ServiceAccount kubeconfigs hold
# tokens, and none may be left behind.
mkdir "$work/test-tmp"
TMPDIR=$work/test-tmp ctest --test-dir "$build" --output-on-failure -j "$jobs"
left=$(find "$work/test-tmp" -mindepth 1)
[[ -z $left ]] || fail "the tests left files in their temporary directory: $left"
echo "PASS: a project scaffolded by the installed kopp builds outside kopp's tree and passes its generated tests"
