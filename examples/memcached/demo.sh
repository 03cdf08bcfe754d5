#!/usr/bin/env bash
# A walk-through of memcached-operator on kopp's local control plane: start the control
# plane, install the CRD, run the operator, create a Memcached, scale it, see its webhook
# refuse one over the namespace's budget, show what it did, stop everything.
#
#   examples/memcached/demo.sh <kopp-controlplane binary> <kopp build dir>
#   KEEP=1 examples/memcached/demo.sh ...   # leave the control plane (and operator) running
#
# The build dir must contain examples/memcached/memcached-operator (cmake --build <dir>
# --target memcached-operator).
set -euo pipefail
cp_bin=${1:?usage: demo.sh <kopp-controlplane binary> <kopp build dir>}
build=${2:?usage: demo.sh <kopp-controlplane binary> <kopp build dir>}
example=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
operator="$build/examples/memcached/memcached-operator"
plane=${CONTROLPLANE_DIR:-$build/demo-controlplane}
[[ -x $operator ]] || { echo "demo: $operator not built (cmake --build $build --target memcached-operator)" >&2; exit 1; }

operator_pid=
stop() {
  if [[ -n $operator_pid ]] && kill -0 "$operator_pid" 2>/dev/null; then
    kill -TERM "$operator_pid" && wait "$operator_pid" || true
  fi
  "$cp_bin" down --dir "$plane" >/dev/null 2>&1 || true
}

echo "== starting the control plane in $plane"
"$cp_bin" down --dir "$plane" >/dev/null 2>&1 || true
[[ -n ${KEEP:-} ]] || trap stop EXIT
"$cp_bin" up --dir "$plane"
export KUBECONFIG="$plane/admin.kubeconfig"
k() { "$cp_bin" kubectl "$@"; }

echo "== installing the Memcached CRD (generated from the C++ types)"
k apply -f "$example/config/crd/cache.example.com_memcacheds.yaml"
k wait --for=condition=Established --timeout=60s crd/memcacheds.cache.example.com

echo "== running the operator (log: $build/memcached-operator.log)"
# Its validating webhook on 127.0.0.1 with a generated certificate, registered with the API
# server by the operator itself (--webhook-configuration-name: the local development mode).
"$operator" --health-probe-bind-address 127.0.0.1:0 --metrics-bind-address 0 \
  --webhook-bind-address 127.0.0.1:0 --webhook-configuration-name memcached-operator-demo --max-pods-per-namespace 8 \
  >"$build/memcached-operator.log" 2>&1 &
operator_pid=$!

echo "== creating a Memcached of size 3"
k apply -f "$example/config/samples/cache_v1alpha1_memcached.yaml"
for _ in $(seq 1 60); do
  [[ $(k get deployment memcached-sample -o 'jsonpath={.spec.replicas}' 2>/dev/null) == 3 ]] && break
  sleep 0.5
done
for _ in $(seq 1 60); do
  [[ $(k get memcached memcached-sample -o 'go-template={{len .status.nodes}}' 2>/dev/null) == 3 ]] && break
  sleep 0.5
done
echo
k get memcached,deployments,pods -o wide
echo
echo "== scaling to 5 (kubectl patch memcached memcached-sample spec.size=5)"
k patch memcached memcached-sample --type merge -p '{"spec":{"size":5}}'
for _ in $(seq 1 60); do
  [[ $(k get memcached memcached-sample -o 'go-template={{len .status.nodes}}' 2>/dev/null) == 5 ]] && break
  sleep 0.5
done
k get memcached,deployments -o wide
echo
echo "== the validating webhook: one more Memcached of size 4 would make 9 pods in the namespace (budget 8)"
if k apply -f - <<'YAML'; then echo "demo: the webhook let it through" >&2; exit 1; fi
apiVersion: cache.example.com/v1alpha1
kind: Memcached
metadata:
  name: memcached-extra
spec:
  size: 4
YAML
echo
echo "== status (no kubelet runs here, so pods stay Pending and Available is False)"
k get memcached memcached-sample -o go-template='{{range .status.conditions}}{{printf "%-12s %-6s %-22s %s\n" .type .status .reason .message}}{{end}}nodes: {{range .status.nodes}}{{.}} {{end}}{{"\n"}}'
echo
echo "== events"
k events --for memcached/memcached-sample
echo
echo "== inventory (ConfigMap memcached-operator-inventory in the operator's namespace)"
k get configmap memcached-operator-inventory -o go-template='{{range $k, $v := .data}}{{$k}}: {{$v}}{{"\n"}}{{end}}'

if [[ -n ${KEEP:-} ]]; then
  echo
  echo "The control plane and the operator (pid $operator_pid) keep running. Try:"
  echo "  export KUBECONFIG=$KUBECONFIG"
  echo "  $cp_bin kubectl get memcached -w"
  echo "  kill $operator_pid; $cp_bin down --dir $plane      # when done"
  echo "(With the operator stopped, its webhook's failurePolicy Fail refuses Memcached writes:"
  echo " $cp_bin kubectl delete validatingwebhookconfiguration memcached-operator-demo)"
else
  echo
  echo "== stopping the operator (SIGTERM) and the control plane"
fi
