"""SIGTERM / SIGINT during `publish` (issue 20): it used to end silently (exit 143) and
leave a folder copy whose new pages its old manifest did not describe (status: BROKEN).
Now: before anything is sent it stops at once, copies untouched; once sending began it
finishes, so every copy is complete, says so, and exits 128 + the signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.s3.test_s3_mirror import s3_mirror
from tests.services.faultproxy import FORWARD, FaultProxy, Request
from tests.services.seaweed import SeaweedFS
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

pytestmark = pytest.mark.s3

ARTICLES = {f"n{i}.md": article(f"News {i}", f"2026-11-1{i}T09:00:00Z", f"Item {i}.")
            for i in range(4)}


class HoldFirst:
    """Proxy rule: hold the first request matching (method, path part) until released."""

    def __init__(self, method: str, part: str) -> None:
        self.method, self.part = method, part
        self.arrived, self.release = threading.Event(), threading.Event()

    def __call__(self, request: Request) -> Any:
        if request.method == self.method and self.part in request.path and \
                not self.arrived.is_set():
            self.arrived.set()
            self.release.wait(60)
        return FORWARD


def _site(root: Path, seaweed: SeaweedFS, proxy: FaultProxy, bucket: str) -> None:
    write_site(root, ARTICLES, mirrors=[
        {"name": "usb", "type": "directory", "path": str(root.parent / "usb")},
        {**s3_mirror(seaweed, "s3", bucket), "endpoint_url": proxy.url}])


def _edit_every_article(root: Path) -> None:
    for path in (root / "content").glob("*.md"):
        path.write_text(path.read_text() + "\nAn update.\n")


def _publish_signalled(root: Path, seaweed: SeaweedFS, rule: HoldFirst,
                       signum: int) -> subprocess.CompletedProcess[str]:
    process = subprocess.Popen([sys.executable, "-m", "mirrorpub", "publish"], cwd=root,
                               env={**os.environ, **seaweed.env(), "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    handled = threading.Event()

    def read_stderr() -> None:  # progress lines come first: read them all, as they come
        for line in process.stderr:  # type: ignore[union-attr]
            lines.append(line)
            if " received: " in line:
                handled.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        assert rule.arrived.wait(60), "the publish never reached the held request"
        process.send_signal(signum)
        # The handler has run once it says so on stderr; only then let the request go.
        handled.wait(60)
        rule.release.set()
        out = process.stdout.read()  # type: ignore[union-attr]
        process.wait(timeout=120)
        reader.join(30)
    finally:
        rule.release.set()
        if process.poll() is None:
            process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, out, "".join(lines))


def _manifest_version(folder: Path) -> int:
    return int(json.loads((folder / "mirrors.json").read_text())["version"])


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_mid_publish_finishes_it_and_every_copy_is_complete(
        tmp_path: Path, seaweed: SeaweedFS, signum: int, code: int) -> None:
    root, bucket = tmp_path / "site", seaweed.make_bucket()
    rule = HoldFirst("PUT", "/articles/")
    with FaultProxy.to(seaweed.endpoint, rule=lambda request: FORWARD) as proxy:
        _site(root, seaweed, proxy, bucket)
        mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)
        new = _manifest_version(tmp_path / "usb") + 1
        _edit_every_article(root)
        proxy.rule = rule  # the S3 copy's first new page waits: the folder is mid-publish
        result = _publish_signalled(root, seaweed, rule, signum)
        assert_no_traceback(result)
        assert result.returncode == code, result.stderr
        name = signal.Signals(signum).name
        assert f"{name} received" in result.stderr
        assert f"{name}: stopped after finishing the publish: every copy is complete" in \
            result.stderr
        status = mirrorpub("status", "--json", cwd=root, env=seaweed.env())
    assert status.returncode == 0, status.stdout
    copies = json.loads(status.stdout)["copies"]
    assert {c["mirror"]: (c["state"], c["version"]) for c in copies} == {
        "usb": ("ok", new), "s3": ("ok", new)}
    assert "An update." in (tmp_path / "usb" / "articles" / "n0.html").read_text()


def test_a_signal_before_anything_is_sent_stops_at_once_and_touches_nothing(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    root, bucket = tmp_path / "site", seaweed.make_bucket()
    rule = HoldFirst("GET", "/.mirrorpub-index.journal.json")  # preflight's look at the bucket
    with FaultProxy.to(seaweed.endpoint, rule=lambda request: FORWARD) as proxy:
        _site(root, seaweed, proxy, bucket)
        mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)
        old = _manifest_version(tmp_path / "usb")
        before = {p: p.read_bytes() for p in (tmp_path / "usb").rglob("*") if p.is_file()}
        objects = seaweed.keys(bucket)
        _edit_every_article(root)
        proxy.rule = rule
        result = _publish_signalled(root, seaweed, rule, signal.SIGTERM)
    assert_no_traceback(result)
    assert result.returncode == 143, result.stderr
    assert "SIGTERM: stopped before anything was sent: every copy is as it was" in \
        result.stderr
    after = {p: p.read_bytes() for p in (tmp_path / "usb").rglob("*") if p.is_file()}
    assert after == before
    assert seaweed.keys(bucket) == objects
    assert _manifest_version(tmp_path / "usb") == old
