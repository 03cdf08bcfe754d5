#!/usr/bin/env bash
# kube-controller-manager: a Deployment gets a ReplicaSet; deleting the Deployment
# in the background garbage-collects the ReplicaSet.
source "$(dirname "$0")/lib.sh"
new_namespace ns gc
# No image is ever pulled: there is no kubelet, pods stay Pending.
kc create deployment web -n "$ns" --image=kopp-test/pause:none --replicas=2

rs_name() { kc get rs -n "$ns" -l app=web -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
has_rs() { [[ -n "$(rs_name)" ]]; }
poll 60 "ReplicaSet of deployment web" has_rs
rs="$(rs_name)"
owner="$(kc get rs "$rs" -n "$ns" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')"
[[ "$owner" == "Deployment/web" ]] || fail "ReplicaSet $rs owner is '$owner'"
pods_created() { [[ "$(kc get pods -n "$ns" -l app=web -o name | wc -l)" -eq 2 ]]; }
poll 60 "2 pods created by the ReplicaSet" pods_created
log "ReplicaSet $rs owned by $owner, 2 pods (Pending, no kubelet)"

kc delete deployment web -n "$ns" --cascade=background
rs_gone() { ! kc get rs "$rs" -n "$ns" >/dev/null 2>&1; }
poll 60 "ReplicaSet $rs garbage-collected" rs_gone
pods_gone() { [[ -z "$(kc get pods -n "$ns" -l app=web -o name)" ]]; }
poll 60 "pods garbage-collected" pods_gone
pass
