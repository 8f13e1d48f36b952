#!/usr/bin/env python3
"""The disk's floor under every synced commit: 4 KiB appended, then fdatasync, N times.

Usage: bench/fsync_latency.py [DIR] [N]   (DIR defaults to ./var, N to 3000)
Prints p50 / p90 / p99 / p99.9 / max in milliseconds. The file is removed afterwards.
"""
import os
import sys
import tempfile
import time

directory = sys.argv[1] if len(sys.argv) > 1 else "var"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
os.makedirs(directory, exist_ok=True)
fd, path = tempfile.mkstemp(prefix="fsync-latency-", dir=directory)
latencies = []
try:
    block = b"x" * 4096
    for _ in range(count):
        os.write(fd, block)
        start = time.perf_counter()
        os.fdatasync(fd)
        latencies.append(time.perf_counter() - start)
finally:
    os.close(fd)
    os.unlink(path)
latencies.sort()
for label, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p99.9", 0.999)):
    print(f"{label:>6} {latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1e3:.3f} ms")
print(f"{'max':>6} {latencies[-1] * 1e3:.3f} ms")
