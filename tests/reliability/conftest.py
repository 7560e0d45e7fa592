"""Helpers for the reliability tests: sites, mirrors, copies, and a tally of what was tried.

Every test that injects a fault or feeds a hostile input adds to `tally`; the totals are
printed at the end of the run ("reliability: N faults injected, M hostile inputs tried").
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.layout import is_manifest_file, is_part  # noqa: F401 (used by the tests here)
from mirrorpub.mirrors.remoteindex import INDEX_NAMES, decode_index
from tests.sitekit import REPO, Crawl, crawl, folder_fetcher, http_fetcher

TALLY: Counter[str] = Counter()


@pytest.fixture
def tally() -> Counter[str]:
    return TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY:
        parts = ", ".join(f"{n} {what}" for what, n in sorted(TALLY.items()))
        terminalreporter.write_line(f"reliability: {parts}")


# --- mirrors and copies ------------------------------------------------------------------

def s3_mirror(seaweed: Any, bucket: str, *, name: str = "one", endpoint: str | None = None,
              **extra: Any) -> dict[str, Any]:
    """An S3 mirror entry; `endpoint` (a fault proxy) replaces the real one for writes."""
    return {"name": name, "type": "s3", "bucket": bucket,
            "endpoint_url": endpoint or seaweed.endpoint,
            "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET",
            "public_url": seaweed.public_url(bucket, extra.get("prefix", "")), **extra}


def bucket_objects(seaweed: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under `prefix` (as site paths), the remote index left out."""
    client = seaweed.client()
    out = {}
    for key in seaweed.keys(bucket):
        if not key.startswith(prefix):
            continue
        path = key[len(prefix):]
        if path not in INDEX_NAMES:
            out[path] = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return out


def folder_files(root: Path, *, hidden: bool = False) -> dict[str, bytes]:
    """Every file under root (as site paths); the remote index left out."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in INDEX_NAMES and (hidden or not path.name.startswith(".")):
            out[rel] = path.read_bytes()
    return out


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_same_files(copy: Mapping[str, bytes], expected: Mapping[str, bytes],
                      where: str) -> None:
    """The copy holds the build's files; besides them, at most the parts of the manifest
    its mirrors.json replaced (kept one publish more, for readers mid-fetch)."""
    missing = sorted(set(expected) - set(copy))
    extra = sorted(set(copy) - set(expected))
    kept = [p for p in extra if is_part(p)]
    if len(kept) <= len([p for p in expected if is_part(p)]):
        extra = [p for p in extra if not is_part(p)]
    differ = sorted(p for p in set(copy) & set(expected) if sha(copy[p]) != sha(expected[p]))
    assert not (missing or extra or differ), (
        f"{where} differs from the local build: missing {missing}, stale {extra}, "
        f"different {differ}")


def assert_manifest_whole(copy: Mapping[str, bytes], where: str) -> None:
    """Every part the copy's mirrors.json names is there, whole (its sha256 is its name),
    and every file the parts list is there: what verify needs to check the copy."""
    manifest = json.loads(copy["mirrors.json"])
    for entry in manifest["files_index"]:
        assert entry["path"] in copy, f"{where}: part {entry['path']} missing"
        assert sha(copy[entry["path"]]) == entry["sha256"], f"{where}: {entry['path']} altered"
        missing = [p for p in json.loads(copy[entry["path"]])["files"] if p not in copy]
        assert not missing, f"{where}: listed but missing: {missing}"


def assert_readable_copy(result: Crawl, where: str) -> None:
    """A reader starting at index.html finds every linked page and file."""
    assert "index.html" in result.pages, f"{where}: index.html does not load: {result.problems}"
    assert not result.problems, f"{where}: {result.problems}"


def crawl_bucket(seaweed: Any, bucket: str, prefix: str = "") -> Crawl:
    return crawl(http_fetcher(seaweed.public_url(bucket, prefix)))


def crawl_folder(root: Path) -> Crawl:
    return crawl(folder_fetcher(root))


def assert_index_parses(data: bytes | None, where: str) -> None:
    if data is not None:
        assert decode_index(data) is not None, f"{where}: the remote index is damaged"


def assert_state_parses(site: Path) -> None:
    from mirrorpub.publish.state import load_state

    path = site / ".mirrorpub" / "state.json"
    if path.exists():
        json.loads(path.read_text(encoding="utf-8"))
        load_state(site / ".mirrorpub")


# --- running the real command ------------------------------------------------------------

def start_mirrorpub(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
                    module: str = "mirrorpub") -> subprocess.Popen[str]:
    """`python -m mirrorpub ARGS` in the background (module may be a crash wrapper)."""
    full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"mirrorpub hung for {timeout} s:\n{out}\n{err}") from None
    return process.returncode, out, err


class PidHolder:
    """Lets a proxy rule kill the publish that is talking through it."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.killed = False

    def kill(self) -> None:
        if self.pid is not None and not self.killed:
            self.killed = True
            os.kill(self.pid, signal.SIGKILL)


def wait_quiet(proxy: Any, seconds: float = 10.0) -> None:
    """Wait until no connection is open through the proxy (requests in flight landed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with proxy._lock:
            if not proxy._open:
                return
        time.sleep(0.05)
