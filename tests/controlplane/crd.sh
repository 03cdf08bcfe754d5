#!/usr/bin/env bash
# A CRD becomes Established; custom objects can be created, listed and watched.
source "$(dirname "$0")/lib.sh"
group="t${SUFFIX//-/}.kopp.test"
new_namespace ns crd
tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"

cat >"$tmp/crd.yaml" <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.$group
spec:
  group: $group
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
            required: [size]
YAML
kc apply -f "$tmp/crd.yaml"
on_exit "'$KOPP_CONTROLPLANE' kubectl delete crd 'widgets.$group' --wait=false"
kc wait --for=condition=Established --timeout=60s "crd/widgets.$group"
# Discovery may lag a moment behind Established.
poll 30 "widgets.$group served" kc get "widgets.$group" -n "$ns"

widget() { printf 'apiVersion: %s/v1\nkind: Widget\nmetadata: {name: %s, namespace: %s}\nspec: {size: %s}\n' "$group" "$1" "$ns" "$2"; }
widget w1 3 | kc create -f -
# Schema validation is enforced by the real apiserver.
if widget bad 0 | kc create -f - 2>"$tmp/bad.err"; then
  fail "a Widget with size 0 was accepted despite minimum: 1"
fi
grep -qi 'spec.size' "$tmp/bad.err" || fail "unexpected validation error: $(cat "$tmp/bad.err")"

list="$(kc get "widgets.$group" -n "$ns" -o jsonpath='{.items[*].metadata.name}')"
[[ "$list" == "w1" ]] || fail "list returned '$list', want 'w1'"

# Watch: kubectl lists (w1), then watches from that resourceVersion.
kc get "widgets.$group" -n "$ns" --watch --output-watch-events --no-headers >"$tmp/watch.out" 2>"$tmp/watch.err" &
watch_pid=$!
on_exit "kill $watch_pid"
poll 30 "watch to list w1" grep -Eq '^ADDED +w1 ' "$tmp/watch.out"
widget w2 5 | kc create -f -
poll 30 "watch event ADDED w2" grep -Eq '^ADDED +w2 ' "$tmp/watch.out"
kc patch "widgets.$group" w2 -n "$ns" --type merge -p '{"spec":{"size":7}}'
poll 30 "watch event MODIFIED w2" grep -Eq '^MODIFIED +w2 ' "$tmp/watch.out"
kc delete "widgets.$group" w2 -n "$ns"
poll 30 "watch event DELETED w2" grep -Eq '^DELETED +w2 ' "$tmp/watch.out"
kill "$watch_pid" 2>/dev/null || true
log "watch saw: $(tr '\n' ' ' <"$tmp/watch.out")"
pass
