#!/usr/bin/env bash
# build.sh: a warm no-op build is quick; without Go it fails with a clear message.
source "$(dirname "$0")/lib.sh"
build="$REPO_ROOT/tools/controlplane/build.sh"
bindir="$(dirname "$KOPP_CONTROLPLANE")"
tmp="$(mktemp -d)"
on_exit "rm -rf '$tmp'"

t0=$(date +%s%N)
out="$(bash "$build" "$bindir")"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q 'up to date' <<<"$out" || fail "warm build.sh did not skip: $out"
((ms < 15000)) || fail "warm build.sh took ${ms}ms"
log "warm no-op build: ${ms}ms"

# PATH with the basic tools build.sh needs, but no go.
mkdir "$tmp/bin"
for t in bash dirname mkdir date awk cat sha256sum cut ls find sort rm mv du; do
  p="$(command -v "$t")" && ln -s "$p" "$tmp/bin/$t"
done
if env -u GO PATH="$tmp/bin" bash "$build" "$tmp/out" >"$tmp/log" 2>&1; then
  fail "build.sh without go succeeded"
fi
grep -q "needs the Go toolchain" "$tmp/log" || fail "unclear message: $(cat "$tmp/log")"
grep -qi "install go" "$tmp/log" || fail "message does not say what to install: $(cat "$tmp/log")"
[[ ! -e "$tmp/out/kopp-controlplane" ]] || fail "a binary appeared without go"
log "without go: $(head -1 "$tmp/log")"
pass
