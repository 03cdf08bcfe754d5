#!/usr/bin/env bash
# Regenerates kopp's typed models of built-in kinds (include/kopp/api/<group>/<version>.hpp)
# and their compiled-mode JSON codecs (include/kopp/api/<group>/impl/<version>.ipp).
#
#   tools/gen-api/generate.sh [SPEC_DIR] [OUT_DIR]
#
# SPEC_DIR defaults to the OpenAPI v3 spec of the k8s.io/kubernetes Go module in the Go
# module cache (tools/controlplane/build.sh downloads it); OUT_DIR defaults to include/kopp/api.
# The Go sources of k8s.io/api, apimachinery and apiextensions-apiserver are read from the
# same module cache (KOPP_GO_K8S_DIR overrides its k8s.io directory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
k8s_version=1.37.2

modcache=${GOMODCACHE:-}
if [[ -z "$modcache" ]]; then
  if command -v go >/dev/null 2>&1; then modcache=$(go env GOMODCACHE); else modcache=$HOME/go/pkg/mod; fi
fi
go_k8s=${KOPP_GO_K8S_DIR:-$modcache/k8s.io}
spec_dir=${1:-$go_k8s/kubernetes@v$k8s_version/api/openapi-spec/v3}
out_dir=${2:-$root/include/kopp/api}

if [[ ! -d "$spec_dir" ]]; then
  echo "gen-api: spec directory $spec_dir not found; run tools/controlplane/build.sh first (it downloads the Kubernetes v$k8s_version modules)" >&2
  exit 2
fi
python3 "$here/gen_api.py" --spec-dir "$spec_dir" --go-src "$go_k8s" --out-dir "$out_dir"
# The generated headers follow the tree's one style (.clang-format), like every other file.
clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "gen-api: $clang_format not found (scripts/install-deps.sh installs clang-format-14)" >&2
  exit 2
fi
find "$out_dir" \( -name '*.hpp' -o -name '*.ipp' \) -print0 | xargs -0 -n 20 "$clang_format" --style="file:$root/.clang-format" -i
