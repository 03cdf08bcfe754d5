#!/usr/bin/env bash
# Runs every fuzz target of a build directory for a bounded time on its committed corpus
# (tests/fuzz/corpus/<target>), at most `jobs` at once, and prints executions and coverage
# per target. Exits non-zero when a target crashes, leaks, times out or breaks a property;
# the input that did it is saved as <build>/artifacts/<target>-crash-... (add it to the
# corpus once fixed, so that it stays a regression test).
#
#   tests/fuzz/run.sh <build-dir> [seconds-per-target] [jobs]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh <build-dir> [seconds] [jobs]}" && pwd)
seconds=${2:-30}
jobs=${3:-$(nproc)}

mkdir -p "$build/artifacts" "$build/logs"
targets=()
for exe in "$build"/fuzz_*; do [[ -x $exe && -f $exe ]] && targets+=("$(basename "$exe")"); done
if ((${#targets[@]} == 0)); then echo "run.sh: no fuzz_* executables in $build" >&2; exit 2; fi

run_one() {
  local exe=$1 name=${1#fuzz_}
  local dict=json.dict
  case $name in
    http_response) dict=http_response.dict ;;
    kubeconfig) dict=kubeconfig.dict ;;
    quantity | rfc3339 | label_selector | cron) dict= ;;
  esac
  # New inputs go to a work corpus in the build directory; the committed one is read only.
  mkdir -p "$build/corpus/$name"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
              -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-")
  [[ -n $dict ]] && args+=(-dict="$here/dict/$dict")
  # A temporary directory of its own: a target must leave nothing behind in it.
  local tmp="$build/tmp/$name"
  rm -rf "$tmp" && mkdir -p "$tmp"
  if TMPDIR=$tmp "$build/$exe" "${args[@]}" "$build/corpus/$name" "$here/corpus/$name" >"$build/logs/$name.log" 2>&1; then
    if [[ -n $(ls -A "$tmp") ]]; then
      printf '%-18s FAIL  left files in its temporary directory: %s\n' "$name" "$(ls -A "$tmp" | head -3 | tr '\n' ' ')"
      return 1
    fi
    local runs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$name.log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$build/logs/$name.log" | tail -1)
    printf '%-18s ok    %10s runs  %s\n' "$name" "$runs" "$cov"
  else
    printf '%-18s FAIL  (log: %s)\n' "$name" "$build/logs/$name.log"
    # What went wrong, without libFuzzer's progress lines (their dictionary entries can
    # contain the word ERROR): a sanitizer report, a property, an uncaught exception.
    grep -v -E '^#[0-9]|^ +#[0-9]|^INFO:|^MS:|^base unit|^0x' "$build/logs/$name.log" |
      grep -E 'ERROR|property|exception|terminate|what\(\)|Assertion|runtime error|own encoding|Test unit written' |
      head -8 | sed 's/^/    /'
    return 1
  fi
}
export -f run_one
export build here seconds

# JSON up to kopp::json_max_depth (10,000 levels) is valid input; Boost.JSON's copies,
# comparisons and serializer recurse once per level, and with ASan at -O1 their frames need
# more than the default 8 MiB stack (the released library needs under 2 MiB, see json.hpp).
ulimit -s 65536 2>/dev/null || echo "run.sh: cannot raise the stack limit; inputs near 10,000 levels may overflow" >&2
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, $jobs at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
