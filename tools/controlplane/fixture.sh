#!/usr/bin/env bash
# CTest fixture helper for the local control plane.
#   fixture.sh up   BINDIR STATEDIR   build (if needed) and start a fresh control plane
#   fixture.sh down BINDIR STATEDIR   stop it (idempotent)
#   fixture.sh crds BINDIR STATEDIR FILE...
#                                     apply CustomResourceDefinition YAML files (server-side,
#                                     so re-applying updates them) and wait until each is
#                                     Established and its resource is served
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action="${1:?usage: fixture.sh up|down|crds BINDIR STATEDIR [FILE...]}"
bindir="${2:?BINDIR}"
statedir="${3:?STATEDIR}"
shift 3
exe="$bindir/kopp-controlplane"

case "$action" in
  up)
    bash "$here/build.sh" "$bindir"
    # A control plane left over from an interrupted run is stopped first, so
    # the tests always start from a known state (the data dir is reused).
    "$exe" down --dir "$statedir" >/dev/null
    exec "$exe" up --dir "$statedir"
    ;;
  down)
    if [[ ! -x "$exe" ]]; then
      echo "kopp-controlplane: $exe was never built; nothing to stop"
      exit 0
    fi
    exec "$exe" down --dir "$statedir"
    ;;
  crds)
    (($# > 0)) || { echo "fixture.sh crds: no CRD files given" >&2; exit 2; }
    k() { "$exe" kubectl --kubeconfig "$statedir/admin.kubeconfig" "$@"; }
    files=()
    for f in "$@"; do
      [[ -f $f ]] || { echo "fixture.sh crds: $f is not a file" >&2; exit 1; }
      files+=(-f "$f")
    done
    k apply --server-side --force-conflicts --field-manager=kopp-testing "${files[@]}"
    k wait --for=condition=Established --timeout=60s "${files[@]}"
    # Established is set before every handler serves the new resource: the first request
    # can still 404 for a moment. Wait until each resource lists.
    # A CRD's name is <plural>.<group>, the resource's name for kubectl get.
    for crd in $(k get "${files[@]}" -o name); do
      r=${crd#*/}
      deadline=$((SECONDS + 60))
      until k get "$r" --all-namespaces --chunk-size=1 -o name >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { echo "fixture.sh crds: $r is not served after 60 s" >&2; k get "$r" -A; exit 1; }
        sleep 0.2
      done
      echo "served: $r"
    done
    ;;
  *)
    echo "usage: fixture.sh up|down|crds BINDIR STATEDIR [FILE...]" >&2
    exit 2
    ;;
esac
