#!/usr/bin/env bash
# Builds xchatd with CMake and Ninja, installing missing Debian packages first.
#
# Usage:
#   scripts/build.sh              Release build in build/
#   scripts/build.sh --sanitize   ASan+UBSan build with clang-14 in build-asan/, the fuzz
#                                 targets included (scripts/fuzz.sh runs them from there)
#   scripts/build.sh --tsan       ThreadSanitizer build of xchatd and unit_tests in build-tsan/
#   ... --target NAME             build only NAME (repeatable) instead of the variant's default
#
# Interface for other scripts: stdout carries exactly one line, the absolute path of the
# build directory used; all progress (apt, cmake, ninja) goes to stderr. So:
#   build_dir=$(scripts/build.sh --sanitize)
# A failed build exits non-zero and prints nothing on stdout.
#
# Environment:
#   XCHAT_SANITIZE=1   same as --sanitize (0, or unset, means a Release build)
#   XCHAT_JOBS=N       parallel build jobs (default 2)
#   XCHAT_SKIP_DEPS=1  do not check or install Debian packages (see scripts/deps.sh)
#
# The build directory is configured only when it has not been yet (no CMakeCache.txt or
# no build.ninja, the latter meaning an earlier configure failed); afterwards Ninja
# re-runs CMake by itself whenever a CMakeLists.txt changes. To change cache options,
# delete the directory or run cmake on it directly. ccache is used when installed (CMakeLists.txt sets it up).
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
}

variant=release
targets=()
case "${XCHAT_SANITIZE:-0}" in
  0 | "" | OFF | off | no | false) ;;
  *) variant=asan ;;
esac
while (($# > 0)); do
  case "$1" in
    --sanitize) variant=asan ;;
    --tsan) variant=tsan ;;
    --target)
      if (($# < 2)); then
        echo "build.sh: --target needs a target name" >&2
        exit 2
      fi
      targets+=(--target "$2")
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "build.sh: unknown argument: $1" >&2
      usage
      exit 2
      ;;
  esac
  shift
done

jobs=${XCHAT_JOBS:-2}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "build.sh: XCHAT_JOBS must be a positive integer, got '$jobs'" >&2
  exit 2
fi

# The TSan build serves scripts/test.sh --tsan: its unit tests, and an xchatd that the
# Release integration tests start instead of their own; nothing else is built there.
case $variant in
  release)
    build_dir="$repo_root/build"
    cmake_args=(-DCMAKE_BUILD_TYPE=Release)
    ;;
  asan)
    build_dir="$repo_root/build-asan"
    # Clang, because libFuzzer is Clang's: one instrumented tree serves the sanitized
    # tests and the fuzzers (CMakeLists.txt, XCHAT_FUZZ).
    cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14
      -DXCHAT_FUZZ=ON)
    ;;
  tsan)
    build_dir="$repo_root/build-tsan"
    cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DXCHAT_TSAN=ON)
    if ((${#targets[@]} == 0)); then
      targets=(--target xchatd unit_tests)
    fi
    ;;
esac

# stdout is reserved for the build directory; everything below reports on stderr.
"$repo_root/scripts/deps.sh" >&2

if [[ ! -f $build_dir/CMakeCache.txt || ! -f $build_dir/build.ninja ]]; then
  cmake -S "$repo_root" -B "$build_dir" -G Ninja "${cmake_args[@]}" >&2
fi

cmake --build "$build_dir" -j "$jobs" "${targets[@]}" >&2

printf '%s\n' "$build_dir"
