#!/usr/bin/env bash
# Builds xchatd and runs the whole test suite: the Release build, the same suite under
# AddressSanitizer+UndefinedBehaviorSanitizer, the concurrency-heavy tests under
# ThreadSanitizer, and every fuzz target for a bounded time.
#
# Usage:
#   scripts/test.sh [STAGE...] [CTEST_ARGS...]
#
#   STAGE              any of --release, --sanitize, --tsan, --fuzz, --all; none means
#                      --all (what CI runs), and XCHAT_SANITIZE=1 alone means --sanitize
#   CTEST_ARGS         passed to ctest after the defaults in the release and sanitize
#                      stages, e.g. `-R store` or `-L unit`
#
# Stages:
#   --release   Release build in build/, every ctest test.
#   --sanitize  ASan+UBSan build (clang-14) in build-asan/, every ctest test (also:
#               XCHAT_SANITIZE=1).
#   --tsan      TSan build in build-tsan/: its unit tests, then the Release integration
#               tests named in TSAN_INTEGRATION below, each starting the TSan xchatd.
#   --fuzz      scripts/fuzz.sh for XCHAT_FUZZ_SECONDS (default 60) per target; the fuzz
#               targets live in build-asan/ too, so after --sanitize they build at once.
#
# A sanitizer stage passes only when ctest passes and no process it started wrote a
# report: reports go to files (log_path) rather than to the tests' pipes, so a daemon's
# report at exit is caught even when the test that started it already passed.
# Exits non-zero when any stage failed; the last line counts the stages.
# XCHAT_JOBS (default 2) sets build and test parallelism.
set -uo pipefail

cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."
repo_root=$(pwd -P)

# Integration tests whose daemon works its I/O threads, store writer and reader pool hard.
TSAN_INTEGRATION='^(Messaging|Vanishing|Attachments|SlowReader|Lifecycle|Devices|ClientMessengerTest)\.'

stages=()
while (($# > 0)); do
  case "$1" in
    --release | --sanitize | --tsan | --fuzz) stages+=("${1#--}") ;;
    --all) stages+=(release sanitize tsan fuzz) ;;
    *) break ;;
  esac
  shift
done
ctest_args=("$@")
if ((${#stages[@]} == 0)); then
  case "${XCHAT_SANITIZE:-0}" in
    0 | "" | OFF | off | no | false) stages=(release sanitize tsan fuzz) ;;
    *) stages=(sanitize) ;;
  esac
fi
jobs=${XCHAT_JOBS:-2}

# Runs ctest in $1 with the remaining arguments.
run_ctest() {
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300 "$@"
}

# Fails when the sanitizer report directory $1 holds any report, printing them.
no_reports() {
  local dir=$1 reports
  reports=$(find "$dir" -type f 2>/dev/null)
  if [[ -n $reports ]]; then
    echo "test.sh: sanitizer reports in $dir:" >&2
    while IFS= read -r f; do
      echo "== $f" >&2
      head -n 60 "$f" >&2
    done <<<"$reports"
    return 1
  fi
}

# A fresh, empty report directory under build dir $1; prints its path.
report_dir() {
  local dir="$1/sanitizer-reports"
  rm -rf "$dir"
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

stage_release() {
  local build_dir
  build_dir=$(scripts/build.sh) || return 1
  run_ctest "$build_dir" "${ctest_args[@]}"
}

stage_sanitize() {
  local build_dir reports status
  build_dir=$(scripts/build.sh --sanitize) || return 1
  reports=$(report_dir "$build_dir")
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    run_ctest "$build_dir" "${ctest_args[@]}"
  status=$?
  no_reports "$reports" || status=1
  return "$status"
}

stage_tsan() {
  local release_dir tsan_dir reports status=0
  release_dir=$(scripts/build.sh) || return 1
  tsan_dir=$(scripts/build.sh --tsan) || return 1
  reports=$(report_dir "$tsan_dir")
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
  # Run the executable, not ctest -L unit: the TSan tree builds nothing else, and ctest
  # would also list the shell checks that need the whole tree (install_layout).
  (cd "$tsan_dir/tests" && ./unit_tests --gtest_brief=1) || status=1
  XCHAT_TEST_XCHATD="$tsan_dir/xchatd" run_ctest "$release_dir" -L integration \
    -R "$TSAN_INTEGRATION" || status=1
  unset TSAN_OPTIONS
  no_reports "$reports" || status=1
  return "$status"
}

stage_fuzz() {
  scripts/fuzz.sh "${XCHAT_FUZZ_SECONDS:-60}"
}

passed=0
failed=0
failed_names=()
for stage in "${stages[@]}"; do
  echo "test.sh: stage $stage" >&2
  if "stage_$stage"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_names+=("$stage")
  fi
done

if ((failed > 0)); then
  echo "test.sh: failed stages: ${failed_names[*]}" >&2
fi
echo "stages: $passed passed, $failed failed"
((failed == 0))
