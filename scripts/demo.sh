#!/usr/bin/env bash
# The main job, on a fresh machine: install dependencies, build the local control plane
# (real etcd + kube-apiserver + kube-controller-manager from the Kubernetes Go modules) and
# kopp's example, start the control plane, and run the example against it.
#
#   scripts/demo.sh             # runs the demo, then stops the control plane
#   KEEP=1 scripts/demo.sh      # leaves the control plane running for you to explore
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
plane=${CONTROLPLANE_DIR:-$build/demo-controlplane}

"$root/scripts/install-deps.sh"

echo "== building the local control plane (first build downloads Go modules: several minutes)"
"$root/tools/controlplane/build.sh" "$build/controlplane-bin"
cp_bin="$build/controlplane-bin/kopp-controlplane"

echo "== building kopp's example"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target list-namespaces

echo "== starting the control plane in $plane"
"$cp_bin" down --dir "$plane" >/dev/null 2>&1 || true
if [[ -z "${KEEP:-}" ]]; then
  trap '"$cp_bin" down --dir "$plane" >/dev/null 2>&1 || true' EXIT
fi
"$cp_bin" up --dir "$plane"
export KUBECONFIG="$plane/admin.kubeconfig"

echo "== kopp lists the namespaces of the real kube-apiserver"
"$build/examples/list-namespaces/list-namespaces"

if [[ -n "${KEEP:-}" ]]; then
  echo
  echo "The control plane keeps running. Try:"
  echo "  export KUBECONFIG=$plane/admin.kubeconfig"
  echo "  $cp_bin kubectl get namespaces"
  echo "  $cp_bin down --dir $plane      # when done"
fi
