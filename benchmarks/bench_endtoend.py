"""End to end: one publish to three copies at once, an S3 bucket, a folder and IPFS, for the
SPEC §14 target (one edit or a new article: build + S3 + folder + IPFS in ≤ 3 s wall at
100,000 articles; a no-op in ≤ 1.5 s and ≤ 3 requests per copy).

    .venv/bin/python benchmarks/bench_endtoend.py [--articles 10000] [--repeat 1]

Starts its own SeaweedFS (tests/services/seaweed.py) and offline kubo (tests/services/kubo.py,
loopback only, the "test" profile), each behind a counting proxy of its own
(benchmarks/countproxy.py), so what goes to each copy is counted apart. One site
(benchmarks/corpus.py) with three `[[mirrors]]` in its mirrorpub.toml: `s3` (a public
bucket; its public_url points straight at SeaweedFS, so a publish's read-backs, made as a
reader would, are not counted), `directory` (a folder beside the site) and `ipfs`. The
site is built once, untimed; then, each `mirrorpub publish --json` timed from process
start to exit:

    first publish          the whole site to all three (reported, not a target)
    no-op publish          nothing changed (--repeat times)
    one-edit publish       one word changed in one article (corpus.edit_one, --repeat times)
    new-article publish    one more story, newer than all (corpus.add_new, --repeat times)
    no-op after new article  nothing changed, right after the last new-article publish

Each publish runs under `sh -c` only to keep its stdout (the JSON report) apart from its
log and to tell exit 3 (a copy failed, the others were updated: shown in the table) from
a crash; the shell costs ~1 ms and its rusage includes mirrorpub's. For the folder copy the
figure is how many of its files were written, made or deleted (mtime compared before and
after). Requests and bytes are the proxies' counts (heads and bodies, as sent); the
table adds in brackets the `requests` of mirrorpub's own report, counted its own way (it
leaves out the check made before sending, for one: one request per copy). Tables show
the median run, the best in brackets. Prints a Markdown table; writes
benchmarks/results/endtoend.json. Work files go to benchmarks/work/e{N}/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

import corpus  # noqa: E402
from countproxy import CountingProxy, Counts  # noqa: E402
from measure import CommandFailed, Run, compile_package, machine, run, seconds, table  # noqa: E402

from mirrorpub.formats import human_bytes  # noqa: E402
from tests.services.kubo import KuboDaemon  # noqa: E402
from tests.services.seaweed import SeaweedFS  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORK = HERE / "work"
RESULTS = HERE / "results"
GATEWAY = "https://ipfs.example"  # fixed, so pages do not depend on a port
BUCKET = "bench-endtoend"
INDEX_PREFIX = ".mirrorpub-index"  # the copies' own index and journal, not site files
PARTS = "mirrorpub-files/"  # manifest parts: a copy keeps the previous manifest's a while
# Runs the publish with its stdout (the JSON report) in $0.json and its exit code in
# $0.exit, and exits 0 itself: exit 3 (a copy failed) is a result to show, not a crash.
SHIM = '"$@" >"$0.json"; echo $? >"$0.exit"'
OK_EXITS = (0, 3)


@dataclass
class Sample:
    """One publish: what it cost, what each counted copy was sent, what the report said."""

    run: Run
    s3: Counts
    ipfs: Counts
    folder_changed: list[str]
    exit_code: int
    mirrors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def not_ok(self) -> list[str]:
        return [f"{m['name']}: {m.get('error') or 'not ok'}" for m in self.mirrors
                if not m.get("ok")]

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self.run), "exit": self.exit_code,
                "s3": _counts_json(self.s3), "ipfs": _counts_json(self.ipfs),
                "folder_files_changed": len(self.folder_changed),
                "folder_changed": self.folder_changed[:50], "mirrors": self.mirrors}


class Bench:
    def __init__(self, count: int, times: int) -> None:
        self.count = count
        self.times = times
        self.root = WORK / f"e{count}"
        self.site = self.root / "mirrorpub"
        self.folder = self.root / "folder-copy"
        self.logs = self.root / "logs"
        self.seaweed = SeaweedFS(self.root / "seaweed")
        self.kubo: KuboDaemon | None = None
        self.s3_proxy: CountingProxy | None = None
        self.ipfs_proxy: CountingProxy | None = None
        self.samples: dict[str, list[Sample]] = {}
        self.rows: list[dict[str, object]] = []
        self.problems: list[str] = []

    # --- setting up -------------------------------------------------------------------

    def start(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.logs.mkdir(parents=True)
        self.seaweed.start()
        self.s3_proxy = CountingProxy(self.seaweed.s3_port).start()
        self.seaweed.make_bucket(BUCKET, public=True)
        self.kubo = KuboDaemon(self.root / "kubo").start()
        self.ipfs_proxy = CountingProxy(self.kubo.api_port).start()

    def stop(self) -> None:
        for proxy in (self.s3_proxy, self.ipfs_proxy):
            if proxy is not None:
                proxy.stop()
        if self.kubo is not None:
            self.kubo.stop()
        self.seaweed.stop()

    def prepare_site(self) -> None:
        assert self.s3_proxy is not None and self.ipfs_proxy is not None
        corpus.write(self.root, self.count, sites=("mirrorpub",))
        config = self.site / "mirrorpub.toml"
        config.write_text(config.read_text(encoding="utf-8") + (
            f'\n[[mirrors]]\nname = "s3"\ntype = "s3"\nbucket = "{BUCKET}"\n'
            f'endpoint_url = "{self.s3_proxy.endpoint}"\n'
            f'access_key_id_env = "BENCH_S3_KEY"\nsecret_access_key_env = "BENCH_S3_SECRET"\n'
            f'public_url = "{self.seaweed.public_url(BUCKET)}"\n'
            f'\n[[mirrors]]\nname = "folder"\ntype = "directory"\npath = "{self.folder}"\n'
            f'\n[[mirrors]]\nname = "ipfs"\ntype = "ipfs"\napi = "{self.ipfs_proxy.endpoint}"\n'
            f'gateways = ["{GATEWAY}"]\ntimeout = 1200\n'), encoding="utf-8")
        print(f"== building {self.count} articles (untimed)", file=sys.stderr)
        run([str(VENV_BIN / "mirrorpub"), "build"], cwd=self.site, log=self.logs / "build.log")

    # --- measuring --------------------------------------------------------------------

    def measure(self, case: str) -> Sample:
        assert self.s3_proxy is not None and self.ipfs_proxy is not None
        runs = self.samples.setdefault(case, [])
        base = self.logs / f"{case.replace(' ', '-')}-{len(runs) + 1}"
        command = ["sh", "-c", SHIM, str(base), str(VENV_BIN / "mirrorpub"), "publish", "--json"]
        env = {"BENCH_S3_KEY": self.seaweed.access_key,
               "BENCH_S3_SECRET": self.seaweed.secret_key}
        print(f"== {case}", file=sys.stderr)
        before = _mtimes(self.folder)
        self.s3_proxy.take()
        self.ipfs_proxy.take()
        result = run(command, cwd=self.site, env=env, log=base.with_suffix(".log"))
        s3, ipfs = self.s3_proxy.take(), self.ipfs_proxy.take()
        changed = _changed(before, _mtimes(self.folder))
        code = int(Path(f"{base}.exit").read_text().strip())
        if code not in OK_EXITS:
            tail = base.with_suffix(".log").read_text(errors="replace")[-3000:]
            raise CommandFailed(f"mirrorpub publish exited {code}:\n{tail}")
        sample = Sample(result, s3, ipfs, changed, code, _mirrors(Path(f"{base}.json")))
        runs.append(sample)
        print(f"   {seconds(result.wall)}, CPU {result.cpu:.1f} s; s3 {s3.requests} requests "
              f"({s3.methods()}), {human_bytes(s3.bytes_sent)}; ipfs {ipfs.requests} requests, "
              f"{human_bytes(ipfs.bytes_sent)}; folder {len(changed)} files: "
              f"{', '.join(changed[:12])}{' …' if len(changed) > 12 else ''}", file=sys.stderr)
        for problem in sample.not_ok:
            print(f"   NOT OK: {problem}", file=sys.stderr)
        return sample

    def run_all(self) -> None:
        self.prepare_site()
        self.measure("first publish")
        for _ in range(self.times):
            self.measure("no-op publish")
        for round_no in range(1, self.times + 1):
            _edit_one(self.root, self.count, round_no)
            self.measure("one-edit publish")
        for round_no in range(1, self.times + 1):
            corpus.add_new(self.root, self.count, round_no, sites=("mirrorpub",))
            self.measure("new-article publish")
        self.measure("no-op after new article")
        self.problems = self.check_copies()
        self.summarise()

    def check_copies(self) -> list[str]:
        """The bucket and the folder now hold the whole site, and nothing else but the
        manifest parts the last-but-one manifest named (kept until no published manifest
        names them) and the copy's index."""
        public = self.site / "public"
        expected = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
        found = {"s3": set(self.seaweed.keys(BUCKET)),
                 "folder": {p.relative_to(self.folder).as_posix()
                            for p in self.folder.rglob("*") if p.is_file()}}
        problems = []
        for name, keys in found.items():
            keys = {k for k in keys if not k.startswith(INDEX_PREFIX)}
            missing = sorted(expected - keys)[:5]
            extra = sorted(k for k in keys - expected if not k.startswith(PARTS))[:5]
            if missing or extra:
                problems.append(f"{name}: differs from public/: missing {missing}, "
                                f"extra {extra}")
        return problems

    def summarise(self) -> None:
        """One row per case: the median run, the best in `best_s`."""
        for case, samples in self.samples.items():
            ordered = sorted(samples, key=lambda s: s.run.wall)
            median = ordered[len(ordered) // 2]
            self.rows.append({
                "articles": self.count, "case": case, "runs": len(samples),
                "wall_s": median.run.wall, "best_s": ordered[0].run.wall,
                "cpu_s": median.run.cpu,
                "peak_rss_mb": max(s.run.max_rss_mb for s in samples),
                "s3_requests": median.s3.requests, "s3_bytes_sent": median.s3.bytes_sent,
                "ipfs_requests": median.ipfs.requests, "ipfs_bytes_sent": median.ipfs.bytes_sent,
                "reported_requests": {m["name"]: m.get("requests") for m in median.mirrors},
                "folder_files_changed": len(median.folder_changed),
                "not_ok": sorted({p for s in samples for p in s.not_ok}),
                "others": max(s.run.others for s in samples),
                "samples": [s.as_json() for s in samples]})


def _edit_one(root: Path, count: int, round_no: int) -> str:
    """corpus.edit_one, which edits the Pelican twin of the article too: this benchmark
    writes only the mirrorpub site, so the twin is a copy of the article, made first."""
    name = corpus.edit_target(count)
    twin = root / "pelican" / "content" / "news" / name
    twin.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "mirrorpub" / "content" / "news" / name, twin)
    return corpus.edit_one(root, count, round_no)


