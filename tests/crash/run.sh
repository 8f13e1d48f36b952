#!/usr/bin/env bash
# Crash consistency: runs xchatd under continuous send/receive load and kills it with
# SIGKILL at random moments, restarting it on the same data each time; then checks that
# nothing the server acknowledged was lost, duplicated, reordered or delivered after
# expiring, that the database is intact and that every attachment is whole.
#
# Usage:
#   tests/crash/run.sh [--cycles N] [--seed S] [--build DIR] [--users N] [--tmpfs SIZE]
#
#   --cycles N   kill/restart cycles (default 3, what CI runs; 20 for the full run)
#   --seed S     seed of the kill timing and of the generator's choices (default: random,
#                printed, so a failing run can be replayed)
#   --build DIR  a Release build tree holding xchatd and bench/xchat-bench (default: build/
#                of this checkout, built with scripts/build.sh when missing)
#   --users N    accounts of the load generator (default 6; every second has two devices)
#   --tmpfs SIZE the disk-full drill: the data directory is on a tmpfs of SIZE (mount's
#                syntax, e.g. 64M) that the script mounts - as root; without the right to
#                mount it exits 77, "skipped" to ctest - and that it fills to below the
#                daemon's reserve (storage.min_free_bytes, 16 MiB here) for the middle
#                cycles: needs --cycles 3 or more
#
# Each cycle: the load runs for a random 0.5-3 s, xchatd gets SIGKILL, a copy of its
# database (with the -wal file) passes PRAGMA integrity_check - a copy, because opening the
# original would recover and checkpoint the WAL that the restarting daemon must recover
# itself - and xchatd starts again on the same data directory and port; /healthz answering
# 200 means it is ready. The load generator (xchat-bench --mode crash, see
# bench/load/crash_scenario.cpp) reconnects by itself. After the last cycle it gets SIGUSR1:
# it finishes its sends, drains every device's queue, downloads every attachment and checks
# its ledger (bench/load/ledger.hpp lists the promises checked). Then xchatd stops with
# SIGTERM and the database passes integrity_check once more.
#
# The disk-full drill: after cycle 1 a ballast file leaves half the reserve free, so that
# xchatd answers storage_full to every send, upload and registration; the cycles up to the
# last one kill and restart it on that full disk. The generator keeps each refused send
# and writes it again unchanged (docs/protocol.md), and brings its absent device online at
# the first storage_full, whose queue must then drain while the disk is full. Before the
# last cycle the ballast goes; the deferred sends must then be accepted, with no restart.
# On top of the checks above, the run fails unless storage_full was answered, something
# was delivered between the first and the last storage_full and deferred sends were
# accepted later.
#
# Everything runs on 127.0.0.1 in a temporary directory, bounded by an overall timeout
# (60 s + 15 s per cycle); whatever the script started is stopped on exit. Exit status: 0
# when every check passed, 1 on a violation or failure, 2 for bad options.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
}

cycles=3
seed=$((RANDOM * 32768 + RANDOM))
build_dir=""
users=6
tmpfs_size=""
while (($# > 0)); do
  case "$1" in
    --cycles) cycles=${2:?}; shift ;;
    --seed) seed=${2:?}; shift ;;
    --build) build_dir=${2:?}; shift ;;
    --users) users=${2:?}; shift ;;
    --tmpfs) tmpfs_size=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage; exit 2 ;;
  esac
  shift
done
for number in "$cycles" "$seed" "$users"; do
  if ! [[ $number =~ ^[0-9]+$ ]]; then
    echo "run.sh: --cycles, --seed and --users take non-negative integers" >&2
    exit 2
  fi
done
if [[ -n $tmpfs_size ]] && ((cycles < 3)); then
  echo "run.sh: --tmpfs needs --cycles 3 or more (a normal cycle, full ones, a last normal one)" >&2
  exit 2
