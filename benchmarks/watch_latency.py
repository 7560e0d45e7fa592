"""Save-to-live latency of `mirrorpub watch` on local mirrors: a folder and SeaweedFS S3.

    .venv/bin/python benchmarks/watch_latency.py [--edits 20] [--articles 50] [--debounce 1.0]

Starts its own SeaweedFS (tests/services/seaweed.py) and a real `mirrorpub watch` process,
then edits one article N times. Each edit is saved as editors do (write beside, rename)
and timed until the new text is served by the folder and by the bucket's public URL;
the next edit waits until the watcher has logged that publish. The figures include the
debounce (the quiet time watch waits for a burst to end), so the work itself is roughly
latency minus debounce; the publish time watch logs is printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.services.seaweed import SeaweedFS  # noqa: E402
from tests.sitekit import article, write_site  # noqa: E402

POLL = 0.02  # seconds between checks of a mirror
TIMEOUT = 60.0


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="watch-latency-") as tmp:
        server = SeaweedFS(Path(tmp) / "seaweed").start()
        try:
            run(Path(tmp), server, args)
        finally:
            server.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20, help="edits to time")
    parser.add_argument("--articles", type=int, default=50, help="articles in the site")
    parser.add_argument("--debounce", type=float, default=1.0, help="watch --debounce")
    return parser.parse_args()


def run(tmp: Path, server: SeaweedFS, args: argparse.Namespace) -> None:
    bucket = server.make_bucket()
    folder = tmp / "usb"
    mirrors = [{"name": "usb", "type": "directory", "path": str(folder)},
               {"name": "bucket", "type": "s3", "bucket": bucket, "endpoint_url": server.endpoint,
                "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET"}]
    articles = {f"a{n:03d}.md": article(f"Article {n}", body=f"Text of article {n}.\n" * 20)
                for n in range(args.articles)}
    config = write_site(tmp / "site", articles, mirrors=mirrors)
    log_path = tmp / "watch.log"
    with log_path.open("wb") as log:
        watch = subprocess.Popen(
            [sys.executable, "-m", "mirrorpub", "watch", "-c", str(config), "--json",
             "--debounce", str(args.debounce)],
            cwd=config.parent, env={**os.environ, **server.env()}, stderr=log,
            stdout=subprocess.DEVNULL)
    try:
        wait_publishes(log_path, 1)
        results = time_edits(config.parent, folder, server.public_url(bucket), log_path,
                             args.edits)
    finally:
        watch.terminate()
        watch.wait(timeout=30)
    report(results, publish_seconds(log_path)[1:], args)


def time_edits(site: Path, folder: Path, s3_url: str, log_path: Path,
               edits: int) -> list[tuple[float, float]]:
    results = []
    with httpx.Client(timeout=10) as http:
        for n in range(edits):
            done = len(publish_seconds(log_path))
            token = f"edit-{n}-{secrets.token_hex(4)}"
            started = time.monotonic()
            save(site / "content" / "a000.md", article("Article 0", body=f"Changed: {token}"))
            folder_at = s3_at = None
            while folder_at is None or s3_at is None:
                if time.monotonic() - started > TIMEOUT:
                    raise SystemExit(f"edit {n} not live within {TIMEOUT} s; see {log_path}")
                now = time.monotonic()
                if folder_at is None and token in read(folder / "articles/a000.html"):
                    folder_at = now
                if s3_at is None and token in http.get(s3_url + "articles/a000.html").text:
                    s3_at = now
                time.sleep(POLL)
            results.append((folder_at - started, s3_at - started))
            wait_publishes(log_path, done + 1)  # idle again before the next edit
    return results


def save(path: Path, text: str) -> None:
    beside = path.with_name(f".{path.name}.tmp")
    beside.write_text(text, encoding="utf-8")
    beside.replace(path)


def read(path: Path) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(encoding="utf-8")
    return ""


def publish_seconds(log_path: Path) -> list[float]:
    out = []
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if record.get("event") == "publish":
                out.append(float(record["seconds"]))
    return out


def wait_publishes(log_path: Path, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while len(publish_seconds(log_path)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"watch did not publish within {TIMEOUT} s; see {log_path}")
        time.sleep(0.05)


def report(results: list[tuple[float, float]], publishes: list[float],
           args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    print(f"site: {args.articles} articles; {args.edits} edits of one article; "
          f"watch --debounce {args.debounce}")
    rows = {"folder": [r[0] for r in results], "s3 (SeaweedFS)": [r[1] for r in results],
            "both live": [max(r) for r in results], "publish (logged)": publishes}
    print(f"{'save-to-live, s':<18} {'median':>7} {'p90':>7} {'min':>7} {'max':>7}")
    for name, values in rows.items():
        if values:
            print(f"{name:<18} {statistics.median(values):7.2f} {p90(values):7.2f} "
                  f"{min(values):7.2f} {max(values):7.2f}")


def p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


if __name__ == "__main__":
    main()
