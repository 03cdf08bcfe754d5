#!/usr/bin/env bash
# End-to-end test of memcached-operator against a real control plane (kopp's local one:
# etcd + kube-apiserver + kube-controller-manager, no scheduler and no kubelet).
#
#   e2e.sh <memcached-operator binary> <memcached-rbac-audit binary>
#   env: KUBECONFIG (admin), KOPP_CONTROLPLANE (the kopp-controlplane binary, for kubectl
#        and mint-kubeconfig), KOPP_CONTROLPLANE_DIR (its state directory)
#
# The operator runs as a separate process authenticated as its own ServiceAccount, bound
# to the RBAC manifests of config/rbac: when a rule is missing, the test fails. Its
# validating webhook is registered from config/webhook (the generated manifests, pointed at
# https://127.0.0.1:<port> and scoped to the test's namespace), with a certificate made
# here with openssl and rotated while it runs. Names are unique per run, so it can run next
# to other tests on the same control plane; the CRD is shared (applying it is idempotent).
set -euo pipefail

operator_bin=${1:?usage: e2e.sh <memcached-operator binary> <memcached-rbac-audit binary>}
rbac_audit=${2:?usage: e2e.sh <memcached-operator binary> <memcached-rbac-audit binary>}
: "${KUBECONFIG:?KUBECONFIG must point at the admin kubeconfig}"
: "${KOPP_CONTROLPLANE:?KOPP_CONTROLPLANE must be the kopp-controlplane binary}"
: "${KOPP_CONTROLPLANE_DIR:?KOPP_CONTROLPLANE_DIR must be the control plane directory}"
example_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

id=$(tr -dc 'a-z0-9' </dev/urandom | head -c 6 || true)
ns=mc-e2e-$id                 # where the Memcached lives
operator_ns=mc-e2e-$id-system # where the operator, its Lease and its inventory live
sa=memcached-operator-$id
name=sessions
inventory=memcached-operator-inventory
work=$(mktemp -d)
operator_pid=

k() { "$KOPP_CONTROLPLANE" kubectl --kubeconfig "$KUBECONFIG" "$@"; }

operator_log() {
  if [[ -f $work/operator.log ]]; then
    echo "--- operator log (last 60 lines) ---" >&2
    tail -n 60 "$work/operator.log" >&2
  fi
}

fail() {
  echo "FAIL: $*" >&2
  operator_log
  exit 1
}

cleanup() {
  local rc=$?
  # First: with failurePolicy Fail, the configuration would refuse the cleanup's writes
  # once the operator is gone.
  k delete validatingwebhookconfiguration "memcached-operator-validating-webhook-configuration-$id" \
    --ignore-not-found >/dev/null 2>&1 || true
  if [[ -n $operator_pid ]] && kill -0 "$operator_pid" 2>/dev/null; then
    kill -KILL "$operator_pid" 2>/dev/null || true
    wait "$operator_pid" 2>/dev/null || true
  fi
  # Memcacheds left by a failed run keep their finalizer; drop it so the namespace can go.
  for m in $(k -n "$ns" get memcached -o name 2>/dev/null); do
    k -n "$ns" patch "$m" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  k delete namespace "$ns" "$operator_ns" --wait=false --ignore-not-found >/dev/null 2>&1 || true
  k delete clusterrolebinding "memcached-operator-manager-$id" --ignore-not-found >/dev/null 2>&1 || true
  k delete clusterrole "memcached-operator-manager-$id" --ignore-not-found >/dev/null 2>&1 || true
  rm -rf "$work"
  if [[ $rc -eq 0 ]]; then echo "PASS: memcached e2e"; fi
}
trap cleanup EXIT

# field <kubectl get args...> -- prints one value (jsonpath or go-template given by the caller)
# wait_for <description> <timeout s> <expected> <kubectl get args...>
#   polls `kubectl get <args>` until it prints <expected>; fails naming what it waited for
#   and the last value seen.
wait_for() {
  local what=$1 timeout=$2 expected=$3
  shift 3
  local deadline=$((SECONDS + timeout)) value=""
  while true; do
    value=$(k get "$@" 2>&1) || true
    [[ $value == "$expected" ]] && { echo "ok: $what"; return 0; }
    if [[ -n $operator_pid ]] && ! kill -0 "$operator_pid" 2>/dev/null; then
      fail "the operator exited while waiting for: $what"
    fi
    ((SECONDS < deadline)) || fail "timed out after ${timeout}s waiting for: $what (expected '$expected', last saw '$value')"
    sleep 0.5
  done
}