def _mtimes(folder: Path) -> dict[str, int]:
    """Every file beneath `folder`: relative path -> mtime in nanoseconds."""
    found: dict[str, int] = {}
    stack = [folder]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            else:
                found[Path(entry.path).relative_to(folder).as_posix()] = \
                    entry.stat(follow_symlinks=False).st_mtime_ns
    return found


def _changed(before: dict[str, int], after: dict[str, int]) -> list[str]:
    """Files written (mtime changed), made (+) or deleted (-) between two snapshots."""
    return sorted([p for p in after if p in before and after[p] != before[p]]
                  + [f"+{p}" for p in after.keys() - before.keys()]
                  + [f"-{p}" for p in before.keys() - after.keys()])


def _mirrors(report: Path) -> list[dict[str, Any]]:
    """Each copy's entry of a publish's --json report (its plan left out: it can be big)."""
    try:
        document = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [{"name": "(report)", "ok": False, "error": f"no JSON report: {exc}"}]
    return [{k: v for k, v in m.items() if k != "plan"} for m in document.get("mirrors", [])]


def _counts_json(counts: Counts) -> dict[str, object]:
    return {"requests": counts.requests, "methods": dict(counts.by_method),
            "bytes_sent": counts.bytes_sent, "bytes_received": counts.bytes_received}


