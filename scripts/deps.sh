#!/usr/bin/env bash
# Installs the Debian 12 packages xchatd needs to build, test and run.
#
# Usage:
#   scripts/deps.sh            install whatever is missing (exit 0 when all present)
#   scripts/deps.sh --check    list missing packages on stdout; exit 1 if any, install nothing
#   source scripts/deps.sh     define xchat_missing_packages and xchat_install_deps only
#
# Fast and idempotent: one dpkg-query call, and no apt call at all when every package is
# installed. When something is missing it runs `apt-get update` once (a fresh machine has
# no package lists) and installs only the missing packages, through sudo unless root.
# XCHAT_SKIP_DEPS=1 skips everything (for images that provision dependencies otherwise).

# Everything the build, the tests and scripts/run.sh use, from Debian 12 (bookworm).
# Boost must be 1.81: the default libboost-dev is 1.74. clang-14 and its runtime (libFuzzer,
# the sanitizers) build the fuzz targets (scripts/fuzz.sh).
XCHAT_DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libboost1.81-dev libsodium-dev libsqlite3-dev nlohmann-json3-dev libspdlog-dev
  libgtest-dev libtomlplusplus-dev libcli11-dev libsystemd-dev libssl-dev
  openssl sqlite3 systemd procps
  clang-14 libclang-rt-14-dev
)

# Prints the packages of XCHAT_DEB_PACKAGES that are not installed, one per line.
xchat_missing_packages() {
  local -A installed=()
  local name status
  # Unknown packages make dpkg-query exit 1 and complain on stderr; they simply stay
  # absent from `installed`. A package counts only in state "installed" (not
  # "config-files", "half-installed", ...). Multi-arch packages may print several lines.
  while read -r name status; do
    if [[ $status == *" installed" ]]; then
      installed[$name]=1
    fi
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "${XCHAT_DEB_PACKAGES[@]}" 2>/dev/null || true)

  local pkg
  for pkg in "${XCHAT_DEB_PACKAGES[@]}"; do
    if [[ -z ${installed[$pkg]:-} ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

# Installs the missing packages; returns non-zero if that is impossible or fails.
xchat_install_deps() {
  if [[ ${XCHAT_SKIP_DEPS:-0} == 1 ]]; then
    return 0
  fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: dpkg-query not found; this script supports Debian 12 only." >&2
    echo "deps.sh: install these packages (or equivalents) by hand, then set XCHAT_SKIP_DEPS=1:" >&2
    echo "  ${XCHAT_DEB_PACKAGES[*]}" >&2
    return 1
  fi

  local -a missing
  mapfile -t missing < <(xchat_missing_packages)
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  local -a sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "deps.sh: missing packages and not root, and sudo is not installed:" >&2
      echo "  apt-get install ${missing[*]}" >&2
      return 1
    fi
    sudo=(sudo)
  fi

  echo "deps.sh: installing ${missing[*]}" >&2
  # Wait for a concurrent apt/dpkg (another script, unattended-upgrades) instead of failing.
  local -a apt_opts=(-q -o DPkg::Lock::Timeout=300)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2 || return 1
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y \
    --no-install-recommends "${missing[@]}" >&2 || return 1

  mapfile -t missing < <(xchat_missing_packages)
  if ((${#missing[@]} != 0)); then
    echo "deps.sh: still missing after apt-get install: ${missing[*]}" >&2
    return 1
  fi
}

# Executed rather than sourced: do the work.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
    "")
      xchat_install_deps
      ;;
    --check)
      missing_list=$(xchat_missing_packages)
      if [[ -n $missing_list ]]; then
        printf '%s\n' "$missing_list"
        exit 1
      fi
      ;;
    *)
      echo "usage: $0 [--check]" >&2
      exit 2
      ;;
  esac
fi
