"""Publishing to a real S3 server: mirrorpub against `aws s3 sync` and `rclone sync --checksum`.

    .venv/bin/python benchmarks/bench_publish.py [--articles 10000] [--tools mirrorpub rclone]

Starts its own SeaweedFS (tests/services/seaweed.py) and a counting proxy in front of it
(benchmarks/countproxy.py); every tool's endpoint is the proxy, so requests and bytes are
counted the same way for all three. One bucket per tool. The site is a generated corpus
(benchmarks/corpus.py) built once by mirrorpub, untimed; then, each timed from process
start to exit:

    first publish   mirrorpub publish          (its build re-renders every page: the
                                               untimed build named no copy, and the
                                               bucket, proved, is named at once)
                    aws s3 sync  SRC s3://B    (AWS CLI v1, default 10 threads)
                    rclone sync --checksum SRC remote:B   (default 4 transfers, 8 checkers)
    no-op publish   each again, nothing changed (--repeat times; median, best in brackets)
    one-edit        one word changed in one article, then mirrorpub publish; the files
                    whose bytes changed are copied into the other tools' source folders
                    (a copy of public/ made after the first publish), then each syncs
    new-article     one more story, newer than all (corpus.add_new), then the same: the
                    front page, the newest archive pages, its tags' pages, the feed change

mirrorpub's figures include its (incremental) build; the others only upload. Prints a
Markdown table; writes benchmarks/results/publish.json.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import os
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
from tests.services.seaweed import SeaweedFS  # noqa: E402

VENV_BIN = Path(sys.executable).parent
WORK = HERE / "work"
RESULTS = HERE / "results"
TOOLS = ("mirrorpub", "aws", "rclone")


class Bench:
    def __init__(self, count: int, times: int, tools: tuple[str, ...] = TOOLS) -> None:
        self.count = count
        self.times = times
        self.tools = tools
        self.root = WORK / f"p{count}"
        self.site = self.root / "mirrorpub"
        self.seaweed = SeaweedFS(WORK / "seaweed")
        self.proxy: CountingProxy | None = None
        self.buckets: dict[str, str] = {}
        self.rows: list[dict[str, object]] = []
        self.runs: dict[tuple[str, str], list[tuple[Run, Counts]]] = {}
        self.edits = 0
        self.added = 0
        self.changed: dict[str, list[int]] = {}  # case -> files whose bytes changed, per run

    # --- setting up -------------------------------------------------------------------

    def start(self) -> None:
        shutil.rmtree(WORK / "seaweed", ignore_errors=True)
        self.seaweed.start()
        self.proxy = CountingProxy(self.seaweed.s3_port).start()
        for tool in self.tools:
            self.buckets[tool] = self.seaweed.make_bucket(f"bench-{tool}", public=True)
            self.buckets[f"direct-{tool}"] = self.seaweed.make_bucket(f"direct-{tool}",
                                                                     public=True)

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        self.seaweed.stop()

    def prepare_site(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        corpus.write(self.root, self.count)
        # direct.toml: the same site and mirror (so the same pages), another bucket, and
        # no proxy in between. Both name the proxied bucket's public URL, straight from
        # SeaweedFS: a publish reads back what readers get there (read-backs are not
        # counted), and the direct publish, coming later, only checks it can be read.
        site_config = (self.site / "mirrorpub.toml").read_text(encoding="utf-8")
        public_url = self.seaweed.public_url(self.buckets["mirrorpub"])
        for name, bucket, endpoint in (
                ("mirrorpub.toml", self.buckets["mirrorpub"], self.proxy.endpoint),
                ("direct.toml", self.buckets["direct-mirrorpub"], self.seaweed.endpoint)):
            (self.site / name).write_text(
                site_config + f'\n[[mirrors]]\nname = "bench"\ntype = "s3"\n'
                f'bucket = "{bucket}"\nendpoint_url = "{endpoint}"\n'
                f'access_key_id_env = "BENCH_S3_KEY"\n'
                f'secret_access_key_env = "BENCH_S3_SECRET"\n'
                f'public_url = "{public_url}"\n', encoding="utf-8")
        print(f"== building {self.count} articles (untimed)", file=sys.stderr)
        run([str(VENV_BIN / "mirrorpub"), "build"], cwd=self.site)

    def endpoint(self, direct: bool) -> str:
        assert self.proxy is not None
        return self.seaweed.endpoint if direct else self.proxy.endpoint

    def env(self, tool: str, direct: bool = False) -> dict[str, str]:
        key, secret = self.seaweed.access_key, self.seaweed.secret_key
        if tool == "mirrorpub":
            return {"BENCH_S3_KEY": key, "BENCH_S3_SECRET": secret}
        if tool == "aws":
            config = self.root / "aws-config"
            config.write_text("[default]\nregion = us-east-1\ns3 =\n"
                              "    addressing_style = path\n")
            return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                    "AWS_CONFIG_FILE": str(config),
                    "AWS_SHARED_CREDENTIALS_FILE": str(self.root / "no-credentials"),
                    "AWS_DEFAULT_REGION": "us-east-1"}
        return {"RCLONE_CONFIG": str(self.root / "no-rclone.conf"),
                "RCLONE_CONFIG_BENCH_TYPE": "s3", "RCLONE_CONFIG_BENCH_PROVIDER": "SeaweedFS",
                "RCLONE_CONFIG_BENCH_ENDPOINT": self.endpoint(direct),
                "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": key,
                "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": secret}

    def command(self, tool: str, direct: bool = False) -> tuple[list[str], Path]:
        bucket = self.buckets[f"direct-{tool}" if direct else tool]
        if tool == "mirrorpub":
            config = "direct.toml" if direct else "mirrorpub.toml"
            return [str(VENV_BIN / "mirrorpub"), "publish", "--json", "-c", config], self.site
        source = str(self.root / f"src-{tool}")
        if tool == "aws":
            return [str(VENV_BIN / "aws"), "s3", "sync", source, f"s3://{bucket}",
                    "--endpoint-url", self.endpoint(direct), "--only-show-errors"], self.root
        return [str(VENV_BIN / "rclone"), "sync", "--checksum", source, f"bench:{bucket}"], \
            self.root

    # --- measuring --------------------------------------------------------------------

    def measure(self, case: str, tool: str, direct: bool = False) -> None:
        command, cwd = self.command(tool, direct)
        print(f"== {case}: {tool}", file=sys.stderr)
        self.proxy.take()
        result = run(command, cwd=cwd, env=self.env(tool, direct),
                     log=self.root / f"{tool}.log")
        counts = self.proxy.take()  # nothing, when the tool went around the proxy
        self.runs.setdefault((case, tool), []).append((result, counts))
        print(f"   {seconds(result.wall)}, {counts.requests} requests ({counts.methods()}), "
              f"{human_bytes(counts.bytes_sent)} sent", file=sys.stderr)

    def summarise(self) -> None:
        """One row per case and tool: the median run, and the best in `best_s`."""
        for (case, tool), runs in self.runs.items():
            runs = sorted(runs, key=lambda r: r[0].wall)
            result, counts = runs[len(runs) // 2]
            self.rows.append({
                "files": self.count, "case": case, "tool": tool, "runs": len(runs),
                "wall_s": result.wall, "best_s": runs[0][0].wall, "cpu_s": result.cpu,
                "peak_rss_mb": max(r.max_rss_mb for r, _ in runs),
                "requests": counts.requests, "methods": dict(counts.by_method),
                "bytes_sent": counts.bytes_sent, "bytes_received": counts.bytes_received,
                "others": max(r.others for r, _ in runs),
                "files_changed": max(self.changed.get(case, [0]))})

    def snapshot_sources(self) -> None:
        for tool in self.others:
            target = self.root / f"src-{tool}"
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(self.site / "public", target)

    def follow_edit(self) -> list[str]:
        """Give the other tools' sources what mirrorpub's last publish changed."""
        public = self.site / "public"
        changed: list[str] = []
        for tool in self.others:
            changed = _sync_changes(public, self.root / f"src-{tool}")
        return changed

    @property
    def others(self) -> tuple[str, ...]:
        return tuple(t for t in self.tools if t != "mirrorpub")

    def check_buckets(self, direct: bool = False) -> None:
        """Every tool's bucket now holds the whole site."""
        expected = {p.relative_to(self.site / "public").as_posix()
                    for p in (self.site / "public").rglob("*") if p.is_file()}
        for tool, bucket in self.buckets.items():
            if tool.startswith("direct-") != direct:
                continue
            # Less mirrorpub's index object and its journal, which are not site files, and
            # the manifest parts the last-but-one mirrors.json named (kept one publish
            # more, for readers who fetched that one a moment before).
            keys = {k for k in self.seaweed.keys(bucket) if not k.startswith(".mirrorpub-index")}
            extra = sorted(k for k in keys - expected if not k.startswith("mirrorpub-files/"))
            if expected - keys or extra:
                missing, extra = sorted(expected - keys)[:5], extra[:5]
                raise SystemExit(f"{tool}: bucket differs from the site: missing {missing}, "
                                 f"extra {extra}")

    def run_all(self) -> None:
        self.prepare_site()
        for tool in self.tools:
            if tool != "mirrorpub" and not (self.root / f"src-{tool}").exists():
                self.snapshot_sources()  # public/ as mirrorpub's first publish left it
            self.measure("first publish", tool)
        for _ in range(self.times):
            for tool in self.tools:
                self.measure("no-op publish", tool)
        for _ in range(self.times):
            self.edits += 1
            corpus.edit_one(self.root, self.count, self.edits)
            self.follow("one-edit publish")
        for _ in range(self.times):
            self.added += 1
            corpus.add_new(self.root, self.count, self.added)
            self.follow("new-article publish")
        self.check_buckets()
        # Without the counting proxy (Python, on the same two cores) in between: each tool
        # into an empty bucket of its own, straight to SeaweedFS.
        for tool in self.tools:
            self.measure("first publish, direct", tool, direct=True)
        self.check_buckets(direct=True)
        self.summarise()

    def follow(self, case: str) -> None:
        """mirrorpub publishes the change; the others sync what its build changed."""
        before = _digests(self.site / "public")
        self.measure(case, "mirrorpub")
        after = _digests(self.site / "public")
        changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        self.changed.setdefault(case, []).append(len(changed))
        print(f"   changed: {len(changed)} files: {', '.join(changed)}", file=sys.stderr)
        self.follow_edit()
        for tool in self.others:
            self.measure(case, tool)


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def _sync_changes(source: Path, target: Path) -> list[str]:
    changed = []
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(source)
        other = target / rel
        if not other.exists() or not filecmp.cmp(path, other, shallow=False):
            other.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, other)
            changed.append(rel.as_posix())
    for path in sorted(target.rglob("*")):
        if path.is_file() and not (source / path.relative_to(target)).exists():
            path.unlink()
            changed.append(f"-{path.relative_to(target).as_posix()}")
    return changed


