"""Publishing to IPFS: mirrorpub's incremental publish against `ipfs add -r` of the same
folder, on a real kubo v0.43.1, with the bytes each sends to kubo.

    .venv/bin/python benchmarks/bench_ipfs.py [--articles 2000 10000]

Starts its own offline kubo (tests/services/kubo.py) and a counting proxy in front of its
RPC API (benchmarks/countproxy.py); both tools talk to kubo through it. The site is the
generated corpus (benchmarks/corpus.py), built once by mirrorpub, untimed. Then, each
timed from process start to exit, once (a shared machine: see the load column):

    first publish     mirrorpub publish (the whole tree in one add; a site's first publish
                      runs twice, so every copy names every other: both rounds counted)
    ipfs add -r       `ipfs add -r --cid-version=1 public/`, the whole folder
    one-edit publish  one word changed in one article, then mirrorpub publish: the MFS
                      copy gets only the changed files (files/cp, files/rm)
    ipfs add -r       the whole edited folder again, as a plain re-add does
    new-article       one more story (corpus.add_new), then mirrorpub publish

Prints a Markdown table; writes benchmarks/results/ipfs.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
from countproxy import CountingProxy, Counts  # noqa: E402
from measure import Run, compile_package, machine, run, seconds, table  # noqa: E402

from mirrorpub.formats import human_bytes  # noqa: E402
from tests.services.kubo import KuboDaemon, kubo_binary  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORK = HERE / "work"
RESULTS = HERE / "results"
GATEWAY = "https://ipfs.example"  # fixed, so pages do not depend on a port


class Bench:
    def __init__(self, count: int, kubo: KuboDaemon, proxy: CountingProxy) -> None:
        self.count, self.kubo, self.proxy = count, kubo, proxy
        self.root = WORK / f"ipfs{count}"
        self.site = self.root / "mirrorpub"
        self.rows: list[dict[str, object]] = []

    def prepare(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        corpus.write(self.root, self.count)
        config = self.site / "mirrorpub.toml"
        config.write_text(config.read_text(encoding="utf-8") + (
            f'\n[[mirrors]]\nname = "bench"\ntype = "ipfs"\napi = "{self.proxy.endpoint}"\n'
            f'gateways = ["{GATEWAY}"]\ntimeout = 1200\n'), encoding="utf-8")
        print(f"== building {self.count} articles (untimed)", file=sys.stderr)
        run([str(VENV_BIN / "mirrorpub"), "build"], cwd=self.site)

    def measure(self, case: str, tool: str) -> None:
        print(f"== {self.count}: {case}: {tool}", file=sys.stderr)
        if tool == "mirrorpub":
            command = [str(VENV_BIN / "mirrorpub"), "publish", "--json"]
        else:
            command = [str(kubo_binary()), "--api", f"/ip4/127.0.0.1/tcp/{self.proxy.port}",
                       "add", "-r", "--cid-version=1", "-Q", str(self.site / "public")]
        self.proxy.take()
        result = run(command, cwd=self.site, env={"IPFS_PATH": str(self.kubo.repo)},
                     log=self.root / f"{tool}.log")
        self.rows.append(_row(self.count, case, tool, result, self.proxy.take()))

    def run_all(self) -> None:
        self.prepare()
        self.measure("first publish", "mirrorpub")
        self.measure("first publish", "ipfs add -r")
        corpus.edit_one(self.root, self.count)
        self.measure("one-edit publish", "mirrorpub")
        self.measure("one-edit publish", "ipfs add -r")
        # A plain re-add of a new article costs what it costs for an edit: not run again.
        corpus.add_new(self.root, self.count)
        self.measure("new-article publish", "mirrorpub")


def _row(count: int, case: str, tool: str, result: Run, counts: Counts) -> dict[str, object]:
    return {"articles": count, "case": case, "tool": tool, "wall": result.wall,
            "cpu": result.cpu, "max_rss_mb": result.max_rss_mb, "requests": counts.requests,
            "bytes_sent": counts.bytes_sent, "others": result.others}


def report(rows: list[dict[str, object]]) -> str:
    return table(["articles", "case", "tool", "wall", "sent to kubo", "requests",
                  "others' load"],
                 [[r["articles"], r["case"], r["tool"], seconds(float(r["wall"])),
                   human_bytes(int(r["bytes_sent"])), r["requests"],
                   f"{float(r['others']):.0%}"] for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[2000, 10000])
    args = parser.parse_args()
    compile_package()
    shutil.rmtree(WORK / "kubo-bench", ignore_errors=True)
    kubo = KuboDaemon(WORK / "kubo-bench").start()
    proxy = CountingProxy(kubo.api_port).start()
    rows: list[dict[str, object]] = []
    try:
        for count in sorted(args.articles):
            bench = Bench(count, kubo, proxy)
            bench.run_all()
            rows += bench.rows
    finally:
        proxy.stop()
        kubo.stop()
    text = report(rows)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ipfs.json").write_text(json.dumps({"machine": machine(), "rows": rows},
                                                  indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
