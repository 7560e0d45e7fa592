"""Careless mistakes that would leak a secret stop the build before anything is sent.

A private key (mirrorpub's own, an SSH or a TLS key, with or without its PEM lines) or a
`.env` file dropped into content/ would be published on every copy, and a copy on IPFS
cannot be taken back: the real command refuses with one line naming the file, exit 1,
and no copy (nor public/) receives a byte. Text that only talks about keys still builds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site


def _ed25519_pkcs8() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def _openssh() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption())


def _tls_bundle() -> bytes:
    """A certificate-shaped block first, then an EC key in the traditional format."""
    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption())
    return b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" + key


def _headerless() -> bytes:
    return b"".join(line for line in _ed25519_pkcs8().splitlines(keepends=True)
                    if not line.startswith(b"-----"))


SECRETS = {
    "site.key": _ed25519_pkcs8,  # what `mirrorpub keygen` writes
    "keys/id_ed25519": _openssh,
    "certs/server.pem": _tls_bundle,
    "backup.txt": _headerless,
}


def _site(root: Path, files: dict[str, bytes]) -> Path:
    usb = root.parent / "usb"
    write_site(root, {"a.md": article("A", body="Text.")}, files=files,
               mirrors=[{"name": "usb", "type": "directory", "path": str(usb)}])
    return usb


def _assert_refused(root: Path, usb: Path, rel: str, what: str) -> None:
    for command in ("build", "publish"):
        result = mirrorpub(command, cwd=root)
        assert_no_traceback(result)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"content/{rel}" in lines[0] and what in lines[0], lines[0]
    assert not usb.exists(), "a copy was written"
    public = root / "public"
    assert not public.exists() or not any(public.rglob("*")), "public/ was written"


@pytest.mark.parametrize("rel", sorted(SECRETS))
def test_a_private_key_in_content_stops_the_build(rel: str, tmp_path: Path,
                                                  tally: Counter[str]) -> None:
    root = tmp_path / "site"
    usb = _site(root, {rel: SECRETS[rel](), "img/map.png": b"\x89PNG"})
    tally["hostile inputs tried"] += 1
    _assert_refused(root, usb, rel, "looks like a private key")


@pytest.mark.parametrize("rel", [".env", "config/.env.production"])
def test_an_env_file_in_content_stops_the_build(rel: str, tmp_path: Path,
                                                tally: Counter[str]) -> None:
    root = tmp_path / "site"
    usb = _site(root, {rel: b"AWS_SECRET_ACCESS_KEY=canary\n"})
    tally["hostile inputs tried"] += 1
    _assert_refused(root, usb, rel, "environment file")


def test_text_about_keys_is_not_mistaken_for_one(tmp_path: Path) -> None:
    root = tmp_path / "site"
    body = "How to spot a key:\n\n    -----BEGIN PRIVATE KEY-----\n    (never share it)\n"
    write_site(root, {"keys-explained.md": article("Keys", body=body)},
               files={"notes.txt": b"a file named site.key is not one by itself"})
    result = mirrorpub("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "public" / "files" / "notes.txt").is_file()
