#!/usr/bin/env bash
# restart-apiserver: same port, data kept, clients and controllers work again.
source "$(dirname "$0")/lib.sh"
new_namespace ns restart
kc create configmap before -n "$ns" --from-literal=k=v >/dev/null
port="$(state_port kubeAPIServer)"
old_pid="$(cat "$KOPP_CONTROLPLANE_DIR/pids/kube-apiserver.pid")"

t0=$SECONDS
"$KOPP_CONTROLPLANE" restart-apiserver --dir "$KOPP_CONTROLPLANE_DIR"
log "restart-apiserver took $((SECONDS - t0))s"
new_pid="$(cat "$KOPP_CONTROLPLANE_DIR/pids/kube-apiserver.pid")"
[[ "$new_pid" != "$old_pid" ]] || fail "kube-apiserver pid unchanged ($old_pid)"
! kill -0 "$old_pid" 2>/dev/null || fail "old kube-apiserver $old_pid still runs"
[[ "$(state_port kubeAPIServer)" == "$port" ]] || fail "port changed from $port"

got="$(kc get configmap before -n "$ns" -o jsonpath='{.data.k}')"
[[ "$got" == v ]] || fail "configmap lost across the restart"
kc create configmap after -n "$ns" --from-literal=k=w >/dev/null
# kube-controller-manager reconnects: a new namespace gets its default ServiceAccount.
new_namespace ns2 restart-kcm
poll 90 "default ServiceAccount in $ns2 (controller manager reconnected)" kc get serviceaccount default -n "$ns2"
"$KOPP_CONTROLPLANE" status --dir "$KOPP_CONTROLPLANE_DIR" || fail "status not ready after restart"
pass