expect() { # expect <description> <actual> <expected>
  [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"
  echo "ok: $1"
}

pods_of() { # sorted names of the instance's pods that are not being deleted
  k -n "$ns" get pods -l "app.kubernetes.io/instance=$name" \
    -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}' |
    sort | paste -sd' ' -
}

echo "== command line"
"$operator_bin" --help >"$work/help.txt" 2>&1 || fail "--help exited with $? (expected 0)"
grep -q -- '--operator-namespace' "$work/help.txt" || fail "--help does not list --operator-namespace"
set +e
"$operator_bin" --no-such-flag >"$work/bad.out" 2>"$work/bad.err"
rc=$?
set -e
expect "a bad flag exits 2" "$rc" 2
grep -q -- 'no-such-flag' "$work/bad.err" || fail "a bad flag's error does not name it: $(cat "$work/bad.err")"

echo "== config/default renders (kustomize): the operator, its webhook, cert-manager's certificate"
rendered=$(k kustomize "$example_dir/config/default")
for kind in CustomResourceDefinition ClusterRole Deployment Service ValidatingWebhookConfiguration Issuer Certificate; do
  grep -qx "kind: $kind" <<<"$rendered" || fail "kubectl kustomize config/default has no $kind"
done
echo "ok: config/default has the CRD, RBAC, Deployment, webhook Service and configuration, Issuer and Certificate"

echo "== install: CRD, namespaces, RBAC (config/rbac with a unique name suffix)"
k apply --server-side --force-conflicts -f "$example_dir/config/crd/cache.example.com_memcacheds.yaml" >/dev/null
k wait --for=condition=Established --timeout=60s crd/memcacheds.cache.example.com >/dev/null
k create namespace "$ns" >/dev/null
k create namespace "$operator_ns" >/dev/null
mkdir -p "$work/rbac"
cat >"$work/rbac/kustomization.yaml" <<YAML
namespace: $operator_ns
nameSuffix: -$id
resources:
- $(realpath --relative-to="$work/rbac" "$example_dir/config/rbac")
YAML
k apply -k "$work/rbac" >/dev/null
"$KOPP_CONTROLPLANE" mint-kubeconfig --dir "$KOPP_CONTROLPLANE_DIR" --namespace "$operator_ns" \
  --serviceaccount "$sa" --out "$work/operator.kubeconfig" >/dev/null

echo "== the webhook's serving certificate: a CA, and a leaf for 127.0.0.1 (cert-manager's file names)"
certs=$work/certs
mkdir -p "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=memcached-e2e-ca" \
  -keyout "$work/ca.key" -out "$certs/ca.crt" 2>/dev/null
# issue_leaf <serial>: a new key and certificate from the CA, each file replaced by a rename
# as a Secret volume update does.
issue_leaf() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
  openssl x509 -req -in "$work/leaf.csr" -CA "$certs/ca.crt" -CAkey "$work/ca.key" -set_serial "$1" -days 1 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n') \
    -out "$work/leaf.crt" 2>/dev/null
  mv "$work/leaf.key" "$certs/tls.key"
  mv "$work/leaf.crt" "$certs/tls.crt"
}
issue_leaf 1

echo "== start the operator as ServiceAccount $operator_ns/$sa"
env -u KUBECONFIG "$operator_bin" --kubeconfig "$work/operator.kubeconfig" \
  --operator-namespace "$operator_ns" --leader-elect --leader-election-namespace "$operator_ns" \
  --metrics-bind-address 0 --health-probe-bind-address 0 \
  --webhook-bind-address 127.0.0.1:0 --webhook-cert-dir "$certs" --max-pods-per-namespace 6 \
  >"$work/operator.log" 2>&1 &
operator_pid=$!

echo "== register the webhook: config/webhook's manifests, at https://127.0.0.1:<port>, for namespace $ns only"
deadline=$((SECONDS + 30))
until port=$(grep -m1 'webhook server listening' "$work/operator.log" 2>/dev/null | grep -o 'port=[0-9]*' | cut -d= -f2) &&
  [[ -n $port ]]; do
  kill -0 "$operator_pid" 2>/dev/null || fail "the operator exited before its webhook server listened"
  ((SECONDS < deadline)) || fail "the operator did not log 'webhook server listening' within 30 s"
  sleep 0.2
