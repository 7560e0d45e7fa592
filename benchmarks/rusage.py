"""Run one command and write what it cost as JSON: wall time, CPU time, peak memory, and
the CPU time the whole machine spent meanwhile (to tell how much other work there was).

    python benchmarks/rusage.py OUT.json -- COMMAND [ARG…]

A small process of its own, because a child's ru_maxrss starts at the size of the process
that forked it, and the benchmark process that calls this is big. Exits with the
command's exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting on I/O)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    out, separator, *command = sys.argv[1:]
    if separator != "--" or not command:
        sys.exit("usage: rusage.py OUT.json -- COMMAND [ARG…]")
    machine_before = _machine_busy()
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    machine = _machine_busy() - machine_before
    process.returncode = code = os.waitstatus_to_exitcode(status)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                   "max_rss_kb": usage.ru_maxrss, "machine_busy": machine, "exit": code},
                  handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
