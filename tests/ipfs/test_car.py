"""`mirrorpub bundle --car FILE` (SPEC §9): the published IPFS copy as one CAR file, the
same bytes every time, whose root is the copy's CID; another node imports it whole."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.services.kubo import KuboDaemon
from tests.sitekit import article, assert_no_traceback, crawl, http_fetcher, mirrorpub, write_site

pytestmark = pytest.mark.ipfs


def test_the_car_holds_the_copy_and_is_deterministic(
        tmp_path: Path, kubo_daemon: KuboDaemon, kubo_factory: Callable[..., KuboDaemon]) -> None:
    write_site(tmp_path, {"a.md": article("A", body="Alpha. [b](b.md)"),
                          "b.md": article("B", body="Beta.")},
               mirrors=[{"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
                         "gateways": [kubo_daemon.gateway_url]}])
    result = mirrorpub("bundle", "--car", "site.car", cwd=tmp_path)
    assert result.returncode == 2 and "run `mirrorpub publish` first" in result.stderr
    report = json.loads(mirrorpub("publish", "--json", cwd=tmp_path, check=True).stdout)
    cid = report["mirrors"][0]["cid"]
    first = mirrorpub("bundle", "--car", "site.car", cwd=tmp_path)
    assert_no_traceback(first)
    assert first.returncode == 0 and cid in first.stderr + first.stdout
    once = (tmp_path / "site.car").read_bytes()
    mirrorpub("bundle", "--car", "again.car", cwd=tmp_path, check=True)
    assert (tmp_path / "again.car").read_bytes() == once
    other = kubo_factory()
    imported = other.cli("dag", "import", "--pin-roots", str(tmp_path / "site.car")).stdout
    assert f"Pinned root\t{cid}\tsuccess" in imported
    site = crawl(http_fetcher(f"{other.gateway_url}/ipfs/{cid}/"))
    assert site.problems == [] and "articles/b.html" in site.pages