done
served_serial() { # the serial number of the certificate a new TLS connection to the webhook gets
  openssl s_client -connect "127.0.0.1:$port" -CAfile "$certs/ca.crt" -verify_return_error </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null
}
expect "the webhook server presents the leaf, verified by the CA" "$(served_serial)" "serial=01"
mkdir -p "$work/webhook"
cat >"$work/webhook/kustomization.yaml" <<YAML
namespace: $operator_ns
nameSuffix: -$id
resources:
- $(realpath --relative-to="$work/webhook" "$example_dir/config/webhook")
patches:
- target: {kind: ValidatingWebhookConfiguration}
  patch: |-
    - {op: remove, path: /webhooks/0/clientConfig/service}
    - {op: add, path: /webhooks/0/clientConfig/url, value: "https://127.0.0.1:$port/validate-cache-example-com-v1alpha1-memcached"}
    - {op: add, path: /webhooks/0/clientConfig/caBundle, value: "$(base64 -w0 "$certs/ca.crt")"}
    - {op: add, path: /webhooks/0/namespaceSelector, value: {matchLabels: {kubernetes.io/metadata.name: $ns}}}
YAML
k apply -k "$work/webhook" >/dev/null

echo "== create a Memcached of size 2"
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: cache.example.com/v1alpha1
kind: Memcached
metadata:
  name: $name
spec:
  size: 2
YAML
wait_for "the Deployment has 2 replicas" 60 2 -n "$ns" deployment "$name" -o 'jsonpath={.spec.replicas}'
expect "the Deployment is controlled by the Memcached" \
  "$(k -n "$ns" get deployment "$name" -o 'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}')" \
  "Memcached/$name/true"
expect "the Service exposes port 11211" "$(k -n "$ns" get service "$name" -o 'jsonpath={.spec.ports[0].port}')" 11211
expect "the spec defaults were applied by the API server" \
  "$(k -n "$ns" get memcached "$name" -o 'jsonpath={.spec.image} {.spec.port}')" "memcached:1.6.38-alpine 11211"
expect "the finalizer is set" "$(k -n "$ns" get memcached "$name" -o 'jsonpath={.metadata.finalizers}')" \
  '["cache.example.com/inventory"]'
inventory_entry=(-n "$operator_ns" configmap "$inventory" -o "go-template={{with .data}}{{with index . \"$ns.$name\"}}{{.}}{{end}}{{end}}")
wait_for "the inventory lists the instance" 30 "$name.$ns.svc:11211" "${inventory_entry[@]}"
wait_for "the ReplicaSet controller made 2 pods" 60 2 -n "$ns" pods -l "app.kubernetes.io/instance=$name" \
  -o 'go-template={{len .items}}'
wait_for "status.nodes names the 2 pods" 60 "$(pods_of)" -n "$ns" memcached "$name" \
  -o 'go-template={{range $i, $n := .status.nodes}}{{if $i}} {{end}}{{$n}}{{end}}'

echo "== scale to 3 (patch spec.size)"
k -n "$ns" patch memcached "$name" --type merge -p '{"spec":{"size":3}}' >/dev/null
wait_for "the Deployment has 3 replicas" 60 3 -n "$ns" deployment "$name" -o 'jsonpath={.spec.replicas}'
wait_for "the ReplicaSet controller made 3 pods" 60 3 -n "$ns" pods -l "app.kubernetes.io/instance=$name" \
  -o 'go-template={{len .items}}'

echo "== webhook: a Memcached over the namespace's budget of 6 pods is refused with the validator's message"
over_budget() { # over_budget <size> [kubectl apply flags]: applies Memcached extra
  local size=$1
  shift
  k -n "$ns" apply "$@" -f - 2>&1 >/dev/null <<YAML
apiVersion: cache.example.com/v1alpha1
kind: Memcached
metadata:
  name: extra
spec:
  size: $size
YAML
}
# Until the registration reached the API server and the operator's cache synced, a write may
# pass or be refused as "not synced": probe with server-side dry runs, which store nothing
# and reach the webhook like real writes.
deadline=$((SECONDS + 30))
until ! refusal=$(over_budget 4 --dry-run=server) && [[ $refusal == *"over its budget"* ]]; do
  ((SECONDS < deadline)) || fail "a dry run of a Memcached of size 4 next to one of 3 was not refused: ${refusal:-accepted}"
  sleep 0.5
