"""IPFS mirrors on a real kubo v0.43.1 (offline, loopback): the site as one content-
addressed tree, pinned, rotated, named by IPNS, read through kubo's own gateway."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.mirrors.ipfs.kubo import KuboClient
from tests.services.faultproxy import FORWARD, STALL, FaultProxy, Request
from tests.services.kubo import KuboDaemon
from tests.sitekit import (
    article,
    article_paths,
    assert_no_traceback,
    crawl,
    http_fetcher,
    mirrorpub,
    write_site,
)

pytestmark = pytest.mark.ipfs

ARTICLES = {
    "a.md": article("A", "2026-11-20T10:00:00Z", "Alpha. [b](b.md)\n\n![p](p.png)"),
    "b.md": article("B", "2026-11-21T10:00:00Z", "Beta. [a](a.md)", lang="fa"),
}
FILES = {"p.png": bytes(range(256)) * 64}


def ipfs_entry(kubo: KuboDaemon, **extra: Any) -> dict[str, Any]:
    return {"name": "ipfs", "type": "ipfs", "api": kubo.api_url, "gateways": [kubo.gateway_url],
            **extra}


def publish(root: Path, code: int = 0) -> dict[str, Any]:
    result = mirrorpub("publish", "--json", cwd=root)
    assert_no_traceback(result)
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)


def cid_of(report: dict[str, Any]) -> str:
    return next(m["cid"] for m in report["mirrors"] if m["name"] == "ipfs")


def edit(root: Path, text: str) -> None:
    path = root / "content" / "a.md"
    path.write_text(path.read_text() + f"\n{text}\n")


def test_the_site_reads_through_the_gateway(tmp_path: Path, kubo_daemon: KuboDaemon,
                                            kubo_client: KuboClient) -> None:
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(kubo_daemon)])
    cid = cid_of(publish(tmp_path))
    assert cid.startswith("bafy")  # CIDv1
    site = crawl(http_fetcher(f"{kubo_daemon.gateway_url}/ipfs/{cid}/"))
    assert site.problems == []
    assert article_paths(site) == {"articles/a.html", "articles/b.html"}
    assert site.pages["files/p.png"] == FILES["p.png"]
    assert cid in kubo_client.pins()
    assert kubo_client.files_stat("/mirrorpub/ipfs") == cid  # an MFS copy for operators


def test_an_unchanged_site_keeps_its_cid(tmp_path: Path, kubo_daemon: KuboDaemon) -> None:
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(kubo_daemon)])
    first = publish(tmp_path)
    second = publish(tmp_path)
    assert cid_of(first) == cid_of(second)
    assert second["mirrors"][0]["uploaded"] == 0  # not even sent again
    edit(tmp_path, "changed")
    assert cid_of(publish(tmp_path)) != cid_of(first)


def test_an_unchanged_site_costs_kubo_three_calls_preflight_included(
        tmp_path: Path, kubo_daemon: KuboDaemon) -> None:
    """SPEC §14: a no-op publish makes at most 3 requests a mirror; the preflight's call
    (kubo's version) is one the publish then does not make again."""
    with FaultProxy.to(kubo_daemon.api_url) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES,
                   mirrors=[{**ipfs_entry(kubo_daemon), "api": proxy.url}])
        first = publish(tmp_path)
        proxy.requests.clear()
        again = publish(tmp_path)
        calls = [r.path for r in proxy.requests]
    assert again["mirrors"][0]["uploaded"] == 0 and cid_of(again) == cid_of(first)
    assert len(calls) <= 3, calls
    assert calls.count("/api/v0/version") == 1, calls  # the preflight's


def test_only_the_newest_roots_stay_pinned(tmp_path: Path, kubo_daemon: KuboDaemon,
                                           kubo_client: KuboClient) -> None:
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(kubo_daemon, keep_pins=2)])
    roots = []
    for n in range(4):
        edit(tmp_path, f"edit {n}")
        roots.append(cid_of(publish(tmp_path)))
    pinned = kubo_client.pins()
    assert roots[-1] in pinned and roots[-2] in pinned
    assert roots[0] not in pinned and roots[1] not in pinned


def test_a_new_root_is_pinned_from_the_last_and_afresh_when_that_pin_is_gone(
        tmp_path: Path, kubo_daemon: KuboDaemon, kubo_client: KuboClient) -> None:
    with FaultProxy.to(kubo_daemon.api_url) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES,
                   mirrors=[{**ipfs_entry(kubo_daemon), "api": proxy.url}])
        first = cid_of(publish(tmp_path))
        edit(tmp_path, "an edit")
        proxy.requests.clear()
        second = cid_of(publish(tmp_path))
        calls = [r.path for r in proxy.requests]
        assert "/api/v0/pin/update" in calls and "/api/v0/pin/add" not in calls, calls
        assert {first, second} <= kubo_client.pins()
        kubo_client.pin_rm(second)  # someone unpinned the last root by hand
        edit(tmp_path, "another edit")
        proxy.requests.clear()
        third = cid_of(publish(tmp_path))
        calls = [r.path for r in proxy.requests]
    assert "/api/v0/pin/update" in calls and "/api/v0/pin/add" in calls, calls
    assert third in kubo_client.pins()


