"""Shared helpers for the trust tests: a site key, a private state home, a signed site."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.trust.signing import keygen
from tests.sitekit import article, mirrorpub, write_site

ARTICLES = {
    "first.md": article("First story", "2026-11-20T10:00:00+00:00", "The first story.",
                        tags=["press"]),
    "second.md": article("Second story", "2026-11-21T10:00:00+00:00",
                         "See [the first](first.md).\n\n![map](map.png)"),
}
FILES = {"map.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8}


@dataclass(frozen=True)
class SiteKey:
    path: Path
    public: str  # ed25519:… as keygen prints it
    fingerprint: str


@pytest.fixture
def site_key(tmp_path: Path) -> SiteKey:
    path = tmp_path / "keys" / "site.key"
    signer = keygen(path)
    return SiteKey(path, signer.public_text, signer.fingerprint)


@pytest.fixture
def other_key(tmp_path: Path) -> SiteKey:
    signer = keygen(tmp_path / "keys" / "other.key")
    return SiteKey(tmp_path / "keys" / "other.key", signer.public_text, signer.fingerprint)


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where verify remembers versions: private to the test, in-process and for the CLI."""
    home = tmp_path / "verify-state"
    monkeypatch.setenv("MIRRORPUB_STATE_HOME", str(home))
    return home


def make_site(root: Path, mirrors: list[Mapping[str, Any]], key: SiteKey | None,
              **site: Any) -> Path:
    extra = {"signing_key": str(key.path)} if key else {}
    return write_site(root, ARTICLES, files=FILES, mirrors=mirrors, **extra, **site)


def publish(root: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
    mirrorpub("publish", *args, cwd=root, env=env, check=True)


def s3_mirror(seaweed: Any, name: str, *, public: bool = True) -> dict[str, Any]:
    return {"name": name, "type": "s3", "bucket": seaweed.make_bucket(public=public),
            "endpoint_url": seaweed.endpoint, "access_key_id_env": "TEST_S3_KEY",
            "secret_access_key_env": "TEST_S3_SECRET"}
