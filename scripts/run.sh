#!/usr/bin/env bash
# Builds xchatd (Release) and runs it in the foreground from the repository root with
# config/xchatd.toml, whose data_dir = "var" puts the database in ./var.
#
# Usage:
#   scripts/run.sh [XCHATD_ARGS...]     extra arguments go to xchatd after --config
#
# Stop it with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads the config.
set -euo pipefail

cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

config=config/xchatd.toml
if [[ ! -f $config ]]; then
  echo "run.sh: $config not found" >&2
  exit 1
fi

# Always the Release build, even if XCHAT_SANITIZE is exported for scripts/test.sh.
build_dir=$(XCHAT_SANITIZE=0 scripts/build.sh)
mkdir -p var

# Prints KEY's value from TOML section SECTION of FILE, or nothing. Handles the plain
# `key = "string"` / `key = 123` lines the sample config uses, with trailing comments.
toml_get() {
  awk -v section="$2" -v key="$3" '
    /^[[:space:]]*\[/ {
      name = $0
      gsub(/^[[:space:]]*\[[[:space:]]*|[[:space:]]*\].*$/, "", name)
      in_section = (name == section)
      next
    }
    in_section && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
      value = $0
      sub(/^[^=]*=[[:space:]]*/, "", value)
      if (value ~ /^"/) {
        sub(/^"/, "", value)
        sub(/".*$/, "", value)
      } else {
        sub(/[[:space:]]*#.*$/, "", value)
        sub(/[[:space:]]+$/, "", value)
      }
      print value
      exit
    }
  ' "$1"
}

address=$(toml_get "$config" listen address)
port=$(toml_get "$config" listen port)
address=${address:-127.0.0.1}
port=${port:-8480}
scheme=ws
if [[ -n $(toml_get "$config" tls cert) ]]; then
  scheme=wss
fi
# Wildcard addresses are not connectable; show the loopback one instead.
case "$address" in
  0.0.0.0) address=127.0.0.1 ;;
  :: | "[::]") address=::1 ;;
esac
if [[ $address == *:* && $address != \[* ]]; then
  address="[$address]"
fi

echo "xchatd WebSocket URL: ${scheme}://${address}:${port}/v1/ws (data in $PWD/var)"

exec "$build_dir/xchatd" --config "$config" "$@"