def report(rows: list[dict[str, object]]) -> str:
    lines = []
    for r in rows:
        counted = not str(r["case"]).endswith("direct")  # the proxy saw nothing of those
        lines.append([
            r["case"], r["tool"], seconds(r["wall_s"]) if r["runs"] == 1 else
            f"{seconds(r['wall_s'])} ({seconds(r['best_s'])})", f"{r['cpu_s']:.1f} s",
            r["requests"] if counted else "–",
            " ".join(f"{m}:{n}" for m, n in sorted(r["methods"].items())) if counted else "–",
            human_bytes(r["bytes_sent"]) if counted else "–",
            human_bytes(r["bytes_received"]) if counted else "–",
            f"{r['peak_rss_mb']:.0f} MB", f"{r['others']:.0%}", r["files_changed"] or "–"])
    return table(["publish", "tool", "wall", "CPU", "requests", "by method", "sent",
                  "received", "peak RSS", "CPU of the rest (SeaweedFS, proxy, …)",
                  "files changed"], lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the no-op and one-edit "
                        "publishes (the median is shown, the best in brackets)")
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS),
                        help="mirrorpub and the peers to measure beside it")
    args = parser.parse_args()
    os.environ.pop("AWS_PROFILE", None)
    compile_package()
    bench = Bench(args.articles, args.repeat, tuple(dict.fromkeys(["mirrorpub", *args.tools])))
    bench.start()
    try:
        bench.run_all()
    finally:
        bench.stop()
    files = sum(1 for p in (bench.site / "public").rglob("*") if p.is_file())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "publish.json").write_text(json.dumps(
        {"machine": machine(), "articles": args.articles, "site_files": files,
         "rows": bench.rows}, indent=1))
    info = machine()
    print(f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']}, "
          f"Python {info['python']}; site: {args.articles} articles, {files} files")
    print(report(bench.rows))


if __name__ == "__main__":
    main()
