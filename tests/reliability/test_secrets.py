"""Credentials and the signing key never leave where they belong (SPEC §4: "Secrets never
appear in output, logs or the site").

Canary credentials sit in the variables named by one mirror's access_key_id_env /
secret_access_key_env (a mirror on a closed port, so every attempt fails), a wrong secret
on a second one (the server refuses it), the real SeaweedFS credentials on a working
third. The signing key is made by `mirrorpub keygen`. Every command's stdout and stderr
(with -vv and --json too), the built site, the local state, the bundle and every object
in the bucket (bodies and metadata) are searched for each of them.
"""

from __future__ import annotations

import io
import secrets
import stat
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import s3_mirror
from tests.services.seaweed import free_port
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_config, write_site

pytestmark = [pytest.mark.s3]

CANARY_KEY = "AKIACANARY" + secrets.token_hex(5).upper()
CANARY_SECRET = "canarySecret/" + secrets.token_urlsafe(24)
WRONG_SECRET = "wrongSecret+" + secrets.token_urlsafe(24)


def _forbidden(seaweed: Any, key_file: Path) -> dict[str, bytes]:
    pem = key_file.read_bytes()
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    return {"canary access key": CANARY_KEY.encode(), "canary secret": CANARY_SECRET.encode(),
            "wrong secret": WRONG_SECRET.encode(), "real secret": seaweed.secret_key.encode(),
            "real access key": seaweed.access_key.encode(), "signing key": body}


def _search(what: str, data: bytes, forbidden: dict[str, bytes]) -> None:
    for name, value in forbidden.items():
        assert value not in data, f"the {name} appears in {what}"


def test_credentials_and_signing_key_appear_nowhere(seaweed: Any, tmp_path: Path,
                                                    tally: Counter[str]) -> None:
    key_file = tmp_path / "keys" / "site.key"
    keygen = mirrorpub("keygen", str(key_file), cwd=tmp_path, check=True)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    forbidden = _forbidden(seaweed, key_file)
    bucket = seaweed.make_bucket()
    closed = f"http://127.0.0.1:{free_port()}"
    root = tmp_path / "site"
    write_site(root, {"a.md": article("A", body="Text.")}, signing_key=str(key_file), mirrors=[
        {**s3_mirror(seaweed, "closed-bucket", name="canary", endpoint=closed, timeout=1),
         "access_key_id_env": "CANARY_KEY", "secret_access_key_env": "CANARY_SECRET"},
        {**s3_mirror(seaweed, bucket, name="wrong"),
         "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "WRONG_SECRET"},
        s3_mirror(seaweed, bucket, name="good", prefix="good/")])
    env = {**seaweed.env(), "CANARY_KEY": CANARY_KEY, "CANARY_SECRET": CANARY_SECRET,
           "WRONG_SECRET": WRONG_SECRET}
    runs = [keygen]
    for args in (["build", "-vv"], ["publish", "-vv"], ["publish", "--json", "-vv"],
                 ["publish", "--dry-run", "-vv"], ["status", "--json", "-vv"],
                 ["bundle", "-o", str(tmp_path / "site.zip"), "-vv"]):
        result = mirrorpub(*args, cwd=root, env=env)
        assert_no_traceback(result)
        runs.append(result)
    tally["hostile inputs tried"] += 3  # three sets of credentials that must not leak
    publish = runs[2]
    assert publish.returncode == 3, publish.stderr
    assert "canary: FAILED" in publish.stderr and "wrong: FAILED" in publish.stderr
    assert "refused the credentials" in publish.stderr

    for result in runs:
        _search(f"the output of {' '.join(result.args[3:])}",
                (result.stdout + result.stderr).encode(), forbidden)
    for path in [*(root / "public").rglob("*"), *(root / ".mirrorpub").rglob("*")]:
        if path.is_file():
            _search(str(path), path.read_bytes(), forbidden)
    with zipfile.ZipFile(tmp_path / "site.zip") as bundle:
        for member in bundle.namelist():
            _search(f"the bundle's {member}", bundle.read(member), forbidden)
    _search("the bundle", (tmp_path / "site.zip").read_bytes(), forbidden)
    client = seaweed.client()
    for key in seaweed.keys(bucket):
        obj = client.get_object(Bucket=bucket, Key=key)
        _search(f"object {key}", obj["Body"].read() + repr(obj["Metadata"]).encode(), forbidden)
    assert seaweed.keys(bucket), "the good mirror got nothing"


@pytest.mark.parametrize("field", ["access_key_id_env", "secret_access_key_env"])
def test_a_key_pasted_where_a_variable_name_belongs_is_not_echoed(
        field: str, tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    pasted = "wJalrXUtnFEMI/K7MDENG+" + secrets.token_urlsafe(12)
    mirror = {"name": "m", "type": "s3", "bucket": "some-bucket",
              "access_key_id_env": "KEY_VAR", "secret_access_key_env": "SECRET_VAR",
              field: pasted}
    write_config(tmp_path, {"title": "T"}, [mirror])
    (tmp_path / "content").mkdir()
    for args in (["build"], ["publish"], ["publish", "--json"]):
        result = mirrorpub(*args, cwd=tmp_path)
        assert result.returncode == 1
        assert f"mirrors[0].{field}" in result.stderr, result.stderr
        assert pasted not in result.stdout + result.stderr
        assert pasted[:12] not in result.stdout + result.stderr


def test_keygen_never_prints_the_private_key_and_never_overwrites(tmp_path: Path) -> None:
    key_file = tmp_path / "site.key"
    first = mirrorpub("keygen", str(key_file), cwd=tmp_path, check=True)
    pem = key_file.read_bytes()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.stdout.count("\n") == 1 and first.stdout.startswith("ed25519:")
    again = mirrorpub("keygen", str(key_file), cwd=tmp_path)
    assert again.returncode == 1 and key_file.read_bytes() == pem
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    for result in (first, again):
        assert body.decode() not in result.stdout + result.stderr


def test_bundle_holds_no_state_or_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "site.key"
    mirrorpub("keygen", str(key_file), cwd=tmp_path, check=True)
    root = tmp_path / "site"
    write_site(root, {"a.md": article("A")}, signing_key=str(key_file))
    mirrorpub("bundle", "-o", str(tmp_path / "b.zip"), cwd=root, check=True)
    names = zipfile.ZipFile(io.BytesIO((tmp_path / "b.zip").read_bytes())).namelist()
    assert not [n for n in names if ".mirrorpub" in n or n.endswith((".key", ".toml"))], names
