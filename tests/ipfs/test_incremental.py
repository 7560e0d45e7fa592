"""A one-edit publish of a 2,000-article site sends kubo only what changed (SPEC §9),
counted by a proxy in front of the real kubo RPC API, and the copy's CID is still what a
full `ipfs add -r --cid-version=1` of the same copy gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.services.faultproxy import FaultProxy
from tests.services.kubo import KuboDaemon
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

pytestmark = [pytest.mark.ipfs, pytest.mark.timeout(900)]

ARTICLES = 2000
WORDS = ["press", "freedom", "court", "ruling", "reporters", "border", "election",
         "archive", "minister", "protest", "budget", "river", "harvest", "school"]


def body(n: int) -> str:
    words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(900)]
    return "\n\n".join(" ".join(words[i:i + 90]).capitalize() + "." for i in range(0, 900, 90))


def publish(root: Path) -> dict:
    result = mirrorpub("publish", "--json", cwd=root, timeout=800)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_a_one_edit_publish_sends_kubo_under_a_megabyte(tmp_path: Path,
                                                        kubo_daemon: KuboDaemon) -> None:
    articles = {f"n{n:04d}.md": article(f"Story {n}", f"2026-{1 + n % 12:02d}-"
                                        f"{1 + n % 28:02d}T10:00:00Z", body(n),
                                        tags=[WORDS[n % len(WORDS)]])
                for n in range(ARTICLES)}
    with FaultProxy.to(kubo_daemon.api_url) as proxy:
        write_site(tmp_path, articles, mirrors=[{
            "name": "ipfs", "type": "ipfs", "api": proxy.url,
            "gateways": [kubo_daemon.gateway_url]}])
        first = sum(r.sent for r in proxy.requests)
        publish(tmp_path)
        first = sum(r.sent for r in proxy.requests) - first
        path = tmp_path / "content" / "n1234.md"
        path.write_text(path.read_text() + "\nA correction, in one sentence.\n")
        dry = mirrorpub("publish", "--dry-run", cwd=tmp_path, timeout=800)
        assert re.search(r"^ipfs: send \d+ changed files and the manifest files into the "
                         r"node's copy, remove 0$", dry.stdout, re.M), dry.stdout
        before = len(proxy.requests)
        report = publish(tmp_path)
        sent = sum(r.sent for r in proxy.requests[before:])
    cid = report["mirrors"][0]["cid"]
    print(f"\nbytes sent to kubo: first publish {first}, one-edit publish {sent}")
    assert sent < 1_000_000
    assert first > 10 * sent  # the first one did send the whole site
    copy = tmp_path / "copy"
    kubo_daemon.cli("get", cid, "-o", str(copy))
    full = kubo_daemon.cli("add", "-r", "--cid-version=1", "-Q", "-n", str(copy)).stdout.strip()
    assert full == cid
