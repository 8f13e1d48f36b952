#!/usr/bin/env bash
# `cmake --install` must lay out a systemd deployment: the binary where the unit's
# ExecStart looks, the unit, and a valid config whose data_dir is the unit's StateDirectory.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail
build=$1
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

DESTDIR=$root cmake --install "$build" --prefix /usr > /dev/null

fail() { echo "install_test: $*" >&2; exit 1; }
[[ -x $root/usr/bin/xchatd ]] || fail "/usr/bin/xchatd missing"
[[ -f $root/usr/lib/systemd/system/xchatd.service ]] || fail "xchatd.service missing"
config=$root/etc/xchatd/xchatd.toml
[[ -f $config ]] || fail "/etc/xchatd/xchatd.toml missing"
grep -q '^data_dir = "/var/lib/xchatd"$' "$config" || fail "installed config must use /var/lib/xchatd"
grep -q '^ExecStart=/usr/bin/xchatd --config /etc/xchatd/xchatd.toml$' \
  "$root/usr/lib/systemd/system/xchatd.service" || fail "unit ExecStart does not match the layout"
grep -q '^StateDirectory=xchatd$' "$root/usr/lib/systemd/system/xchatd.service" \
  || fail "unit StateDirectory does not match data_dir"
"$root/usr/bin/xchatd" --check-config --config "$config" > /dev/null \
  || fail "installed config does not validate"
# A reinstall must keep the operator's edits.
echo "# edited by the operator" >> "$config"
DESTDIR=$root cmake --install "$build" --prefix /usr > /dev/null
grep -q '^# edited by the operator$' "$config" || fail "reinstall overwrote the edited config"
echo "install layout ok"