done
echo "ok: a server-side dry run reaches the webhook and is refused"
refusal=$(over_budget 4) && fail "a Memcached of size 4 next to one of 3 was accepted"
[[ $refusal == *"spec.size: 4 would bring the memcached pods of namespace $ns to 7, over its budget of 6 (the others: $name (3))"* ]] ||
  fail "the refusal does not carry the validator's message: $refusal"
echo "ok: refused with the validator's message"
expect "nothing was stored" "$(k -n "$ns" get memcached extra --ignore-not-found -o name)" ""
over_budget 3 --dry-run=server >/dev/null || fail "a dry run within the budget was refused"
expect "a dry run within the budget stores nothing" "$(k -n "$ns" get memcached extra --ignore-not-found -o name)" ""
refusal=$(k -n "$ns" patch memcached "$name" --type merge -p '{"spec":{"size":7}}' 2>&1) &&
  fail "growing $name to 7 pods was accepted"
[[ $refusal == *"spec.size: 7 would bring the memcached pods of namespace $ns to 7, over its budget of 6"* ]] ||
  fail "the update was refused for another reason: $refusal"
echo "ok: an update that grows past the budget is refused"

echo "== webhook: the certificate rotated in its directory is served without a restart"
issue_leaf 2
deadline=$((SECONDS + 30))
until [[ $(served_serial) == "serial=02" ]]; do
  ((SECONDS < deadline)) || fail "the webhook server still presents $(served_serial) 30 s after the rotation"
  sleep 0.5
done
echo "ok: new connections get the rotated certificate"
refusal=$(over_budget 4) && fail "after the rotation, an over-budget Memcached was accepted"
[[ $refusal == *"over its budget of 6"* ]] || fail "after the rotation the API server could not call the webhook: $refusal"
echo "ok: the API server still calls the webhook"

echo "== drift: kubectl scale the Deployment to 5 by hand"
generation=$(k -n "$ns" get deployment "$name" -o 'jsonpath={.metadata.generation}')
k -n "$ns" scale deployment "$name" --replicas=5 >/dev/null
wait_for "the manual scale is reverted to 3" 60 3 -n "$ns" deployment "$name" -o 'jsonpath={.spec.replicas}'
after=$(k -n "$ns" get deployment "$name" -o 'jsonpath={.metadata.generation}')
((after >= generation + 2)) || fail "the Deployment's generation went from $generation to $after: the scale to 5 and back to 3 should make two"
echo "ok: the Deployment was written twice (to 5 by hand, back to 3 by the operator)"

echo "== act as the kubelet: mark the pods Running and Ready"
wait_for "the ReplicaSet has 3 pods" 60 3 -n "$ns" pods -l "app.kubernetes.io/instance=$name" \
  -o 'go-template={{len .items}}'
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for pod in $(pods_of); do
  k -n "$ns" patch pod "$pod" --subresource=status --type merge -p \
    "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}]}}" >/dev/null
done
generation=$(k -n "$ns" get memcached "$name" -o 'jsonpath={.metadata.generation}')
wait_for "Available=True for generation $generation" 60 "True/$generation" -n "$ns" memcached "$name" \
  -o 'jsonpath={.status.conditions[?(@.type=="Available")].status}/{.status.conditions[?(@.type=="Available")].observedGeneration}'
expect "Progressing=False, Degraded=False" \
  "$(k -n "$ns" get memcached "$name" -o 'jsonpath={.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Degraded")].status} {.status.conditions[?(@.type=="Degraded")].observedGeneration}')" \
  "False False $generation"
expect "status.readyReplicas" "$(k -n "$ns" get memcached "$name" -o 'jsonpath={.status.readyReplicas}')" 3
wait_for "status.nodes names the 3 pods" 30 "$(pods_of)" -n "$ns" memcached "$name" \
  -o 'go-template={{range $i, $n := .status.nodes}}{{if $i}} {{end}}{{$n}}{{end}}'
k -n "$ns" get memcached "$name" | grep -Eq "^$name +3 +3 +True " ||
  fail "kubectl get memcached does not show Size 3, Ready 3, Available True: $(k -n "$ns" get memcached "$name")"
echo "ok: kubectl get memcached shows the printer columns"

echo "== events (events.k8s.io/v1) about the Memcached"
events_of() {
  k -n "$ns" get events.v1.events.k8s.io \
    -o "go-template={{range .items}}{{if and (eq .regarding.kind \"Memcached\") (eq .regarding.name \"$name\")}}{{.reason}}/{{.reportingController}}{{\"\\n\"}}{{end}}{{end}}"
}
for reason in Created Scaled; do
  deadline=$((SECONDS + 30))
  until events_of | grep -qx "$reason/cache.example.com/memcached-operator"; do
    ((SECONDS < deadline)) || fail "no $reason event regarding Memcached $name; events: $(events_of | paste -sd, -)"
    sleep 0.5
  done
  echo "ok: a $reason event"
