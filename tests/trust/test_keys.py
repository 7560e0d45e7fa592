"""keygen, signed publishes, and what pages tell readers about the key (SPEC §3, §6.5, §7)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from mirrorpub.trust.signing import check_signature, parse_public_key
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
