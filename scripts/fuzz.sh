#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz for a bounded time each and keeps what crashes.
#
# Usage:
#   scripts/fuzz.sh [SECONDS [TARGET...]]
#     SECONDS  fuzzing time per target (default 60)
#     TARGET   request_dispatch, attachment_http, config_parser, server_data (default: all)
#
# Builds the fuzz targets in build-asan/ (scripts/build.sh --sanitize: clang-14, libFuzzer +
# ASan + UBSan, the tree the sanitized tests use too; installs missing Debian packages
# first), then runs each target on a scratch copy of its seed corpus, so that
# tests/fuzz/corpus/ is never modified: new interesting inputs collect in
# build-asan/corpus/<target>/ (kept between runs, so later runs start further). Crashing
# inputs (crashes, leaks, timeouts, sanitizer reports, failed invariants) are written to
# build-asan/crashes/<target>/ and the log of each run to build-asan/logs/<target>.log.
# Prints one summary line per target; exits 1 if any target crashed, 2 on a usage error.
#
# Turning a crash into a regression test:
#   1. Reproduce it:  build-asan/tests/fuzz/fuzz_<target> build-asan/crashes/<target>/crash-...
#      (the log names the failed invariant or shows the sanitizer's stack).
#   2. Copy the input to tests/fuzz/regressions/<target>/<what-it-broke> (a name that says
#      what it broke, e.g. envelope-timestamp-overflow).
#   3. Fix the code; add a focused unit test beside the code's other tests where one fits.
#   4. corpus_replay_tests (in every build, under ASan with scripts/test.sh --sanitize)
#      replays every file of tests/fuzz/regressions, so the bug stays fixed.
#
# Environment:
#   XCHAT_JOBS=N       parallel build jobs (default 2)
#   XCHAT_SKIP_DEPS=1  do not check or install Debian packages (see scripts/deps.sh)
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
all_targets=(request_dispatch attachment_http config_parser server_data)
# Longest input per target: frames and HTTP requests need room; a config file is short.
declare -A max_len=([request_dispatch]=4096 [attachment_http]=4096 [config_parser]=2048
  [server_data]=4096)

seconds=${1:-60}
if [[ ! $seconds =~ ^[1-9][0-9]*$ ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
  exit 2
fi
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
  if [[ -z ${max_len[$target]:-} ]]; then
    echo "fuzz.sh: unknown target '$target'; targets: ${all_targets[*]}" >&2
    exit 2
  fi
done

build_targets=()
for target in "${targets[@]}"; do
  build_targets+=(--target "fuzz_$target")
done
build=$("$repo_root/scripts/build.sh" --sanitize "${build_targets[@]}")

failed=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  crashes="$build/crashes/$target"
  log="$build/logs/$target.log"
  mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
  # libFuzzer writes new inputs to the first corpus directory and only reads the others.
  cp -n "$repo_root/tests/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  if [[ -d $repo_root/tests/fuzz/regressions/$target ]]; then
    cp -n "$repo_root/tests/fuzz/regressions/$target"/* "$corpus"/ 2>/dev/null || true
  fi
  options=(-max_total_time="$seconds" -max_len="${max_len[$target]}" -timeout=25
    -rss_limit_mb=4096 -artifact_prefix="$crashes/" -print_final_stats=1)
  if [[ -f $repo_root/tests/fuzz/$target.dict ]]; then
    options+=(-dict="$repo_root/tests/fuzz/$target.dict")
  fi
  before=$(find "$crashes" -type f | wc -l)
  started=$(date +%s)
  # The outer timeout bounds a run whose target hangs outside libFuzzer's own timer
  # (setup, exit): max_total_time plus a generous minute and a half.
  status=0
  (cd "$build" && timeout --kill-after=10 $((seconds + 90)) \
    "$build/tests/fuzz/fuzz_$target" "${options[@]}" "$corpus") >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - started))
  after=$(find "$crashes" -type f | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if ((status != 0 || after > before)); then
    failed=1
    echo "fuzz $target: CRASHED (exit $status) after ${elapsed}s, ${runs:-?} runs;" \
      "inputs in $crashes, log $log"
  else
    echo "fuzz $target: ok, ${runs:-?} runs in ${elapsed}s (${rate:-?}/s), coverage ${cov:-?}," \
      "corpus $(find "$corpus" -type f | wc -l) files"
  fi
done
exit "$failed"