done

echo "== a Deployment of that name controlled by someone else: not taken over, Degraded, a Warning event"
k -n "$ns" create configmap owner >/dev/null
owner_uid=$(k -n "$ns" get configmap owner -o 'jsonpath={.metadata.uid}')
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: taken
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: "$owner_uid", controller: true}]
spec:
  replicas: 1
  selector: {matchLabels: {app: taken}}
  template:
    metadata: {labels: {app: taken}}
    spec: {containers: [{name: c, image: busybox}]}
YAML
k -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: cache.example.com/v1alpha1
kind: Memcached
metadata:
  name: taken
spec:
  size: 1
YAML
wait_for "Memcached taken is Degraded=True (ReconcileFailed)" 30 "True/ReconcileFailed" -n "$ns" memcached taken \
  -o 'jsonpath={.status.conditions[?(@.type=="Degraded")].status}/{.status.conditions[?(@.type=="Degraded")].reason}'
expect "the Degraded message says why" \
  "$(k -n "$ns" get memcached taken -o 'jsonpath={.status.conditions[?(@.type=="Degraded")].message}')" \
  "Deployment taken already exists and is controlled by ConfigMap owner"
expect "the other owner's Deployment is untouched" \
  "$(k -n "$ns" get deployment taken -o 'jsonpath={.spec.replicas} {.metadata.ownerReferences[*].kind}')" "1 ConfigMap"
warnings_of_taken() {
  k -n "$ns" get events.v1.events.k8s.io \
    -o 'go-template={{range .items}}{{if and (eq .regarding.name "taken") (eq .type "Warning")}}{{.reason}}{{"\n"}}{{end}}{{end}}'
}
deadline=$((SECONDS + 30))
until warnings_of_taken | grep -qx ReconcileFailed; do
  ((SECONDS < deadline)) || fail "no Warning ReconcileFailed event regarding Memcached taken"
  sleep 0.5
done
echo "ok: a Warning ReconcileFailed event"
k -n "$ns" delete memcached taken --wait=false >/dev/null
wait_for "Memcached taken is gone (its finalizer ran although apply never succeeded)" 60 "" \
  -n "$ns" memcached taken --ignore-not-found -o name

echo "== delete: the finalizer removes the inventory entry, the garbage collector the Deployment"
k -n "$ns" delete memcached "$name" --wait=false >/dev/null
wait_for "the Memcached is gone" 60 "" -n "$ns" memcached --ignore-not-found -o name
wait_for "the inventory entry is gone" 30 "" "${inventory_entry[@]}"
wait_for "the Deployment is garbage-collected" 90 "" -n "$ns" deployment "$name" --ignore-not-found -o name
wait_for "the Service is garbage-collected" 90 "" -n "$ns" service "$name" --ignore-not-found -o name

echo "== stop the operator with SIGTERM"
kill -TERM "$operator_pid"
rc=0
for _ in $(seq 1 80); do
  kill -0 "$operator_pid" 2>/dev/null || break
  sleep 0.5
done
kill -0 "$operator_pid" 2>/dev/null && fail "the operator did not stop within 40 s of SIGTERM"
wait "$operator_pid" || rc=$?
operator_pid=
expect "the operator exits 0 after SIGTERM" "$rc" 0
refusal=$(over_budget 1) && fail "with the operator stopped, failurePolicy Fail let a Memcached through"
[[ $refusal == *"failed calling webhook"* ]] || fail "with the operator stopped the create failed for another reason: $refusal"
echo "ok: with the operator stopped, failurePolicy Fail refuses Memcached writes"
if grep -qi 'forbidden' "$work/operator.log"; then
  fail "the operator was denied something (RBAC): $(grep -i forbidden "$work/operator.log" | head -3)"
fi
echo "ok: no RBAC denials in the operator's log"

echo "== config/rbac/role.yaml is minimal: the API server's audit log shows every grant used"
"$rbac_audit" "$KOPP_CONTROLPLANE_DIR/audit.log" "system:serviceaccount:$operator_ns:$sa" ||
  fail "config/rbac/role.yaml grants what the operator did not use (above)"
