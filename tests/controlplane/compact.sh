#!/usr/bin/env bash
# compact: a watch from a resourceVersion older than the compaction gets 410 Gone.
source "$(dirname "$0")/lib.sh"
new_namespace ns compact
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

# compact also restarts kube-apiserver: its watch cache would otherwise keep
# serving the old revisions from memory.
"$KOPP_CONTROLPLANE" compact --dir "$KOPP_CONTROLPLANE_DIR"
gone() { watch_from_old | grep -Eqi 'too old resource version|"code":410|\(Gone\)|Expired'; }
poll 30 "410 Gone for a watch from resourceVersion $old" gone
log "after compaction: $(watch_from_old | head -c 300)"
# etcd itself refuses the compacted revision too: a paginated list (served by
# etcd) at the old resourceVersion fails with 410 as well.
if out="$(kc get --raw "/api/v1/namespaces/$ns/configmaps?limit=1&resourceVersion=$old&resourceVersionMatch=Exact" 2>&1)"; then
  fail "list at compacted resourceVersion $old succeeded: $out"
fi
grep -Eqi 'compacted|too old|Expired|Gone|410' <<<"$out" || fail "unexpected error for an exact list at $old: $out"
# The current state is still readable and watchable.
cur="$(kc get configmap c -n "$ns" -o jsonpath='{.metadata.resourceVersion}')"
kc get --raw "/api/v1/namespaces/$ns/configmaps?watch=1&resourceVersion=$cur&timeoutSeconds=1" >/dev/null
pass