def report(rows: list[dict[str, object]]) -> str:
    lines = []
    for r in rows:
        said: dict[str, object] = r["reported_requests"]  # type: ignore[assignment]
        wall = seconds(float(r["wall_s"]))
        if int(r["runs"]) > 1:
            wall += f" ({seconds(float(r['best_s']))})"
        lines.append([
            r["case"], r["runs"], wall, f"{float(r['cpu_s']):.1f} s",
            f"{float(r['peak_rss_mb']):.0f} MB",
            f"{r['s3_requests']} ({said.get('s3', '?')})", human_bytes(int(r["s3_bytes_sent"])),
            f"{r['ipfs_requests']} ({said.get('ipfs', '?')})",
            human_bytes(int(r["ipfs_bytes_sent"])),
            r["folder_files_changed"], "; ".join(r["not_ok"]) or "all ok",
            f"{float(r['others']):.0%}"])
    return table(["publish", "runs", "wall", "CPU", "peak RSS",
                  "s3 requests (mirrorpub's count)", "s3 sent",
                  "ipfs requests (mirrorpub's count)", "ipfs sent", "folder files changed",
                  "copies not ok", "others' CPU"], lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the no-op, one-edit "
                        "and new-article publishes (the median is shown, the best in brackets)")
    args = parser.parse_args()
    compile_package()
    bench = Bench(args.articles, max(1, args.repeat))
    try:
        bench.start()
        bench.run_all()
    finally:
        bench.stop()
    files = sum(1 for p in (bench.site / "public").rglob("*") if p.is_file())
    info = machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "endtoend.json").write_text(json.dumps(
        {"machine": info, "articles": args.articles, "site_files": files,
         "problems": bench.problems, "rows": bench.rows}, indent=1) + "\n", encoding="utf-8")
    print(f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, "
          f"Python {info['python']}; site: {args.articles} articles, {files} files")
    print(report(bench.rows))
    for problem in bench.problems:
        print(f"\nWARNING: {problem}")


if __name__ == "__main__":
    main()
