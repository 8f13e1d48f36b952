#!/usr/bin/env bash
# Builds xchatd and runs the whole test suite with ctest.
#
# Usage:
#   scripts/test.sh [--sanitize] [CTEST_ARGS...]
#
#   --sanitize         test the ASan+UBSan build in build-asan/ (also: XCHAT_SANITIZE=1)
#   CTEST_ARGS         passed to ctest after the defaults, e.g. `-R store` or `-L unit`
#
# Exits with ctest's status. XCHAT_JOBS (default 2) sets both build and test parallelism.
# Sanitizer findings abort the test that hit them; ASAN_OPTIONS/UBSAN_OPTIONS already in
# the environment are appended, so they override the defaults below.
set -euo pipefail

cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

build_args=()
if [[ ${1:-} == --sanitize ]]; then
  build_args+=(--sanitize)
  shift
fi

build_dir=$(scripts/build.sh "${build_args[@]}")

# build.sh decides (flag or XCHAT_SANITIZE); its answer is the directory it built.
case "$build_dir" in
  */build-asan)
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    ;;
esac

exec ctest --test-dir "$build_dir" --output-on-failure -j "${XCHAT_JOBS:-2}" --timeout 300 "$@"
