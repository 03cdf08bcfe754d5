#!/usr/bin/env bash
# A ServiceAccount kubeconfig from mint-kubeconfig is denied until a Role and a
# RoleBinding allow it.
source "$(dirname "$0")/lib.sh"
new_namespace ns rbac
new_namespace other rbac-other
tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"
sakc="$tmp/sa.kubeconfig"

"$KOPP_CONTROLPLANE" mint-kubeconfig --dir "$KOPP_CONTROLPLANE_DIR" --namespace "$ns" \
  --serviceaccount operator --out "$sakc" --duration 20m
grep -q 'token:' "$sakc" || fail "minted kubeconfig has no token"
kc get serviceaccount operator -n "$ns" >/dev/null || fail "ServiceAccount was not created"

who="$(kc --kubeconfig "$sakc" auth whoami -o jsonpath='{.status.userInfo.username}')"
[[ "$who" == "system:serviceaccount:$ns:operator" ]] || fail "token authenticates as '$who'"

kc create configmap data -n "$ns" --from-literal=k=v >/dev/null
if answer="$(kc --kubeconfig "$sakc" auth can-i list configmaps -n "$ns" 2>&1)"; then
  fail "can-i list configmaps said '$answer' before any RBAC"
fi
[[ "$answer" == no* ]] || fail "can-i said '$answer'"
if kc --kubeconfig "$sakc" get configmaps -n "$ns" 2>"$tmp/err"; then
  fail "get configmaps succeeded without RBAC"
fi
grep -q 'Forbidden' "$tmp/err" || fail "expected Forbidden, got: $(cat "$tmp/err")"

kc create role cm-reader -n "$ns" --verb=get,list,watch --resource=configmaps
kc create rolebinding cm-reader -n "$ns" --role=cm-reader --serviceaccount="$ns:operator"
poll 30 "RBAC to allow list configmaps" kc --kubeconfig "$sakc" auth can-i list configmaps -n "$ns"
got="$(kc --kubeconfig "$sakc" get configmap data -n "$ns" -o jsonpath='{.data.k}')"
[[ "$got" == v ]] || fail "reading configmap data with the token gave '$got'"
# The Role is namespaced: other namespaces and other verbs stay forbidden.
if kc --kubeconfig "$sakc" get configmaps -n "$other" >/dev/null 2>&1; then
  fail "the Role leaked to namespace $other"
fi
if kc --kubeconfig "$sakc" delete configmap data -n "$ns" >/dev/null 2>&1; then
  fail "delete was allowed by a get/list/watch Role"
fi
pass
