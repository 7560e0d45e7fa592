"""Build times: mirrorpub against Pelican 4 on the same generated bodies.

    .venv/bin/python benchmarks/bench_build.py [--articles 2000 10000] [--repeat 3]

For each size: a fresh corpus (benchmarks/corpus.py) in benchmarks/work/cN/, then
    cold        mirrorpub: no public/, no .mirrorpub/   Pelican: no output/, --ignore-cache
    no change   both again, caches warm
    one edit    one word changed in one article's body (corpus.edit_one), then both again
each as the real command line (`mirrorpub build`, `pelican content -s pelicanconf.py`),
timed from process start to exit. After each one-edit build, both outputs are checked to
hold the new word. Prints a Markdown table; writes benchmarks/results/build.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from measure import Run, compile_package, interleave, machine, run, seconds, table  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORK = HERE / "work"
RESULTS = HERE / "results"

MIRRORPUB = [str(VENV_BIN / "mirrorpub"), "build"]
PELICAN = [str(VENV_BIN / "pelican"), "content", "-s", "pelicanconf.py", "-o", "output"]


def fresh_corpus(count: int) -> Path:
    out = WORK / f"c{count}"
    shutil.rmtree(out, ignore_errors=True)
    corpus.write(out, count)
    return out


class Sites:
    """The two sites of one corpus, and how to build each."""

    def __init__(self, root: Path, count: int) -> None:
        self.root = root
        self.count = count
        self.mirrorpub = root / "mirrorpub"
        self.pelican = root / "pelican"
        self.edits = 0
        self.edited: str | None = None

    def command(self, tool: str) -> tuple[list[str], Path]:
        return (MIRRORPUB, self.mirrorpub) if tool == "mirrorpub" else (PELICAN, self.pelican)

    def build(self, case: str, tool: str) -> Run:
        command, cwd = self.command(tool)
        if case == "cold":
            for name in ("public", ".mirrorpub", "output", "cache"):
                shutil.rmtree(cwd / name, ignore_errors=True)
            if tool == "pelican":
                command = [*command, "--ignore-cache"]
        result = run(command, cwd=cwd)
        if case == "one edit":
            self.check_edit(tool)
        return result

    def new_round(self, case: str) -> None:
        """Before each round of a case (every tool once): the one edit, in both sites."""
        if case == "one edit":
            self.edits += 1
            self.edited = corpus.edit_one(self.root, self.count, self.edits)

    def check_edit(self, tool: str) -> None:
        assert self.edited is not None
        page = self.edited.removesuffix(".md") + ".html"
        folder = self.mirrorpub / "public" if tool == "mirrorpub" else self.pelican / "output"
        text = (folder / "articles" / page).read_text(encoding="utf-8")
        if f"{corpus.EDIT_MARK}{self.edits}" not in text:
            raise SystemExit(f"{tool}: the one-edit build did not update articles/{page}")


def bench_size(count: int, times: int, tools: list[str]) -> list[dict[str, object]]:
    print(f"== {count} articles: writing the corpus", file=sys.stderr)
    sites = Sites(fresh_corpus(count), count)
    rows = []
    for case in ("cold", "no change", "one edit"):
        print(f"== {count} articles: {case} ({', '.join(tools)} in turn)", file=sys.stderr)
        # The tools take turns, run by run: a change in the machine's speed (other virtual
        # machines on the host) then falls on both, not on whichever ran at the time.
        results = interleave(times, tools, lambda tool, _, case=case: sites.build(case, tool),
                             before_round=lambda _, case=case: sites.new_round(case))
        for tool in tools:
            result = results[tool]
            rows.append({"articles": count, "case": case, "tool": tool,
                         "wall_s": result.wall, "best_s": result.best, "cpu_s": result.cpu,
                         "peak_rss_mb": result.max_rss_mb, "runs": len(result.runs),
                         "busy_before": result.busy, "others": result.others})
            print(f"   {tool}: {seconds(result.wall)} (median of {len(result.runs)}, best "
                  f"{seconds(result.best)}, others used {result.others:.0%}), "
                  f"peak {result.max_rss_mb:.0f} MB", file=sys.stderr)
    return rows


def report(rows: list[dict[str, object]]) -> str:
    by = {(r["articles"], r["case"], r["tool"]): r for r in rows}
    lines = []
    for (count, case, tool), r in by.items():
        if tool != "mirrorpub":
            continue
        p = by.get((count, case, "pelican"))
        if p is None:
            lines.append([count, case, _both(r), "–", "–", f"{r['peak_rss_mb']:.0f} MB", "–",
                          f"{r['cpu_s']:.1f} s", r["runs"], f"{r['others']:.0%}"])
            continue
        lines.append([count, case, _both(r), _both(p),
                      f"{p['wall_s'] / r['wall_s']:.1f}× ({p['best_s'] / r['best_s']:.1f}×)",
                      f"{r['peak_rss_mb']:.0f} MB", f"{p['peak_rss_mb']:.0f} MB",
                      f"{r['cpu_s']:.1f} / {p['cpu_s']:.1f} s", f"{r['runs']} / {p['runs']}",
                      f"{max(r['others'], p['others']):.0%}"])
    return table(["articles", "build", "mirrorpub", "Pelican", "Pelican ÷ mirrorpub",
                  "mirrorpub peak RSS", "Pelican peak RSS", "CPU (mirrorpub / Pelican)",
                  "runs", "others' CPU use"], lines)


def _both(row: dict[str, object]) -> str:
    """Median wall time, and the best run in brackets when there were several."""
    median = seconds(row["wall_s"])
    return median if row["runs"] == 1 else f"{median} ({seconds(row['best_s'])})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each quick case (a case past 60 s runs once)")
    parser.add_argument("--skip-pelican", action="store_true")
    args = parser.parse_args()
    tools = ["mirrorpub"] + ([] if args.skip_pelican else ["pelican"])
    compile_package()
    rows = [row for count in args.articles for row in bench_size(count, args.repeat, tools)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "build.json").write_text(json.dumps({"machine": machine(), "rows": rows},
                                                   indent=1))
    info = machine()
    print(f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, "
          f"Python {info['python']}")
    print(report(rows))


if __name__ == "__main__":
    main()
