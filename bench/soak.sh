#!/usr/bin/env bash
# A long run of xchatd at half of its measured capacity, with users signing in and off
# throughout: shows whether memory, open descriptors and latency stay flat over time.
# Not part of CI. Needs a Release build (scripts/build.sh).
#
# Usage:
#   bench/soak.sh [--minutes 30] [--rate N] [--pairs 50] [--churn 20] [--interval 60]
#
#   --minutes N    how long to soak (default 30)
#   --rate N       envelopes/s for the soak; default: half of what
#                  `xchat-bench --mode pairs --pairs P --seconds 10` delivers, measured first
#   --pairs P      sender-receiver pairs, for the capacity run and the soak (default 50)
#   --churn C      users that keep signing in and off during the soak (default 20)
#   --interval S   seconds between rows of the table (default 60)
#
# Progress and the table (one row per interval: delivered, rate, p50/p99, server RSS, open
# descriptors, CPU, sign-ins, errors) go to stderr, and the table again at the end; the soak's
# JSON report is the one line on stdout. Environment: XCHAT_BENCH (default
# build/bench/xchat-bench).
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
bench=${XCHAT_BENCH:-$repo_root/build/bench/xchat-bench}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
}

minutes=30
rate=
pairs=50
churn=20
interval=60
while (($# > 0)); do
  case "$1" in
    --minutes | --rate | --pairs | --churn | --interval)
      if (($# < 2)); then
        echo "soak.sh: $1 needs a value" >&2
        exit 2
      fi
      declare "${1#--}=$2"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      echo "soak.sh: unknown argument: $1" >&2
      usage
      exit 2
      ;;
  esac
  shift
done

if [[ ! -x $bench ]]; then
  echo "soak.sh: $bench not found; build first (scripts/build.sh)" >&2
  exit 2
fi

echo "soak.sh: $(uptime)" >&2
if [[ -z $rate ]]; then
  echo "soak.sh: measuring capacity: $pairs pairs, 10 s" >&2
  capacity=$("$bench" --mode pairs --pairs "$pairs" --seconds 10 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["envelopes_per_second"])')
  rate=$(python3 -c "print(max(1, round($capacity / 2)))")
  echo "soak.sh: capacity $capacity envelopes/s; soaking at $rate" >&2
fi

exec "$bench" --mode soak --pairs "$pairs" --rate "$rate" --churn "$churn" \
  --interval "$interval" --seconds "$((minutes * 60))"
