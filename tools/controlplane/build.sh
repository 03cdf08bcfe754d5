#!/usr/bin/env bash
# Builds OUTDIR/kopp-controlplane (etcd + kube-apiserver + kube-controller-manager +
# kubectl + launcher, one binary) from the Kubernetes Go modules.
#
#   tools/controlplane/build.sh OUTDIR
#
# The build is skipped when the Go sources, go.mod and go.sum are unchanged since
# the last successful build (hash stamp OUTDIR/kopp-controlplane.stamp).
# Environment: GO (go command, default "go"), KOPP_CONTROLPLANE_FORCE=1 (rebuild).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
outdir="${1:-}"
if [[ -z "$outdir" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
bin="$outdir/kopp-controlplane"
stamp="$bin.stamp"
start=$(date +%s.%N)

elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# Hash of everything that determines the binary (build.sh itself included: it
# holds the flags).
hash_inputs() {
  (
    cd "$here"
    # shellcheck disable=SC2012
    { ls go.mod go.sum build.sh; find . -name '*.go' -not -path './testdata/*' | sort; } |
      while read -r f; do printf '%s\n' "$f"; cat "$f"; done
  ) | sha256sum | cut -d' ' -f1
}

gocmd="${GO:-go}"
if ! command -v "$gocmd" >/dev/null 2>&1; then
  echo "error: kopp-controlplane build needs the Go toolchain (go 1.26 or newer), but '$gocmd' is not on PATH." >&2
  echo "       Install Go (Debian/Ubuntu: apt-get install golang-go, if it is 1.26+; or a Go 1.26 release) and retry," >&2
  echo "       or set GO=/path/to/go." >&2
  exit 1
fi

want="$(hash_inputs)"
if [[ -z "${KOPP_CONTROLPLANE_FORCE:-}" && -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "kopp-controlplane: up to date: $bin ($(elapsed)s)"
  exit 0
fi

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [[ -z "$k8s_version" ]]; then
  echo "error: cannot find the k8s.io/kubernetes requirement in $here/go.mod" >&2
  exit 1
fi
major="${k8s_version#v}"; major="${major%%.*}"
minor="${k8s_version#v*.}"; minor="${minor%%.*}"
build_date="$(date -u ${SOURCE_DATE_EPOCH:+--date=@$SOURCE_DATE_EPOCH} +%Y-%m-%dT%H:%M:%SZ)"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

echo "kopp-controlplane: building $bin (Kubernetes $k8s_version; the first build downloads modules and takes many minutes)"
rm -f "$stamp"
(
  cd "$here"
  # -mod=readonly: go.mod/go.sum are committed and must not be rewritten here.
  "$gocmd" build -mod=readonly -trimpath -ldflags "$ldflags" -o "$bin.tmp.$$" .
)
mv -f "$bin.tmp.$$" "$bin"
echo "$want" > "$stamp"
size="$(du -h "$bin" | cut -f1)"
echo "kopp-controlplane: built $bin ($size) in $(elapsed)s"