def test_the_ipns_name_resolves_to_the_newest_root(tmp_path: Path, kubo_daemon: KuboDaemon,
                                                   kubo_client: KuboClient) -> None:
    key = f"news-{tmp_path.name[-8:]}".replace("_", "-")
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(kubo_daemon, ipns_key=key),
                                            {"name": "usb", "type": "directory", "path": "usb"}])
    publish(tmp_path)
    edit(tmp_path, "newer")
    report = publish(tmp_path)
    name = kubo_client.key_list()[key]
    assert kubo_client.name_resolve(name) == f"/ipfs/{cid_of(report)}"
    manifest = json.loads((tmp_path / "usb" / "mirrors.json").read_text())
    ipfs = next(m for m in manifest["mirrors"] if m["name"] == "ipfs")
    assert ipfs["ipns"] == name
    # Only an IPNS name is stable, so only it can appear on every page.
    page = (tmp_path / "usb" / "articles" / "a.html").read_text()
    assert f"{kubo_daemon.gateway_url}/ipns/{name}/articles/a.html" in page


def test_a_slow_ipns_publish_is_reported_apart_and_holds_nobody_up(
        tmp_path: Path, kubo_daemon: KuboDaemon, kubo_client: KuboClient) -> None:
    def stall_ipns(request: Request) -> str:
        return STALL if request.path.startswith("/api/v0/name/publish") else FORWARD

    with FaultProxy.to(kubo_daemon.api_url, stall_ipns) as proxy:
        entry = ipfs_entry(kubo_daemon, api=proxy.url, ipns_key="slow-key", ipns_timeout=2)
        usb = {"name": "usb", "type": "directory", "path": "usb"}
        write_site(tmp_path, ARTICLES, files=FILES, mirrors=[entry, usb])
        result = mirrorpub("publish", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "warning: ipfs: IPNS name not updated" in result.stderr
    assert "did not answer within 2" in result.stderr
    manifest = json.loads((tmp_path / "usb" / "mirrors.json").read_text())
    ipfs = next(m for m in manifest["mirrors"] if m["name"] == "ipfs")
    assert ipfs["status"] == "active" and ipfs["cid"] in kubo_client.pins()


def test_no_daemon_is_a_clear_failure_that_spares_the_other_mirrors(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[
        {"name": "ipfs", "type": "ipfs", "api": f"http://127.0.0.1:{port}"},
        {"name": "usb", "type": "directory", "path": "usb"}])
    result = mirrorpub("publish", cwd=tmp_path)  # found before sending: nothing goes out
    assert_no_traceback(result)
    assert result.returncode == 1
    (line,) = [x for x in result.stderr.splitlines() if "mirror 'ipfs'" in x]
    assert f"no IPFS daemon answers at http://127.0.0.1:{port}" in line
    assert not (tmp_path / "usb").exists()
    result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 3
    assert "ipfs: FAILED after" in result.stderr
    assert f"no IPFS daemon answers at http://127.0.0.1:{port}" in result.stderr
    manifest = json.loads((tmp_path / "usb" / "mirrors.json").read_text())
    # It never published: readers are not told of it (once it has, it is named `failed`).
    assert {m["name"]: m["status"] for m in manifest["mirrors"]} == {"usb": "active"}


def test_status_calls_a_copy_the_last_publish_missed_stale(tmp_path: Path,
                                                           kubo_daemon: KuboDaemon) -> None:
    """kubo down while the site moves on: once it is back, its copy still serves the old
    version, and status must say so (issue 20: it said `ok` and exited 0)."""
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[
        ipfs_entry(kubo_daemon), {"name": "usb", "type": "directory", "path": "usb"}])
    before = publish(tmp_path)["version"]
    kubo_daemon.stop()
    try:
        edit(tmp_path, "news while kubo was down")
        result = mirrorpub("publish", "--skip-preflight", "--json", cwd=tmp_path)
        assert result.returncode == 3, result.stderr
        after = json.loads(result.stdout)["version"]
    finally:
        kubo_daemon.start()
    assert after == before + 1
    status = mirrorpub("status", cwd=tmp_path)
    assert_no_traceback(status)
    assert status.returncode == 3, status.stdout + status.stderr
    assert any("ipfs" in x and "STALE" in x for x in status.stdout.splitlines()), status.stdout
    assert f"serves version {before}, the current one is {after}" in status.stdout, \
        status.stdout
    as_json = json.loads(mirrorpub("status", "--json", cwd=tmp_path).stdout)
    ipfs = next(c for c in as_json["copies"] if c["mirror"] == "ipfs")
    assert (ipfs["state"], ipfs["version"], ipfs["expected_version"]) == ("stale", before, after)
    usb = next(c for c in as_json["copies"] if c["mirror"] == "usb")
    assert (usb["state"], usb["version"]) == ("ok", after)
