#!/usr/bin/env bash
# CTest fixture helper for the local control plane.
#   fixture.sh up   BINDIR STATEDIR   build (if needed) and start a fresh control plane
#   fixture.sh down BINDIR STATEDIR   stop it (idempotent)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action="${1:?usage: fixture.sh up|down BINDIR STATEDIR}"
bindir="${2:?BINDIR}"
statedir="${3:?STATEDIR}"
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
  *)
    echo "usage: fixture.sh up|down BINDIR STATEDIR" >&2
    exit 2
    ;;
esac
