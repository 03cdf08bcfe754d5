#!/usr/bin/env bash
# compact: a watch from a resourceVersion older than the compaction gets 410 Gone.
source "$(dirname "$0")/lib.sh"
ns="$(new_namespace compact)"
kc create configmap c -n "$ns" --from-literal=n=0 >/dev/null
old="$(kc get configmap c -n "$ns" -o jsonpath='{.metadata.resourceVersion}')"
for i in 1 2 3 4 5; do
  kc patch configmap c -n "$ns" --type merge -p "{\"data\":{\"n\":\"$i\"}}" >/dev/null
done
watch_from_old() {
  kc get --raw "/api/v1/namespaces/$ns/configmaps?watch=1&resourceVersion=$old&timeoutSeconds=1" 2>&1 || true
}
# Control: before the compaction the old resourceVersion is still watchable.
before="$(watch_from_old)"
grep -q '"MODIFIED"' <<<"$before" || fail "watch from $old before compaction: $before"
if grep -qi 'too old resource version' <<<"$before"; then fail "410 before compaction: $before"; fi

"$KOPP_CONTROLPLANE" compact --dir "$KOPP_CONTROLPLANE_DIR"
# kube-apiserver's watch cache learns the compacted revision within ~15s.
gone() { watch_from_old | grep -Eqi 'too old resource version|"code":410|\(Gone\)|Expired'; }
poll 60 "410 Gone for a watch from resourceVersion $old" gone
log "after compaction: $(watch_from_old | head -c 300)"
# The current state is still readable and watchable.
cur="$(kc get configmap c -n "$ns" -o jsonpath='{.metadata.resourceVersion}')"
kc get --raw "/api/v1/namespaces/$ns/configmaps?watch=1&resourceVersion=$cur&timeoutSeconds=1" >/dev/null
pass
