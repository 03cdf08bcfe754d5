#!/usr/bin/env bash
# Launcher error paths: clear messages, non-zero exits, bounded time, nothing left running.
source "$(dirname "$0")/lib.sh"
tmp="$(mktemp -d)"
on_exit "'$KOPP_CONTROLPLANE' down --dir '$tmp/cp' --timeout 5s; rm -rf '$tmp'"
cp="$KOPP_CONTROLPLANE"

left_running() { pgrep -f "$tmp/cp/" || true; }

# 1. A second up on the running test control plane is refused and harms nothing.
t0=$SECONDS
if "$cp" up --dir "$KOPP_CONTROLPLANE_DIR" >"$tmp/out" 2>&1; then
  fail "second up on a running dir succeeded: $(cat "$tmp/out")"
fi
grep -q 'already running' "$tmp/out" || fail "unclear error: $(cat "$tmp/out")"
((SECONDS - t0 < 30)) || fail "second up took $((SECONDS - t0))s"
"$cp" status --dir "$KOPP_CONTROLPLANE_DIR" >/dev/null || fail "running control plane disturbed"
log "second up: $(head -1 "$tmp/out")"

# 2. A port that is taken (the running kube-apiserver's) gives a clear error at once.
port="$(state_port kubeAPIServer)"
if "$cp" up --dir "$tmp/cp" --apiserver-port "$port" >"$tmp/out" 2>&1; then
  fail "up on taken port $port succeeded"
fi
grep -q "127.0.0.1:$port.*already in use" "$tmp/out" || fail "unclear error: $(cat "$tmp/out")"
[[ -z "$(left_running)" ]] || fail "processes left after port error: $(left_running)"
log "taken port: $(head -1 "$tmp/out")"

# 3. A component that fails to start: its log tail is printed, what was started is
#    stopped, and up exits non-zero in bounded time.
t0=$SECONDS
if KOPP_CONTROLPLANE_APISERVER_ARGS="--no-such-flag-for-test" \
  timeout 120 "$cp" up --dir "$tmp/cp" --apiserver-timeout 60s >"$tmp/out" 2>&1; then
  fail "up with a broken kube-apiserver succeeded"
fi
took=$((SECONDS - t0))
grep -q 'kube-apiserver.*exited before it was ready' "$tmp/out" || fail "no exit reason: $(cat "$tmp/out")"
grep -q -- '---- last .* lines of .*kube-apiserver.log' "$tmp/out" || fail "no log tail: $(cat "$tmp/out")"
grep -q 'unknown flag: --no-such-flag-for-test' "$tmp/out" || fail "log tail lacks the cause: $(cat "$tmp/out")"
grep -q 'stopped etcd' "$tmp/out" || fail "etcd was not stopped: $(cat "$tmp/out")"
((took < 90)) || fail "failing up took ${took}s"
[[ -z "$(left_running)" ]] || fail "processes left after failed up: $(left_running)"
log "broken kube-apiserver reported in ${took}s"

# 4. status on a stopped dir fails and says what is down; down is idempotent.
if "$cp" status --dir "$tmp/cp" >"$tmp/out" 2>&1; then fail "status succeeded on a stopped dir"; fi
grep -q 'etcd .*DOWN' "$tmp/out" || fail "status output: $(cat "$tmp/out")"
"$cp" down --dir "$tmp/cp" || fail "down on a stopped dir failed"
"$cp" down --dir "$tmp/cp" || fail "second down failed"
"$cp" down --dir "$tmp/never-created" || fail "down on a missing dir failed"
pass
