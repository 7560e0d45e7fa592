"""Signing by default: `init` makes each site a key of its own (outside the site folder,
0600) and names it in the config; `publish` without any key says so once; `verify` in a
site folder checks against that site's key unless --key says otherwise."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mirrorpub.config import load_config
from mirrorpub.trust.signing import load_signer
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

NOTE = "note: the manifest is not signed"


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A config home of the test's own, and no key from the environment."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "config-home"), "MIRRORPUB_SIGNING_KEY": ""}


def init_site(where: Path, name: str, env: dict[str, str]) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    result = mirrorpub("init", name, cwd=where, env=env, check=True)
    assert_no_traceback(result)
    site = where / name
    # publishable: one article that is not a draft
    (site / "content" / "story.md").write_text(article("A story"), encoding="utf-8")
    return site


def test_init_makes_a_private_key_for_that_site_and_names_it_in_the_config(
        tmp_path: Path, home: dict[str, str]) -> None:
    result = mirrorpub("init", "news", cwd=tmp_path, env=home, check=True)
    keys = list((tmp_path / "config-home" / "mirrorpub" / "keys").iterdir())
    assert len(keys) == 1 and keys[0].name.startswith("news-") and keys[0].suffix == ".key"
    assert stat.S_IMODE(keys[0].stat().st_mode) == 0o600
    assert not keys[0].is_relative_to(tmp_path / "news")
    signer = load_signer(load_config(tmp_path / "news" / "mirrorpub.toml"))
    assert signer is not None
    assert result.stdout.strip() == signer.public_text  # stdout: the public key, nothing else
    assert f"fingerprint: {signer.fingerprint}" in result.stderr
    # another site in a folder of the same name gets a key of its own
    mirrorpub("init", "news", cwd=tmp_path / "news" / "content", env=home, check=True)
    assert len(list(keys[0].parent.iterdir())) == 2


def test_init_refuses_an_existing_site_and_leaves_its_key_alone(
        tmp_path: Path, home: dict[str, str]) -> None:
    mirrorpub("init", "news", cwd=tmp_path, env=home, check=True)
    (key,) = (tmp_path / "config-home" / "mirrorpub" / "keys").iterdir()
    before = key.read_bytes()
    again = mirrorpub("init", "news", cwd=tmp_path, env=home)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert key.read_bytes() == before


def test_a_site_from_init_publishes_signed_copies(tmp_path: Path,
                                                 home: dict[str, str]) -> None:
    site = init_site(tmp_path, "news", home)
    published = mirrorpub("publish", cwd=site, env=home, check=True)
    assert NOTE not in published.stderr
    assert (site / "mirror-copy" / "mirrors.json.sig").is_file()


def test_publish_without_a_key_says_so_once_and_still_publishes(tmp_path: Path,
                                                               home: dict[str, str]) -> None:
    write_site(tmp_path, {"a.md": article("A")},
               mirrors=[{"name": "one", "type": "directory", "path": "one"},
                        {"name": "two", "type": "directory", "path": "two"}])
    result = mirrorpub("publish", cwd=tmp_path, env=home)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(NOTE) == 1
    assert (tmp_path / "one" / "index.html").is_file()
    assert (tmp_path / "two" / "index.html").is_file()
    as_json = mirrorpub("publish", "--json", cwd=tmp_path, env=home)
    assert json.loads(as_json.stdout)["signed"] is False


def test_verify_in_a_site_folder_uses_that_sites_key(tmp_path: Path,
                                                    home: dict[str, str]) -> None:
    site = init_site(tmp_path, "news", home)
    mirrorpub("publish", cwd=site, env=home, check=True)
    inside = mirrorpub("verify", "mirror-copy", cwd=site, env=home)
    assert inside.returncode == 0, inside.stderr
    assert "signature: valid" in inside.stdout and "UNAUTHENTICATED" not in inside.stdout
    assert "this site's key" in inside.stderr

    other = init_site(tmp_path, "other", home)
    other_key = load_signer(load_config(other / "mirrorpub.toml"))
    assert other_key is not None
    explicit = mirrorpub("verify", "mirror-copy", "--key", other_key.public_text, cwd=site,
                         env=home)
    assert explicit.returncode == 1 and "signature: INVALID" in explicit.stdout

    outside = mirrorpub("verify", str(site / "mirror-copy"), cwd=tmp_path, env=home)
    assert outside.returncode == 0 and "UNAUTHENTICATED" in outside.stdout
    assert os.listdir(site / "mirror-copy")  # nothing removed by any of it
