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
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from mirrorpub.trust.signing import keygen
from tests.reliability.conftest import s3_mirror
from tests.services.seaweed import free_port
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_config, write_site
from tests.watch.conftest import WatchProcess

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
    # --skip-preflight: the failing mirrors are tried for real, their errors logged in full.
    for args in (["build", "-vv"], ["publish", "-vv", "--skip-preflight"],
                 ["publish", "--json", "-vv", "--skip-preflight"],
                 ["publish", "--dry-run", "-vv"], ["status", "--json", "-vv"],
                 ["bundle", "-o", str(tmp_path / "site.zip"), "-vv"]):
        result = mirrorpub(*args, cwd=root, env=env)
        assert_no_traceback(result)
        runs.append(result)
    tally["hostile inputs tried"] += 3  # three sets of credentials that must not leak
    publish = runs[2]
    assert publish.returncode == 3, publish.stderr
    # Each command ran to its end: two mirrors fail, the rest of the work is done.
    assert [r.returncode for r in runs] == [0, 0, 3, 3, 0, 3, 0], \
        [(r.args[3:], r.returncode, r.stderr[-300:]) for r in runs]
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


# --- secrets pasted where they do not belong: canaries searched for everywhere ---------

def _everything(root: Path, env: dict[str, str], tmp_path: Path,
                codes: Mapping[str, int] = MappingProxyType({})) -> list[tuple[str, bytes]]:
    """What every command prints (-vv, --json), what `watch --json` logs, and every file
    mirrorpub wrote: the site's output, its state (state.json), the folder copy. Each
    command must exit as `codes` says (1 unless named: refused where the secret is read)."""
    seen = []
    # --skip-preflight: the failing mirrors are tried for real, their errors logged in full.
    for args in (["build", "-vv"], ["publish", "-vv", "--skip-preflight"],
                 ["publish", "--json", "-vv", "--skip-preflight"],
                 ["publish", "--dry-run", "-vv"], ["status", "-vv"], ["status", "--json"],
                 ["bundle", "-o", str(tmp_path / "site.zip")]):
        result = mirrorpub(*args, cwd=root, env=env)
        assert_no_traceback(result)
        assert result.returncode == codes.get(args[0], 1), (args, result.stderr)
        seen.append((f"the output of {' '.join(args)}", (result.stdout + result.stderr).encode()))
    watch = WatchProcess(root / "mirrorpub.toml", env, tmp_path / "watch.log", "-vv")
    try:
        watch.wait_for(lambda: [e for e in watch.events() if e["level"] == "error"],
                       "the problem logged by watch")
    finally:
        code = watch.terminate()
    assert code == 0, watch.log()  # it waits for a fixed config, and stops when asked
    seen.append(("watch --json", watch.log_path.read_bytes() + watch.stdout_path.read_bytes()))
    for folder in (root / "public", root / ".mirrorpub", tmp_path / "usb"):
        seen += [(str(p), p.read_bytes()) for p in folder.rglob("*") if p.is_file()]
    if (tmp_path / "site.zip").exists():
        seen.append(("the bundle", (tmp_path / "site.zip").read_bytes()))
    return seen


def _assert_nowhere(canaries: list[str], seen: list[tuple[str, bytes]]) -> None:
    for what, data in seen:
        for canary in canaries:
            assert canary.encode() not in data, f"a canary ({canary[:6]}…) appears in {what}"


def _one_line_naming(root: Path, env: dict[str, str], key: str, *commands: str) -> None:
    for command in commands:
        result = mirrorpub(command, cwd=root, env=env)
        assert result.returncode == 1, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and key in lines[0], (command, result.stderr)


def _key_canaries(pem: str) -> list[str]:
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    return [body, body[:24], body[-24:]]


