"""Run a command as a user would and measure it: wall time, CPU time, peak memory.

Peak memory is ru_maxrss: the largest resident set of the command or of any child it
waited for (mirrorpub's pool workers), not their sum. It is read by benchmarks/rusage.py, a
small process of its own, because a child's ru_maxrss starts at the size of the process
that forked it, and this benchmark process is big. Wall time includes the interpreter's
start, as a user at a terminal sees it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# A slow case is run once; a quick one up to `repeat` times while it stays under this.
REPEAT_BUDGET_S = 60.0
# Other work on the machine (a test suite, a build) skews every figure: before each run,
# wait up to QUIET_PATIENCE_S for the CPUs to be at most QUIET_BUSY busy, and record it.
QUIET_BUSY = 0.15
# BENCH_QUIET_PATIENCE_S=5: on a machine others keep busy, do not wait 3 minutes a run
# (the figures then say how busy it was: "CPU of the rest").
QUIET_PATIENCE_S = float(os.environ.get("BENCH_QUIET_PATIENCE_S", "180"))
RUSAGE = Path(__file__).resolve().parent / "rusage.py"


class CommandFailed(RuntimeError):
    pass


@dataclass
class Run:
    wall: float
    cpu: float  # user + system, the process and its children
    max_rss_mb: float
    busy_before: float  # share of all CPUs busy just before it started (others' work)
    others: float  # share of all CPUs that other processes used while it ran


@dataclass
class Case:
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def best(self) -> float:
        """The fastest run: the least disturbed by other work on the machine."""
        return min(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def max_rss_mb(self) -> float:
        return max(r.max_rss_mb for r in self.runs)

    @property
    def busy(self) -> float:
        return max(r.busy_before for r in self.runs)

    @property
    def others(self) -> float:
        return max(r.others for r in self.runs)


def run(command: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
        log: Path | None = None) -> Run:
    """Run once; raise CommandFailed (with the log's tail) unless it exits 0."""
    log = log or cwd / "bench-command.log"
    usage_file = log.with_suffix(".usage.json")
    busy = wait_quiet()
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        code = subprocess.call([sys.executable, str(RUSAGE), str(usage_file), "--", *command],
                               cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=out, stderr=subprocess.STDOUT)
    if code != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise CommandFailed(f"{' '.join(command)} exited {code}:\n{tail}")
    usage = json.loads(usage_file.read_text())
    wall, cpu = usage["wall"], usage["cpu"]
    others = max(0.0, usage["machine_busy"] - cpu) / (wall * (os.cpu_count() or 1))
    return Run(wall=wall, cpu=cpu, max_rss_mb=usage["max_rss_kb"] / 1024, busy_before=busy,
               others=others)


def _ticks() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, in clock ticks."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = fields[3] + fields[4]  # idle and waiting on I/O
    return sum(fields) - idle, sum(fields)


def cpu_busy(interval: float = 1.0) -> float:
    """Share of all CPUs busy (not idle, not waiting on I/O) over `interval` seconds."""
    busy1, total1 = _ticks()
    time.sleep(interval)
    busy2, total2 = _ticks()
    return (busy2 - busy1) / max(1, total2 - total1)


def wait_quiet() -> float:
    """Wait (a while) until the machine is quiet; return how busy it was at the start."""
    deadline = time.monotonic() + QUIET_PATIENCE_S
    busy = cpu_busy()
    while busy > QUIET_BUSY and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def interleave(times: int, tools: Sequence[str], once: Callable[[str, int], Run], *,
               before_round: Callable[[int], None] = lambda _: None) -> dict[str, Case]:
    """Up to `times` rounds in which each tool runs once, in turn; a tool whose runs took
    longer than REPEAT_BUDGET_S in all stops after its first."""
    cases = {tool: Case() for tool in tools}
    spent = dict.fromkeys(tools, 0.0)
    for i in range(times):
        going = [tool for tool in tools if i == 0 or spent[tool] <= REPEAT_BUDGET_S]
        if not going:
            break
        before_round(i)
        for tool in going:
            result = once(tool, i)
            cases[tool].runs.append(result)
            spent[tool] += result.wall
    return cases


def compile_package() -> None:
    """Bytecode for mirrorpub, as an installed wheel has: this checkout is installed in
    editable mode, and with PYTHONDONTWRITEBYTECODE set (as on this machine) every run
    would compile the package again (~50 ms), which the other tools, installed with
    their bytecode, never do."""
    package = Path(__file__).resolve().parent.parent / "mirrorpub"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": memory,
            "python": platform.python_version(), "kernel": platform.release()}


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, readable as plain text too."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"
