# Shared helpers of the control plane acceptance tests (sourced, not run).
# Environment (set by kopp_add_controlplane_test): KUBECONFIG, KOPP_CONTROLPLANE
# (the kopp-controlplane binary), KOPP_CONTROLPLANE_DIR (its state directory).
set -euo pipefail

: "${KOPP_CONTROLPLANE:?KOPP_CONTROLPLANE must name the kopp-controlplane binary}"
: "${KOPP_CONTROLPLANE_DIR:?KOPP_CONTROLPLANE_DIR must name the control plane state dir}"
: "${KUBECONFIG:?KUBECONFIG must name the admin kubeconfig}"
export KUBECONFIG

TEST_NAME="$(basename "${BASH_SOURCE[1]}" .sh)"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SUFFIX="$(date +%s)-$$-$RANDOM"

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
pass() { log "PASS"; exit 0; }

kc() { "$KOPP_CONTROLPLANE" kubectl "$@"; }

# poll SECONDS DESCRIPTION COMMAND... : retry COMMAND (quietly) every 0.5s.
poll() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      fail "timed out after ${timeout}s waiting for: $what"
    fi
    sleep 0.5
  done
}

# Cleanup actions run at exit in reverse order of registration.
_cleanups=()
on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
  local rc=$? i
  for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
    eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
  done
  exit "$rc"
}
trap _run_cleanups EXIT

# new_namespace VAR PREFIX: creates a unique namespace, stores its name in VAR;
# it is deleted at exit. (Not used as $(...): the cleanup must be registered in
# this shell, not in a subshell.)
new_namespace() {
  local -n _ns_var="$1"
  local _ns_name="$2-$SUFFIX"
  _ns_name="${_ns_name:0:63}"
  kc create namespace "$_ns_name" >/dev/null
  on_exit "'$KOPP_CONTROLPLANE' kubectl delete namespace '$_ns_name' --wait=false"
  _ns_var="$_ns_name"
}

# state_port NAME: a port from state.json (etcd, kubeAPIServer, ...), no jq needed.
state_port() {
  tr -d ' \n' <"$KOPP_CONTROLPLANE_DIR/state.json" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2
}

# expected Kubernetes version: the k8s.io/kubernetes requirement in go.mod.
expected_version() {
  awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$REPO_ROOT/tools/controlplane/go.mod"
}
