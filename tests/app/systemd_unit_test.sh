#!/usr/bin/env bash
# Checks the shipped systemd unit: it parses cleanly, keeps the sd_notify/watchdog
# contract the daemon implements, and its sandbox scores an exposure of at most 2.0.
#
# Usage: bash tests/app/systemd_unit_test.sh [UNIT_FILE]   (default: config/xchatd.service)
#
# Needs only the systemd-analyze binary: `security --offline=true` reads the file without
# a running systemd, so this works in containers where PID 1 is not systemd.
# `systemd-analyze verify` is not used: it insists that ExecStart= exists, and the unit
# names the installed /usr/bin/xchatd.
#
# Exit status: 0 pass, 1 fail, 77 systemd-analyze missing (ctest SKIP_RETURN_CODE).
set -euo pipefail

# Exposure is 0.0 (locked down) .. 10.0 (unprotected); --threshold takes it times ten and
# makes systemd-analyze exit non-zero when the exposure is above it.
readonly max_exposure=2.0
readonly max_exposure_x10=20

unit=${1:-$(dirname -- "${BASH_SOURCE[0]}")/../../config/xchatd.service}

fail() {
  echo "FAIL: $unit: $*" >&2
  exit 1
}

[[ -f $unit ]] || fail "no such file"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not installed (Debian package: systemd)" >&2
  exit 77
fi

# The daemon's side of the contract: READY=1 and WATCHDOG=1 over sd_notify.
grep -Eq '^[[:space:]]*Type=notify[[:space:]]*$' "$unit" ||
  fail "must contain Type=notify (xchatd reports readiness with sd_notify)"
grep -Eq '^[[:space:]]*WatchdogSec=[[:space:]]*[1-9]' "$unit" ||
  fail "must contain a non-zero WatchdogSec= (xchatd pings the watchdog)"
# sd_notify talks over a Unix datagram socket: dropping AF_UNIX to gain 0.1 of score would
# make every start time out.
grep -Eq '^[[:space:]]*RestrictAddressFamilies=.*AF_UNIX' "$unit" ||
  fail "RestrictAddressFamilies= must allow AF_UNIX (needed by sd_notify)"
# A network server cannot decide in its unit which peers may connect.
if grep -Eq '^[[:space:]]*IPAddressDeny=' "$unit"; then
  fail "IPAddressDeny= must not be set: xchatd serves arbitrary clients"
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

status=0
SYSTEMD_COLORS=0 LC_ALL=C systemd-analyze security --offline=true \
  --threshold="$max_exposure_x10" "$unit" >"$tmp/report" 2>"$tmp/errors" || status=$?

# systemd ignores unknown keys and unparsable values with only a warning, so a typo would
# silently drop a protection while the score might still pass. Such warnings name the
# file and line ("xchatd.service:12: Unknown key ...").
unit_name=$(basename -- "$unit")
if grep -F -- "$unit_name:" "$tmp/errors" >&2; then
  fail "systemd does not accept every line of the unit (warnings above)"
fi

# "-> Overall exposure level for xchatd.service: 1.1 OK :-)"
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: *\([0-9][0-9]*\(\.[0-9]*\)\{0,1\}\).*/\1/p' \
  "$tmp/report" | tail -n 1)
if [[ -z $exposure ]]; then
  cat "$tmp/report" "$tmp/errors" >&2
  fail "no 'Overall exposure level' in systemd-analyze output (exit status $status)"
fi

if awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e > max) }'; then
  grep -E '^- ' "$tmp/report" >&2 || true  # unset protections (LC_ALL=C marks them "- ")
  fail "exposure $exposure is above $max_exposure (unprotected settings above)"
fi
if ((status != 0)); then
  cat "$tmp/errors" >&2
  fail "systemd-analyze security --threshold=$max_exposure_x10 exited $status (exposure $exposure)"
fi

echo "PASS: $unit: exposure $exposure (limit $max_exposure)"