fi
if [[ -z $build_dir ]]; then
  build_dir=$(XCHAT_SKIP_DEPS=${XCHAT_SKIP_DEPS:-0} "$repo_root/scripts/build.sh")
fi
xchatd="$build_dir/xchatd"
bench="$build_dir/bench/xchat-bench"
for binary in "$xchatd" "$bench"; do
  if [[ ! -x $binary ]]; then
    echo "run.sh: $binary is missing: build the Release tree first (scripts/build.sh)" >&2
    exit 2
  fi
done
command -v sqlite3 >/dev/null || { echo "run.sh: needs the sqlite3 CLI (scripts/deps.sh)" >&2; exit 2; }

RANDOM=$((seed % 32768))
deadline=$((SECONDS + 60 + 15 * cycles))
work=$(mktemp -d "${TMPDIR:-/tmp}/xchat-crash.XXXXXX")
daemon_pid=""
bench_pid=""
disk="$work/disk" # the daemon's data lives in $disk/data; with --tmpfs, $disk is the mount
mounted=0

say() { echo "crash: $*" >&2; }

cleanup() {
  local status=$?
  for pid in "$bench_pid" "$daemon_pid"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if ((status != 0)); then
    say "failed; the daemon's log ends with:"
    tail -n 20 "$work/xchatd.log" >&2 2>/dev/null || true
    say "the generator's log ends with:"
    tail -n 20 "$work/bench.log" >&2 2>/dev/null || true
  fi
  if ((mounted)); then umount "$disk" 2>/dev/null || umount -l "$disk" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

out_of_time() {
  if ((SECONDS >= deadline)); then
    say "overall timeout reached"
    exit 1
  fi
}

# Whether something accepts connections on 127.0.0.1:$1.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# HTTP status of GET /healthz, or nothing when no answer.
health() {
  local status=""
  {
    exec 3<>"/dev/tcp/127.0.0.1/$port" &&
      printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3 &&
      read -r -t 2 _ status _ <&3
  } 2>/dev/null || true
  exec 3>&- 2>/dev/null || true
  echo "$status"
}

mkdir -p "$disk"
reserve_bytes=$((64 * 1024 * 1024)) # the daemon's default
if [[ -n $tmpfs_size ]]; then
  if ! mount -t tmpfs -o "size=$tmpfs_size,mode=0700" xchat-crash "$disk" 2>"$work/mount.err"; then
    say "skipped: cannot mount a tmpfs here ($(head -n 1 "$work/mount.err"))"
    exit 77
  fi
  mounted=1
  reserve_bytes=$((16 * 1024 * 1024))
fi

# Free bytes on the data directory's filesystem, for a user without root's own reserve.
free_bytes() { echo $(($(stat -f -c '%a * %S' "$disk"))); }

# A port nothing listens on, below the ephemeral range (32768 up) that clients draw from; the
# daemon comes back on the same port after every kill, so port 0 cannot be left to it.
port=""
for _ in {1..50}; do
  candidate=$((10000 + RANDOM % 20000))
  if ! listening "$candidate"; then
    port=$candidate
    break
  fi
done
[[ -n $port ]] || { echo "run.sh: no free port found" >&2; exit 1; }

# Rate limits raised for the load; vanishing timers from 1 s, so that some vanish while the
# daemon is down; unfinished uploads (a kill in the middle of one) must not block new ones.
cat >"$work/xchatd.toml" <<EOF
[listen]
address = "127.0.0.1"
port = $port
[server]
name = "crash.xchat"
threads = 2
data_dir = "$disk/data"
[limits]
registrations_per_ip_per_hour = 1000000
login_failures_per_ip_per_minute = 1000000
sends_per_account_per_minute = 1000000000
[messages]
min_expires_in_seconds = 1
[attachments]
max_uploads_in_progress = 10000
[storage]
synchronous = "FULL"
min_free_bytes = $reserve_bytes
[log]
level = "warn"
EOF

start_daemon() {
  "$xchatd" --config "$work/xchatd.toml" >>"$work/xchatd.log" 2>&1 &
  daemon_pid=$!
  local waited=0
  until [[ $(health) == 200 ]]; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      say "xchatd exited while starting"
      exit 1
    fi
    if ((waited++ >= 300)); then
      say "xchatd not ready after 30 s"
      exit 1
    fi
    sleep 0.1
  done
}

# PRAGMA integrity_check on a copy of the stopped daemon's database.
integrity_check() {
  local what=$1 copy="$work/check"
  rm -rf "$copy" && mkdir "$copy"
  cp "$disk/data/xchatd.db" "$copy/"
  if [[ -f $disk/data/xchatd.db-wal ]]; then cp "$disk/data/xchatd.db-wal" "$copy/"; fi
  local result
  result=$(sqlite3 "$copy/xchatd.db" "PRAGMA integrity_check;" 2>&1) || true
  if [[ $result != ok ]]; then
    say "integrity_check $what: $result"
    exit 1
  fi
}

say "seed $seed, $cycles cycles, port $port, in $work${tmpfs_size:+, on a tmpfs of $tmpfs_size}"
start_daemon
"$bench" --mode crash --url "ws://127.0.0.1:$port/v1/ws" --users "$users" --seed "$seed" \
  --ledger "$work/ledger.json" --timeout 60 >"$work/report.json" 2>"$work/bench.log" &
bench_pid=$!
until grep -q "load running" "$work/bench.log"; do
  if ! kill -0 "$bench_pid" 2>/dev/null; then
    say "the load generator exited during setup"
    exit 1
  fi
  out_of_time
  sleep 0.1
done

for ((cycle = 1; cycle <= cycles; cycle++)); do
  tenths=$((5 + RANDOM % 26)) # 0.5 to 3 s of load
  sleep "$((tenths / 10)).$((tenths % 10))"
  kill -9 "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=""
  integrity_check "after kill $cycle"
  out_of_time
  start_daemon
  say "cycle $cycle: killed and restarted"
  if [[ -n $tmpfs_size ]] && ((cycle == 1)); then
    # Half the reserve left: below it, yet room for what goes on (acks, WAL, checkpoints).
    ballast=$(($(free_bytes) - reserve_bytes / 2))
    if ((ballast > 0)); then
      fallocate -l "$ballast" "$disk/ballast"
    fi
    say "disk filled: $(free_bytes) bytes free, the reserve is $reserve_bytes"
  elif [[ -n $tmpfs_size ]] && ((cycle == cycles - 1)); then
    rm -f "$disk/ballast"
    say "space returned: $(free_bytes) bytes free"
  fi
  if ! kill -0 "$bench_pid" 2>/dev/null; then
    say "the load generator exited"
    exit 1
  fi
done

# A little load on the last restart, then the drain and the checks.
sleep 1
kill -USR1 "$bench_pid"
bench_status=0
while kill -0 "$bench_pid" 2>/dev/null; do
  out_of_time
  sleep 0.2
done
wait "$bench_pid" || bench_status=$?
bench_pid=""
kill -TERM "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=""
integrity_check "after the final stop"

echo "crash consistency: $cycles cycles, seed $seed"
sed -n '/xchat-bench: checked:/,$s/^xchat-bench: //p' "$work/bench.log"
if ((bench_status != 0)); then
  say "the checks failed"
  exit 1
fi
if [[ -n $tmpfs_size ]]; then
  # The drill's own evidence, from the generator's summary lines ("  name: N").
  figure() { sed -n "s/^xchat-bench:   $1: \([0-9]*\)$/\1/p" "$work/bench.log"; }
  for name in storage_full_replies delivered_while_full deferred_then_accepted; do
    value=$(figure "$name")
    if ((${value:-0} == 0)); then
      say "the disk-full drill saw no $name"
      exit 1
    fi
  done
fi
say "every check passed"
