"""verify and status on an IPFS copy, read through a real kubo gateway."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.sitekit import assert_no_traceback, mirrorpub
from tests.trust.conftest import SiteKey, make_site, publish

pytestmark = pytest.mark.ipfs


def test_a_signed_ipfs_copy_verifies_through_the_gateway(
        tmp_path: Path, kubo_daemon: Any, site_key: SiteKey, state_home: Path):
    root = tmp_path / "site"
    usb = tmp_path / "usb"
    make_site(root, [
        {"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
         "gateways": [kubo_daemon.gateway_url], "ipns_key": f"trust-{uuid.uuid4().hex[:8]}"},
        {"name": "usb", "type": "directory", "path": str(usb)},
    ], site_key)
    publish(root)
    state = json.loads((root / ".mirrorpub" / "state.json").read_text())
    cid = state["mirrors"]["ipfs"]["facts"]["cid"]
    gateway = kubo_daemon.gateway_url.rstrip("/")
    for url in (f"{gateway}/ipfs/{cid}", f"{gateway}/ipfs/{cid}/index.html"):
        result = mirrorpub("verify", url, "--key", site_key.public, cwd=tmp_path)
        assert_no_traceback(result)
        assert result.returncode == 0, result.stdout
        assert "OK: this copy is genuine, fresh and complete" in result.stdout
    # the folder copy names the IPFS copy's CID; the IPFS copy cannot name its own
    listed = json.loads((usb / "mirrors.json").read_text())["mirrors"]
    assert [m.get("cid") for m in listed if m["name"] == "ipfs"] == [cid]
    status = mirrorpub("status", "--json", cwd=root)
    assert status.returncode == 0, status.stdout
    copies = json.loads(status.stdout)["copies"]
    ipfs = [c for c in copies if c["mirror"] == "ipfs"]
    ipns = state["mirrors"]["ipfs"]["facts"]["ipns"]
    assert [c["url"] for c in ipfs] == [f"{gateway}/ipfs/{cid}/", f"{gateway}/ipns/{ipns}/"]
    assert all(c["state"] == "ok" and c["signature"] == "valid" for c in copies)


def test_an_ipfs_mirror_never_published_is_reported(tmp_path: Path, kubo_daemon: Any):
    root = tmp_path / "site"
    make_site(root, [{"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
                      "gateways": [kubo_daemon.gateway_url]}], None)
    status = mirrorpub("status", cwd=root)
    assert_no_traceback(status)
    assert status.returncode == 3
    assert "ipfs: never published" in status.stdout
    assert "UNPUBLISHED" in status.stdout
