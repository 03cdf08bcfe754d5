#!/usr/bin/env bash
# kopp's one code style (.clang-format at the root), for every C++ file of the tree,
# generated model headers included.
#
#   tools/format.sh           # rewrites the files in place
#   tools/format.sh --check   # lists the files that differ and fails (the `format` test)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
clang_format=${CLANG_FORMAT:-clang-format-14}
if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "format: $clang_format not found (scripts/install-deps.sh installs clang-format-14)" >&2
  exit 2
fi
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked files and new ones not yet added (but not ignored ones: build trees).
  mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.hpp' '*.cpp' '*.ipp' '*.h')
else
  mapfile -t files < <(find include src tests examples bench tools -name '*.hpp' -o -name '*.cpp' -o -name '*.ipp' 2>/dev/null | sort)
fi
if [[ ${1:-} == --check ]]; then
  bad=()
  for f in "${files[@]}"; do
    [[ -f $f ]] || continue
    if ! "$clang_format" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
  done
  if ((${#bad[@]})); then
    printf 'format: %s is not formatted\n' "${bad[@]}" >&2
    echo "format: FAILED: ${#bad[@]} of ${#files[@]} files differ from .clang-format; run tools/format.sh" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files follow .clang-format"
else
  printf '%s\0' "${files[@]}" | xargs -0 -n 50 "$clang_format" --style=file -i
fi
