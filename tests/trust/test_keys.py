"""keygen, signed publishes, and what pages tell readers about the key (SPEC §3, §6.5, §7)."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import pytest

from mirrorpub.config import load_config
from mirrorpub.trust.signing import check_signature, keygen, load_signer, parse_public_key
from tests.sitekit import assert_no_traceback, mirrorpub
from tests.trust.conftest import SiteKey, make_site, publish

PUBLIC_LINE = re.compile(r"ed25519:[A-Za-z0-9+/]{43}=")


def test_keygen_prints_only_the_public_key_and_keeps_the_private_key_0600(tmp_path: Path):
    target = tmp_path / "conf" / "site.key"
    result = mirrorpub("keygen", str(target), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and result.stdout.endswith("\n")
    assert PUBLIC_LINE.fullmatch(lines[0])
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert "fingerprint" in result.stderr
    # the printed line is what `verify --key` takes, directly or from a file
    parse_public_key(lines[0])
    (tmp_path / "pub.txt").write_text(result.stdout)
    parse_public_key(str(tmp_path / "pub.txt"))


def test_keygen_never_overwrites_a_key_without_force(tmp_path: Path):
    target = tmp_path / "site.key"
    mirrorpub("keygen", str(target), cwd=tmp_path, check=True)
    before = target.read_bytes()
    again = mirrorpub("keygen", str(target), cwd=tmp_path)
    assert again.returncode == 1
    assert again.stdout == ""
    assert "already exists" in again.stderr
    assert_no_traceback(again)
    assert target.read_bytes() == before
    forced = mirrorpub("keygen", str(target), "--force", cwd=tmp_path)
    assert forced.returncode == 0 and len(forced.stdout.splitlines()) == 1
    assert target.read_bytes() != before


def test_a_signed_publish_signs_the_manifest_and_every_page_shows_the_fingerprint(
        tmp_path: Path, site_key: SiteKey):
    usb = tmp_path / "usb"
    root = tmp_path / "site"
    make_site(root, [{"name": "usb", "type": "directory", "path": str(usb)}], site_key)
    publish(root)
    key = parse_public_key(site_key.public)
    for copy in (root / "public", usb):
        manifest = (copy / "mirrors.json").read_bytes()
        assert check_signature(key, manifest, (copy / "mirrors.json.sig").read_bytes())
    pages = sorted(usb.rglob("*.html"))
    assert len(pages) >= 5
    for page in pages:
        assert site_key.fingerprint in page.read_text(encoding="utf-8"), page
    mirrors_page = (usb / "mirrors.html").read_text(encoding="utf-8")
    assert site_key.public in mirrors_page
    assert "mirrorpub verify" in mirrors_page


def test_the_signing_key_can_come_from_the_environment(tmp_path: Path, site_key: SiteKey,
                                                      other_key: SiteKey):
    root = tmp_path / "site"
    usb = tmp_path / "usb"
    # the config names one key; MIRRORPUB_SIGNING_KEY (the PEM text itself) wins
    make_site(root, [{"name": "usb", "type": "directory", "path": str(usb)}], site_key)
    pem = other_key.path.read_text()
    publish(root, env={"MIRRORPUB_SIGNING_KEY": pem})
    manifest = (usb / "mirrors.json").read_bytes()
    signature = (usb / "mirrors.json.sig").read_bytes()
    assert check_signature(parse_public_key(other_key.public), manifest, signature)
    assert not check_signature(parse_public_key(site_key.public), manifest, signature)


def test_an_unsigned_site_has_no_signature_file(tmp_path: Path):
    root = tmp_path / "site"
    usb = tmp_path / "usb"
    make_site(root, [{"name": "usb", "type": "directory", "path": str(usb)}], None)
    publish(root)
    assert (usb / "mirrors.json").is_file()
    assert not (usb / "mirrors.json.sig").exists()
    assert "ed25519:" not in (usb / "mirrors.html").read_text(encoding="utf-8")


def test_the_key_stays_private_while_published_files_are_readable_by_a_web_server(
        tmp_path: Path, site_key: SiteKey):
    import os

    usb = tmp_path / "usb"
    root = tmp_path / "site"
    make_site(root, [{"name": "usb", "type": "directory", "path": str(usb)}], site_key)
    previous = os.umask(0o022)  # the usual umask; nginx runs as another user
    try:
        publish(root)
        key = tmp_path / "new.key"
        mirrorpub("keygen", str(key), cwd=tmp_path, check=True)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    for copy in (usb, root / "public"):
        for name in ("index.html", "mirrors.json", "mirrors.json.sig", "files/map.png"):
            assert stat.S_IMODE((copy / name).stat().st_mode) == 0o644, (copy, name)


# --- key files in the wrong place, readable by others, or left behind --------------------

@pytest.mark.parametrize(("folder", "key"), [("content", "site.signing_key"),
                                            ("templates", "site.signing_key"),
                                            ("public", "site.signing_key"),
                                            ("content", "$MIRRORPUB_SIGNING_KEY")])
def test_a_signing_key_where_it_could_be_published_is_refused(folder: str, key: str,
                                                              tmp_path: Path) -> None:
    root, usb = tmp_path / "site", tmp_path / "usb"
    make_site(root, [{"name": "usb", "type": "directory", "path": str(usb)}], None)
    key_file = root / folder / "keys" / "site.key"
    keygen(key_file)
    env = {"MIRRORPUB_SIGNING_KEY": str(key_file)} if key.startswith("$") else {}
    if not env:
        make_site(root, [{"name": "usb", "type": "directory", "path": str(usb)}], None,
                  signing_key=f"{folder}/keys/site.key")
    for command in ("build", "publish"):
        result = mirrorpub(command, cwd=root, env=env)
        assert_no_traceback(result)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and key in lines[0] and "where it can be published" in lines[0]
    assert not usb.exists()
    assert not (root / "public" / "files" / "keys").exists()


def test_a_key_file_others_can_read_is_warned_about_once(tmp_path: Path, site_key: SiteKey,
                                                         caplog: pytest.LogCaptureFixture):
    root = tmp_path / "site"
    make_site(root, [{"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}],
              site_key)
    site_key.path.chmod(0o644)
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, result.stderr
    assert "site.signing_key" in warnings[0] and "chmod 600" in warnings[0]
    with caplog.at_level(logging.WARNING, logger="mirrorpub"):
        config = load_config(root / "mirrorpub.toml")
        for _ in range(3):  # as watch does, at every publish
            load_signer(config)
    assert len([r for r in caplog.records if "chmod 600" in r.getMessage()]) == 1
    site_key.path.chmod(0o600)
    quiet = mirrorpub("publish", cwd=root)
    assert "WARNING" not in quiet.stderr, quiet.stderr


def test_keygen_leaves_no_temporary_copy_and_is_private_from_the_first_byte(tmp_path: Path):
    folder = tmp_path / "conf" / "mirrorpub"
    folder.mkdir(parents=True)
    # What a keygen killed mid-write leaves: a temporary file holding part of a key.
    stale = folder / ".site.key.0a1b2c3d.tmp"
    stale.write_bytes(b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI")
    previous = os.umask(0)  # the most permissive umask: the mode must not depend on it
    try:
        mirrorpub("keygen", str(folder / "site.key"), cwd=tmp_path, check=True)
        mirrorpub("keygen", str(folder / "site.key"), "--force", cwd=tmp_path, check=True)
        mirrorpub("keygen", str(tmp_path / "new" / "dir" / "k.key"), cwd=tmp_path, check=True)
    finally:
        os.umask(previous)
    assert sorted(p.name for p in folder.iterdir()) == ["site.key"]
    assert stat.S_IMODE((folder / "site.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "dir" / "k.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "dir").stat().st_mode) == 0o700
    assert sorted(p.name for p in (tmp_path / "new" / "dir").iterdir()) == ["k.key"]


def test_keygen_does_not_follow_a_link_at_its_path(tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    os.symlink(victim, tmp_path / "site.key")
    result = mirrorpub("keygen", str(tmp_path / "site.key"), cwd=tmp_path)
    assert result.returncode == 1 and "already exists" in result.stderr
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling.key")
    result = mirrorpub("keygen", str(tmp_path / "dangling.key"), cwd=tmp_path)
    assert result.returncode == 1 and "already exists" in result.stderr, result.stderr
    assert victim.read_bytes() == b"precious" and not (tmp_path / "nowhere").exists()


def test_fingerprints_are_128_bits_and_begin_with_the_64_bit_ones_shown_before(
        site_key: SiteKey):
    import hashlib

    from cryptography.hazmat.primitives import serialization

    raw = parse_public_key(site_key.public).public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    assert re.fullmatch(r"([0-9a-f]{4} ){7}[0-9a-f]{4}", site_key.fingerprint)
    assert site_key.fingerprint.replace(" ", "") == digest[:32]
    shown_before = " ".join(digest[i:i + 4] for i in range(0, 16, 4))  # 64 bits, as before
    assert site_key.fingerprint.startswith(shown_before + " ")