def _site(root: Path, tmp_path: Path, mirrors: list[dict[str, Any]] | None = None,
          **site: Any) -> None:
    write_site(root, {"a.md": article("A")}, **site, mirrors=mirrors or [
        {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])


def test_a_private_key_pasted_into_signing_key_is_refused_and_never_echoed(
        tmp_path: Path, tally: Counter[str]) -> None:
    keygen(tmp_path / "keys" / "site.key")
    pem = (tmp_path / "keys" / "site.key").read_text()
    (tmp_path / "keys" / "site.key").unlink()
    root = tmp_path / "site"
    _site(root, tmp_path, signing_key=pem)
    tally["hostile inputs tried"] += 1
    _one_line_naming(root, {}, "site.signing_key", "build", "publish")
    result = mirrorpub("publish", cwd=root)
    assert "not the key itself" in result.stderr and "a private key (" in result.stderr
    _assert_nowhere(_key_canaries(pem), _everything(root, {}, tmp_path))


@pytest.mark.parametrize("shape", ["one line", "lines without the PEM lines"])
def test_a_key_in_the_environment_without_its_pem_lines_is_never_echoed(
        shape: str, tmp_path: Path, tally: Counter[str]) -> None:
    keygen(tmp_path / "site.key")
    pem = (tmp_path / "site.key").read_text()
    (tmp_path / "site.key").unlink()
    lines = [line for line in pem.splitlines() if not line.startswith("-----")]
    value = "".join(lines) if shape == "one line" else "\n".join(lines) + "\n"
    env = {"MIRRORPUB_SIGNING_KEY": value}
    root = tmp_path / "site"
    _site(root, tmp_path)
    tally["hostile inputs tried"] += 1
    _one_line_naming(root, env, "MIRRORPUB_SIGNING_KEY", "publish")
    result = mirrorpub("publish", cwd=root, env=env)
    assert "-----BEGIN PRIVATE KEY-----" in result.stderr, result.stderr  # says what to fix
    # status never reads the key: it runs, and finds no copy published.
    _assert_nowhere(_key_canaries(pem), _everything(root, env, tmp_path, {"status": 3}))


@pytest.mark.parametrize("field", ["access_key_id_env", "secret_access_key_env"])
def test_a_credential_that_looks_like_a_variable_name_is_refused_and_never_echoed(
        field: str, tmp_path: Path, tally: Counter[str]) -> None:
    """An AWS access key id (or a secret without '/' and '+') is a valid variable name;
    today's message would say "environment variable AKIA… is not set"."""
    pasted = ("AKIA" + secrets.token_hex(8).upper() if field == "access_key_id_env"
              else "wJalrXUtnFEMIK7MDENG" + secrets.token_hex(10))
    mirror = {"name": "m", "type": "s3", "bucket": "some-bucket",
              "endpoint_url": f"http://127.0.0.1:{free_port()}", "timeout": 1,
              "access_key_id_env": "KEY_VAR", "secret_access_key_env": "SECRET_VAR",
              field: pasted}
    root = tmp_path / "site"
    _site(root, tmp_path, mirrors=[mirror])
    tally["hostile inputs tried"] += 1
    _one_line_naming(root, {}, f"mirrors[0].{field}", "build", "publish")
    _assert_nowhere([pasted, pasted[:12], pasted[-12:]], _everything(root, {}, tmp_path))


@pytest.mark.parametrize(("key", "value"), [
    ("api", "http://editor:{pw}@127.0.0.1:{port}"),
    ("api", "htp://editor:{pw}@127.0.0.1:{port}"),  # not even a URL: still not echoed
    ("gateways", ["https://ipfs.io", "https://editor:{pw}@gateway.example"]),
])
def test_an_ipfs_url_with_a_password_is_refused_and_never_echoed(
        key: str, value: Any, tmp_path: Path, tally: Counter[str]) -> None:
    password = "pw-" + secrets.token_urlsafe(12)
    port = free_port()
    filled = [v.format(pw=password, port=port) for v in value] if isinstance(value, list) \
        else value.format(pw=password, port=port)
    mirror = {"name": "ipfs", "type": "ipfs", "timeout": 1, key: filled}
    root = tmp_path / "site"
    _site(root, tmp_path, mirrors=[mirror])
    tally["hostile inputs tried"] += 1
    _one_line_naming(root, {}, f"mirrors[0].{key}", "build", "publish")
    _assert_nowhere([password, f"editor:{password[:6]}"], _everything(root, {}, tmp_path))
