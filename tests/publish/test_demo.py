"""`make demo` publishes the repository's own site (mirrorpub.toml at the root) to local
services. Its copies must all be ones an offline machine can reach, so that the `status`
command the demo prints at the end says all is well (exit 0) and its pages link no dead
address. The demo's config is run here against the suite's own SeaweedFS and kubo (free
ports), with only the ports and bucket names changed."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mirrorpub.trust.signing import keygen
from tests.sitekit import REPO, mirrorpub

pytestmark = [pytest.mark.s3, pytest.mark.ipfs]

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
DEMO_S3, DEMO_API, DEMO_GATEWAY = "http://127.0.0.1:18333", "http://127.0.0.1:15001", \
    "http://127.0.0.1:18080"


def demo_config() -> dict[str, Any]:
    return tomllib.loads((REPO / "mirrorpub.toml").read_text(encoding="utf-8"))


def test_the_demo_names_only_local_addresses() -> None:
    for mirror in demo_config()["mirrors"]:
        for url in [*mirror.get("gateways", []), mirror.get("endpoint_url"),
                    mirror.get("api"), mirror.get("public_url")]:
            assert url is None or urlsplit(url).hostname in LOOPBACK, (mirror["name"], url)


def test_the_status_the_demo_prints_exits_0(tmp_path: Path, seaweed: Any,
                                           kubo_daemon: Any) -> None:
    text = (REPO / "mirrorpub.toml").read_text(encoding="utf-8")
    for demo, ours in ((DEMO_S3, seaweed.endpoint), (DEMO_API, kubo_daemon.api_url),
                       (DEMO_GATEWAY, kubo_daemon.gateway_url.rstrip("/"))):
        assert demo in text
        text = text.replace(demo, ours)
    for bucket in ("newsroom-mirror-a", "newsroom-mirror-b"):
        text = text.replace(f'"{bucket}"', json.dumps(seaweed.make_bucket(public=True)))
    (tmp_path / "mirrorpub.toml").write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "content", tmp_path / "content")
    keygen(tmp_path / "demo" / "site.key")
    env = {"DEMO_S3_KEY": seaweed.access_key, "DEMO_S3_SECRET": seaweed.secret_key,
           "MIRRORPUB_SIGNING_KEY": "demo/site.key"}

    published = mirrorpub("publish", cwd=tmp_path, env=env)
    assert published.returncode == 0, published.stderr
    status = mirrorpub("status", cwd=tmp_path, env=env)  # as the demo prints it
    assert status.returncode == 0, status.stdout + status.stderr
    assert "UNREACHABLE" not in status.stdout
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "public").glob("*.html"))
    assert "ipfs.io" not in pages and "dweb.link" not in pages
