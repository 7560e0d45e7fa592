"""The private signing key never leaves its file: not in pages, mirrors, output or logs.

The canaries are the real key's bytes: the PEM, its base64 body, and the raw 32-byte
secret in base64 and hex.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from tests.sitekit import mirrorpub
from tests.trust.conftest import make_site, s3_mirror

pytestmark = pytest.mark.s3


def canaries(key_file: Path) -> list[bytes]:
    pem = key_file.read_bytes()
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    key = serialization.load_pem_private_key(pem, password=None)
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return [pem.strip(), body, body[:32], base64.b64encode(raw), raw.hex().encode(), raw]


def assert_clean(what: str, data: bytes, secrets: list[bytes]) -> None:
    for secret in secrets:
        assert secret not in data, f"private key material in {what}"


def assert_output_clean(result: subprocess.CompletedProcess[str], secrets: list[bytes]) -> None:
    name = " ".join(result.args[3:5])
    assert_clean(f"stdout of {name}", result.stdout.encode(), secrets)
    assert_clean(f"stderr of {name}", result.stderr.encode(), secrets)


def test_the_private_key_appears_nowhere(tmp_path: Path, seaweed: Any, state_home: Path):
    key_file = tmp_path / "keys" / "site.key"
    keygen = mirrorpub("keygen", str(key_file), cwd=tmp_path, check=True)
    secrets = canaries(key_file)
    public = keygen.stdout.strip()
    root, usb = tmp_path / "site", tmp_path / "usb"
    bucket_mirror = s3_mirror(seaweed, "bucket")
    make_site(root, [bucket_mirror, {"name": "usb", "type": "directory", "path": str(usb)}],
              None, signing_key=str(key_file))
    env = seaweed.env()
    url = seaweed.public_url(bucket_mirror["bucket"])
    results = [keygen]
    for args in (["build"], ["publish", "-vv"], ["publish", "--json"], ["status"],
                 ["status", "--json", "-vv"], ["verify", url, "--key", public],
                 ["verify", url, "--key", public, "--json", "-vv"], ["verify", str(usb)]):
        results.append(mirrorpub(*args, cwd=root, env=env))
    # The key given as PEM text in the environment, as CI would.
    pem_env = {**env, "MIRRORPUB_SIGNING_KEY": key_file.read_text()}
    for args in (["publish", "-vv"], ["status", "-vv"], ["status", "--json"]):
        results.append(mirrorpub(*args, cwd=root, env=pem_env))
    for result in results:
        assert result.returncode == 0, (result.args, result.stdout, result.stderr)
        assert_output_clean(result, secrets)
    files = [p for folder in (root / "public", usb, root / ".mirrorpub")
             for p in folder.rglob("*") if p.is_file() and p.name != "lock"]
    assert len(files) > 10
    for path in files:
        assert_clean(str(path), path.read_bytes(), secrets)
    client = seaweed.client()
    keys = seaweed.keys(bucket_mirror["bucket"])
    assert "mirrors.json.sig" in keys
    for key in keys:
        body = client.get_object(Bucket=bucket_mirror["bucket"], Key=key)["Body"].read()
        assert_clean(f"object {key}", body, secrets)


def test_a_damaged_key_in_the_environment_is_not_echoed(tmp_path: Path):
    key_file = tmp_path / "site.key"
    mirrorpub("keygen", str(key_file), cwd=tmp_path, check=True)
    secrets = canaries(key_file)
    root = tmp_path / "site"
    make_site(root, [{"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}], None)
    text = key_file.read_text()
    damaged = text.replace("-----END", "AAAA\n-----END")
    for args in (["publish"], ["status"]):
        result = mirrorpub(*args, cwd=root, env={"MIRRORPUB_SIGNING_KEY": damaged})
        assert "Traceback" not in result.stderr
        assert_output_clean(result, secrets)
    assert result.returncode == 3  # status: copies unchecked/unpublished, key problem noted
    assert "MIRRORPUB_SIGNING_KEY is not a readable private key" in result.stdout
