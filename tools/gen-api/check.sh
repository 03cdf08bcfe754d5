#!/usr/bin/env bash
# Fails when the committed generated files (include/kopp/api/<group>/<version>.hpp and
# impl/<version>.ipp) differ
# from what tools/gen-api/generate.sh produces now. Arguments are passed to generate.sh
# (SPEC_DIR). CTest runs it as api.generated_up_to_date.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$here/generate.sh" "${1:-}" "$tmp" 2>"$tmp/gen.log"; then
  cat "$tmp/gen.log" >&2
  echo "gen-api check: FAILED: the generator did not run (see above)" >&2
  exit 1
fi
status=0
while IFS= read -r generated; do
  rel=${generated#"$tmp"/}
  committed=$root/include/kopp/api/$rel
  if [[ ! -f "$committed" ]]; then
    echo "gen-api check: include/kopp/api/$rel is missing" >&2
    status=1
  elif ! diff -u "$committed" "$generated" >"$tmp/diff" 2>&1; then
    echo "gen-api check: include/kopp/api/$rel is out of date:" >&2
    head -n 40 "$tmp/diff" >&2
    status=1
  fi
done < <(find "$tmp" \( -name '*.hpp' -o -name '*.ipp' \) | sort)
if [[ $status -ne 0 ]]; then
  echo "gen-api check: FAILED: run tools/gen-api/generate.sh and commit the result" >&2
  exit 1
fi
echo "gen-api check: generated headers are up to date"
