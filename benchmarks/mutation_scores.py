"""Per-module mutation scores of the last `mutmut run` (`make mutate` prints them).

    .venv/bin/python benchmarks/mutation_scores.py [--survivors] [--min 85]

Reads mutmut's verdicts from mutants/**/*.py.meta and prints, for each mutated module,
the mutants the fast tests killed out of those that were checked. A mutant no test reaches
counts as a survivor: code no fast test runs is code no fast test pins. Timeouts count as
killed (the mutant made the code loop). --min makes the exit status 1 when a module scores
below that percentage, so a run can be a gate.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

MUTANTS = Path(__file__).resolve().parents[1] / "mutants"

# mutmut's exit codes (mutmut/stats.py): 1 and 3 killed, 0 survived, 5 and 33 no tests,
# 36 and the SIGXCPU family timeout; None not checked yet.
KILLED = {1, 3, 36, 24, -24, 152, 255}
NO_TESTS = {5, 33}


@dataclass
class Score:
    killed: int = 0
    survivors: list[str] = field(default_factory=list)
    unchecked: int = 0

    @property
    def checked(self) -> int:
        return self.killed + len(self.survivors)

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.checked if self.checked else 0.0


def module_of(meta: Path) -> str:
    relative = meta.relative_to(MUTANTS).with_suffix("").with_suffix("")
    return ".".join(relative.parts)


def natural(name: str) -> tuple[str, int]:
    """`x_f__mutmut_2` before `x_f__mutmut_10`."""
    stem, _, number = name.rpartition("_")
    return (stem, int(number)) if number.isdigit() else (name, 0)


def score(meta: Path) -> Score:
    result = Score()
    verdicts = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    for name, code in sorted(verdicts.items(), key=lambda item: natural(item[0])):
        if code is None:
            result.unchecked += 1
        elif code in KILLED:
            result.killed += 1
        else:
            reason = " (no test reaches it)" if code in NO_TESTS else ""
            result.survivors.append(name.rpartition(".")[2] + reason)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--survivors", action="store_true", help="name every survivor")
    parser.add_argument("--min", type=float, default=None, help="lowest acceptable percent")
    args = parser.parse_args()
    metas = sorted(MUTANTS.rglob("*.py.meta"))
    if not metas:
        print("no mutmut results: run `make mutate` first", file=sys.stderr)
        return 2
    low = []
    print(f"{'module':40} {'killed':>6} / {'total':<6} {'score':>6}")
    for meta in metas:
        result = score(meta)
        if not result.checked:
            continue
        name = module_of(meta)
        pending = f"  ({result.unchecked} not run yet)" if result.unchecked else ""
        print(f"{name:40} {result.killed:>6} / {result.checked:<6} "
              f"{result.percent:5.1f}%{pending}")
        if args.survivors:
            for survivor in result.survivors:
                print(f"    survived: {survivor}")
        if args.min is not None and result.percent < args.min:
            low.append(name)
    if low:
        print(f"below {args.min:g}%: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
