#!/usr/bin/env bash
# kubectl version via the admin kubeconfig reports the release in go.mod.
source "$(dirname "$0")/lib.sh"
want="$(expected_version)"
[[ "$want" == v1.* ]] || fail "cannot read the expected version from go.mod (got '$want')"

out="$(kc version -o json)"
compact="$(tr -d ' \n' <<<"$out")"
server="$(grep -o '"serverVersion":{[^}]*}' <<<"$compact" | grep -o '"gitVersion":"[^"]*"' | cut -d'"' -f4)"
client="$(grep -o '"clientVersion":{[^}]*}' <<<"$compact" | grep -o '"gitVersion":"[^"]*"' | cut -d'"' -f4)"
log "server $server, client $client, go.mod $want"
[[ "$server" == "$want" ]] || fail "server gitVersion '$server' != '$want'; kubectl version said: $out"
[[ "$client" == "$want" ]] || fail "kubectl gitVersion '$client' != '$want'"

raw="$(kc get --raw /version | tr -d ' \n')"
grep -q "\"gitVersion\":\"$want\"" <<<"$raw" || fail "/version is $raw"
"$KOPP_CONTROLPLANE" status --dir "$KOPP_CONTROLPLANE_DIR" || fail "status is not ready"
pass
