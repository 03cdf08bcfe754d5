#!/usr/bin/env bash
# The main job, on a fresh machine: install dependencies, build the local control plane
# (real etcd + kube-apiserver + kube-controller-manager from the Kubernetes Go modules) and
# the Memcached example operator, start the control plane, run the operator, apply a
# sample Memcached and show the Deployment, pods, status and events it produced.
#
#   scripts/demo.sh             # runs the demo, then stops the operator and control plane
#   KEEP=1 scripts/demo.sh      # leaves them running for you to explore
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"

echo "== building the local control plane (first build downloads Go modules: several minutes)"
"$root/tools/controlplane/build.sh" "$build/controlplane-bin"
cp_bin="$build/controlplane-bin/kopp-controlplane"

echo "== building the Memcached example operator"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKOPP_BUILD_EXAMPLE_OPERATORS=ON >/dev/null
cmake --build "$build" --target memcached-operator

# Starts the control plane, installs the CRD, runs the operator, applies a sample
# Memcached, scales it, prints what the operator did, and stops everything (KEEP=1 keeps
# the control plane and the operator running).
exec "$root/examples/memcached/demo.sh" "$cp_bin" "$build"
