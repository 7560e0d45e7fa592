"""Copies that outlive the editor's laptop (SPEC §9), against a real IPFS Cluster v1.1.6:
two peers, each with its own kubo, and the editor's kubo a third node, all on loopback
(tests/services/cluster.py). The cluster's Pinning Service API is the pin service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.mirrors.ipfs import copies
from mirrorpub.mirrors.ipfs.kubo import KuboClient
from mirrorpub.mirrors.ipfs.pinsvc import PinServiceClient
from tests.services.cluster import Cluster
from tests.services.faultproxy import FORWARD, RESET, STALL, FaultProxy, Request
from tests.services.kubo import KuboDaemon, kubo_binary
from tests.sitekit import (
    article,
    article_paths,
    assert_no_traceback,
    crawl,
    http_fetcher,
    mirrorpub,
    write_site,
)

pytestmark = [pytest.mark.ipfs, pytest.mark.timeout(300)]

ARTICLES = {
    "a.md": article("A", "2026-11-20T10:00:00Z", "Alpha. [b](b.md)\n\n![p](p.png)"),
    "b.md": article("B", "2026-11-21T10:00:00Z", "Beta. [a](a.md)"),
}
FILES = {"p.png": bytes(range(256)) * 64}
TOKEN_ENV = "CLUSTER_PIN_TOKEN"
USB = {"name": "usb", "type": "directory", "path": "usb"}


def service(name: str, endpoint: str) -> dict[str, str]:
    return {"name": name, "endpoint": endpoint, "token_env": TOKEN_ENV}


def ipfs_entry(editor: KuboDaemon, cluster: Cluster, services: list[dict[str, str]],
               **extra: Any) -> dict[str, Any]:
    return {"name": "ipfs", "type": "ipfs", "api": editor.api_url,
            "gateways": [cluster.kubos[1].gateway_url], "pin_services": services,
            "pin_timeout": 60, **extra}


def publish(root: Path, token: str, code: int = 0) -> tuple[dict[str, Any], str]:
    # The time limit is the bound: a publish that hangs on a service fails the test.
    result = mirrorpub("publish", "--json", cwd=root, env={TOKEN_ENV: token}, timeout=100)
    assert_no_traceback(result)
    assert result.returncode == code, result.stdout + result.stderr
    assert token not in result.stdout + result.stderr
    assert token not in (root / ".mirrorpub" / "state.json").read_text()
    return json.loads(result.stdout), result.stderr


def ipfs_report(report: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in report["mirrors"] if m["name"] == "ipfs")


def usb_cid(root: Path) -> str | None:
    manifest = json.loads((root / "usb" / "mirrors.json").read_text())
    return next(m.get("cid") for m in manifest["mirrors"] if m["name"] == "ipfs")


def edit(root: Path, text: str) -> None:
    path = root / "content" / "a.md"
    path.write_text(path.read_text() + f"\n{text}\n")


def test_the_cluster_keeps_the_site_when_the_editors_node_is_gone(
        tmp_path: Path, cluster: Cluster, editor_kubo: KuboDaemon) -> None:
    first, second = cluster.peers
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[
        ipfs_entry(editor_kubo, cluster, [service("cluster", first.pinsvc_url)])])
    report, _ = publish(tmp_path, first.token())
    cid = ipfs_report(report)["cid"]
    assert first.pin_state(cid) == {"peer1": "pinned", "peer2": "pinned"}
    assert second.pin_state(cid) == {"peer1": "pinned", "peer2": "pinned"}
    for node in cluster.kubos:  # each peer's own kubo holds the whole tree
        with KuboClient(node.api_url) as kubo:
            assert cid in kubo.pins()
    editor_kubo.stop()
    site = crawl(http_fetcher(f"{cluster.kubos[1].gateway_url}/ipfs/{cid}/"))
    assert site.problems == []
    assert article_paths(site) == {"articles/a.html", "articles/b.html"}
    assert site.pages["files/p.png"] == FILES["p.png"]


def test_other_copies_name_a_new_cid_only_once_min_copies_confirmed(
        tmp_path: Path, cluster: Cluster, editor_kubo: KuboDaemon) -> None:
    down = False
    first, second = cluster.peers
    with FaultProxy.to(second.pinsvc_url, lambda r: RESET if down else FORWARD) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(
            editor_kubo, cluster, [service("one", first.pinsvc_url),
                                   service("two", proxy.url)], min_copies=2), USB])
        token = first.token()
        report, _ = publish(tmp_path, token)
        confirmed = ipfs_report(report)["cid"]
        assert usb_cid(tmp_path) == confirmed
        down = True
        edit(tmp_path, "an edit while service two is down")
        report, _ = publish(tmp_path, token, code=3)
        error = ipfs_report(report)["error"]
        assert "'two'" in error and "1 of the 2 pin confirmations" in error
        assert "\n" not in error and "dropped the connection" in error
        assert next(m for m in report["mirrors"] if m["name"] == "usb")["ok"]
        assert usb_cid(tmp_path) == confirmed  # still the last confirmed root
        down = False
        report, _ = publish(tmp_path, token)
        assert usb_cid(tmp_path) == ipfs_report(report)["cid"] != confirmed


def test_keep_pins_on_the_service_leaves_others_pins_alone(
        tmp_path: Path, cluster: Cluster, editor_kubo: KuboDaemon) -> None:
    first = cluster.peers[0]
    token = first.token()
    foreign_cid = _add(cluster.kubos[0], b"another newsroom's archive")
    with PinServiceClient("c", first.pinsvc_url, token) as svc:
        svc.add(foreign_cid, name="other newsroom", origins=[], meta={"by": "them"})
        write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(
            editor_kubo, cluster, [service("cluster", first.pinsvc_url)], keep_pins=3)])
        cids = []
        for n in range(4):
            edit(tmp_path, f"edit {n}")
            cids.append(ipfs_report(publish(tmp_path, token)[0])["cid"])
        owner = copies.owner_mark(_peer_id(editor_kubo), "ipfs")
        ours = {p.cid for p in svc.pins() if p.meta.get("mirrorpub") == owner}
        assert ours == set(cids[-3:])
        assert foreign_cid in {p.cid for p in svc.pins()}


@pytest.mark.parametrize("fault", ["wrong token", "down", "stalls", "pin stays pinning"])
def test_pin_service_faults_are_one_line_and_the_other_copies_update(
        tmp_path: Path, cluster: Cluster, editor_kubo: KuboDaemon, fault: str) -> None:
    first = cluster.peers[0]
    token = "not-a-valid-token" if fault == "wrong token" else first.token()
    editor = editor_kubo
    with FaultProxy.to(first.pinsvc_url, _stall_posts if fault == "stalls" else
                       lambda r: FORWARD) as proxy:
        endpoint = {"down": "http://127.0.0.1:9", "stalls": proxy.url}.get(fault,
                                                                           first.pinsvc_url)
        if fault == "pin stays pinning":  # nobody can fetch from an offline editor's node
            editor = KuboDaemon(tmp_path / "offline-kubo", binary=kubo_binary()).start()
        try:
            write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[ipfs_entry(
                editor, cluster, [service("cluster", endpoint)], pin_timeout=3), USB])
            report, _ = publish(tmp_path / "site", token, code=3)
        finally:
            editor.stop()
    error = ipfs_report(report)["error"]
    expected = {"wrong token": f"refused the token in {TOKEN_ENV} (HTTP 401)",
                "down": "cannot be reached at http://127.0.0.1:9",
                "stalls": "did not answer within 3 s",
                "pin stays pinning": "still reports the pin "}[fault]
    assert expected in error and "pin service 'cluster'" in error and "\n" not in error
    assert (tmp_path / "site" / "usb" / "index.html").is_file()  # the others were updated


def _stall_posts(request: Request) -> str:
    return STALL if request.method == "POST" else FORWARD


def _add(kubo: KuboDaemon, data: bytes) -> str:
    import httpx

    answer = httpx.post(f"{kubo.api_url}/api/v0/add", params={"cid-version": "1"},
                        files={"file": ("f", data)}, trust_env=False)
    return str(answer.json()["Hash"])


def _peer_id(kubo: KuboDaemon) -> str:
    return str(json.loads((kubo.repo / "config").read_text())["Identity"]["PeerID"])


def test_status_tells_per_pin_service_whether_the_current_root_is_pinned(
        tmp_path: Path, cluster: Cluster, editor_kubo: KuboDaemon) -> None:
    first = cluster.peers[0]
    token = first.token()
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[ipfs_entry(
        editor_kubo, cluster, [service("cluster", first.pinsvc_url)])])
    cid = ipfs_report(publish(tmp_path, token)[0])["cid"]
    result = mirrorpub("status", "--json", cwd=tmp_path, env={TOKEN_ENV: token}, timeout=100)
    assert_no_traceback(result)
    (copy,) = [c for c in json.loads(result.stdout)["copies"] if c["mirror"] == "ipfs"]
    assert copy["pin_services"] == {"cluster": "pinned"} and copy["ok"], copy
    with PinServiceClient("c", first.pinsvc_url, token) as svc:
        svc.remove(cid)  # someone unpinned it on the service
    result = mirrorpub("status", cwd=tmp_path, env={TOKEN_ENV: token}, timeout=100)
    assert result.returncode == 3
    assert "pinned on 0 pin service(s), min_copies is 1: cluster: not pinned" in result.stdout
