"""A root key that stays offline, delegations, revocation, rollback (SPEC §11), on a folder
copy through the real command line.

The story of the issue: a newsroom makes a root key on a stick, delegates its laptop's
key, publishes; the laptop is seized, so the root revokes that key and delegates a new
one. A reader who trusts the root refuses whatever the old key signs from then on.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mirrorpub.cli.views import verify_lines
from mirrorpub.read.verify import verify_copy
from mirrorpub.trust.signing import Signer, keygen, read_key_file
from tests.sitekit import assert_no_traceback, mirrorpub, write_config
from tests.trust.conftest import make_site

ROOT_LINE = r"ed25519:[A-Za-z0-9+/]{43}="


@dataclass(frozen=True)
class Newsroom:
    site: Path
    usb: Path
    root_key: Path  # the root's private key file (offline, in real life)
    root: str  # its public line, as readers are given it
    laptop: Signer  # the key delegated first


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = mirrorpub(*args, cwd=cwd)
    assert_no_traceback(result)
    return result


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Newsroom:
    base = tmp_path_factory.mktemp("newsroom")
    made = cli("keygen", "--root", str(base / "stick" / "root.key"), cwd=base)
    assert made.returncode == 0, made.stderr
    root = made.stdout.strip()
    laptop = keygen(base / "laptop.key")
    usb = base / "usb"
    site = make_site(base / "site", [{"name": "usb", "type": "directory", "path": str(usb)}],
                     None, signing_key=str(base / "laptop.key")).parent
    (base / "laptop.pub").write_text(laptop.public_text + "\n")
    delegated = cli("keys", "delegate", "--root", str(base / "stick" / "root.key"),
                    str(base / "laptop.pub"), "--until", "2099-06-01", cwd=site)
    assert delegated.returncode == 0, delegated.stderr
    published = cli("publish", cwd=site)
    assert published.returncode == 0, published.stdout + published.stderr
    return Newsroom(site, usb, base / "stick" / "root.key", root, laptop)


@pytest.fixture
def copy(newsroom: Newsroom, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(newsroom.usb, target)
    return target


def verify(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli("verify", str(copy), *args, cwd=copy.parent)


def test_keygen_root_prints_one_line_and_keeps_the_key_private(newsroom: Newsroom):
    import re

    assert re.fullmatch(ROOT_LINE, newsroom.root)
    assert stat.S_IMODE(newsroom.root_key.stat().st_mode) == 0o600


def test_delegate_publish_and_verify_with_the_root(newsroom: Newsroom, copy: Path,
                                                   state_home: Path):
    assert (copy / "keys.json").is_file() and (copy / "keys.json.sig").is_file()
    keys = json.loads((copy / "keys.json").read_text())
    assert keys["schema"] == "mirrorpub.keys/1" and keys["root"] == newsroom.root
    assert keys["keys"] == [{"key": newsroom.laptop.public_text,
                             "not_after": "2099-06-01T00:00:00Z"}]
    result = verify(copy, "--root", newsroom.root)
    assert result.returncode == 0, result.stdout
    assert "OK: this copy is genuine, fresh and complete" in result.stdout
    assert f"key fingerprint {newsroom.laptop.fingerprint}, under root" in result.stdout
    # --key keeps working on the same copy, and points at the root.
    by_key = verify(copy, "--key", newsroom.laptop.public_text)
    assert by_key.returncode == 0 and "check it with --root" in by_key.stdout
    # The copies page names the root, and tells readers to check with it.
    page = (copy / "mirrors.html").read_text()
    root_fingerprint = Signer(read_key_file(newsroom.root_key, "root")).fingerprint
    assert root_fingerprint in page and f'--root</span> "{newsroom.root}"' in page
    assert "revoked when it is lost" in page


def test_a_key_the_root_never_delegated_is_refused(newsroom: Newsroom, copy: Path,
                                                   other_key, state_home: Path):
    """Whoever holds some other key re-signs the copy: a perfect signature, no delegation."""
    other = Signer(read_key_file(other_key.path, "other"))
    manifest = json.loads((copy / "mirrors.json").read_text())
    manifest["key"] = other.public_text
    data = json.dumps(manifest, indent=2).encode()
    (copy / "mirrors.json").write_bytes(data)
    (copy / "mirrors.json.sig").write_bytes(other.sign(data))
    result = verify(copy, "--root", newsroom.root)
    assert result.returncode == 1
    assert "is not one the site's root key delegated" in result.stdout
    assert verify(copy, "--key", other.public_text).returncode == 0  # what --key alone shows


def test_a_copy_whose_keys_json_is_signed_by_another_root_is_refused(
        newsroom: Newsroom, copy: Path, tmp_path: Path, state_home: Path):
    result = verify(copy, "--root", keygen(tmp_path / "impostor.key").public_text)
    assert result.returncode == 1
    assert "keys.json: not signed by the root key" in result.stdout


def test_an_expired_delegation_is_refused(newsroom: Newsroom, copy: Path, state_home: Path):
    # By 2099 the manifest has long expired too; that problem is left aside here.
    lines = {}
    for name, now in (("before", datetime(2099, 5, 31, tzinfo=UTC)),
                      ("after", datetime(2099, 6, 1, 0, 0, 1, tzinfo=UTC))):
        result = verify_copy(str(copy), root=newsroom.root, now=now,
                             seen_path=state_home / f"{name}.json")
        lines[name] = [p for p in result.problems if "manifest expired" not in p]
    assert lines["before"] == []
    assert any("was delegated only until 2099-06-01T00:00:00Z" in p for p in lines["after"])


def test_revoke_then_the_same_copy_is_refused_and_the_revoked_key_cannot_publish(
        newsroom: Newsroom, tmp_path: Path, state_home: Path):
    # A site of its own, so the module's newsroom keeps its delegation.
    root_key = tmp_path / "root.key"
    keygen(root_key)
    laptop, ci = keygen(tmp_path / "laptop.key"), keygen(tmp_path / "ci.key")
    usb = tmp_path / "usb"
    site = make_site(tmp_path / "site", [{"name": "usb", "type": "directory",
                                          "path": str(usb)}],
                     None, signing_key=str(tmp_path / "laptop.key")).parent
    for key in (laptop, ci):
        assert cli("keys", "delegate", "--root", str(root_key), key.public_text,
                   cwd=site).returncode == 0
    assert cli("publish", cwd=site).returncode == 0
    root = Signer(read_key_file(root_key, "root")).public_text
    stolen = tmp_path / "as-the-thief-keeps-it"
    shutil.copytree(usb, stolen)
    assert verify(stolen, "--root", root).returncode == 0

    # The laptop is seized: its key is revoked; CI's key signs from now on.
    revoked = cli("keys", "revoke", "--root", str(root_key), laptop.public_text, cwd=site)
    assert revoked.returncode == 0, revoked.stderr
    refused = cli("publish", cwd=site)
    assert refused.returncode == 1
    assert "was revoked by the site's root key" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    write_config(site, {"title": "Test site", "language": "en",
                        "signing_key": str(tmp_path / "ci.key")},
                 [{"name": "usb", "type": "directory", "path": str(usb)}])
    assert cli("publish", cwd=site).returncode == 0
    assert verify(usb, "--root", root).returncode == 0

    # The thief's copy, signed by the laptop's key, with the new keys.json beside it.
    for name in ("keys.json", "keys.json.sig"):
        shutil.copy(usb / name, stolen / name)
    result = verify(stolen, "--root", root)
    assert result.returncode == 1
    assert any("was revoked by the site's root key" in line and "Do not trust" in line
               for line in result.stdout.splitlines())


def test_an_older_keys_json_after_a_newer_one_is_refused(tmp_path: Path, state_home: Path):
    root_key = tmp_path / "root.key"
    root = keygen(root_key).public_text
    laptop = keygen(tmp_path / "laptop.key")
    usb = tmp_path / "usb"
    site = make_site(tmp_path / "site", [{"name": "usb", "type": "directory",
                                          "path": str(usb)}],
                     None, signing_key=str(tmp_path / "laptop.key")).parent
    assert cli("keys", "delegate", "--root", str(root_key), laptop.public_text,
               cwd=site).returncode == 0
    assert cli("publish", cwd=site).returncode == 0
    old = {n: (usb / n).read_bytes() for n in ("keys.json", "keys.json.sig")}
    newer = keygen(tmp_path / "newer.key").public_text
    assert cli("keys", "delegate", "--root", str(root_key), newer, cwd=site).returncode == 0
    assert cli("publish", cwd=site).returncode == 0
    assert verify(usb, "--root", root).returncode == 0  # version 2 of keys.json seen
    for name, data in old.items():  # someone serves the list from before
        (usb / name).write_bytes(data)
    result = verify(usb, "--root", root)
    assert result.returncode == 1
    assert "rollback refused: this copy's keys.json is version 1, but version 2" in \
        result.stdout


def test_the_keys_commands_refuse_mistakes_in_one_line(newsroom: Newsroom, tmp_path: Path):
    cases = [
        (["keys", "delegate", "--root", str(newsroom.root_key), "ed25519:nonsense"], "damaged"),
        (["keys", "delegate", "--root", str(newsroom.root_key), newsroom.laptop.public_text,
          "--until", "2001-01-01"], "already past"),
        (["keys", "delegate", "--root", str(newsroom.root_key), newsroom.laptop.public_text,
          "--until", "next week"], "expected a date"),
        (["keys", "delegate", "--root", str(newsroom.root_key), newsroom.root], "root key"),
        (["keys", "revoke", "--root", str(tmp_path / "nowhere.key"),
          newsroom.laptop.public_text], "cannot read the key file"),
    ]
    for args, expected in cases:
        result = cli(*args, cwd=newsroom.site)
        assert result.returncode in (1, 2), args
        assert expected in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_keys_json_signed_by_another_root_is_never_changed(newsroom: Newsroom,
                                                            tmp_path: Path):
    other_root = tmp_path / "other-root.key"
    keygen(other_root)
    before = (newsroom.site / "keys.json").read_bytes()
    result = cli("keys", "revoke", "--root", str(other_root), newsroom.laptop.public_text,
                 cwd=newsroom.site)
    assert result.returncode == 1 and "belongs to another root key" in result.stderr
    assert (newsroom.site / "keys.json").read_bytes() == before


HOSTILE_KEYS = {
    "not json": b"{\"schema\": \"mirrorpub.keys/1\", \"root\": ",  # truncated
    "wrong types": json.dumps({"schema": "mirrorpub.keys/1", "root": 7, "version": "2",
                               "keys": {"a": 1}, "revoked": None}).encode(),
    "huge": b"[" * 10 + b" " * (300 * 1024),
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "binary": bytes(range(256)),
    "many keys": json.dumps({"schema": "mirrorpub.keys/1", "root": "ed25519:" + "A" * 43 + "=",
                             "version": 1, "keys": [], "revoked": ["ed25519:" + "B" * 43 + "="]
                             * 5000}).encode(),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_KEYS))
def test_a_hostile_keys_json_is_one_line_and_no_traceback(newsroom: Newsroom, copy: Path,
                                                          state_home: Path, case: str):
    (copy / "keys.json").write_bytes(HOSTILE_KEYS[case])
    result = verify(copy, "--root", newsroom.root)
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if "keys.json" in line
                and line.startswith("problem:")]
    assert len(problems) == 1, result.stdout
    assert len(problems[0]) < 600, problems[0]
    lines = verify_lines(verify_copy(str(copy), root=newsroom.root,
                                     seen_path=state_home / "x.json"))
    assert lines[-1].startswith("FAILED")


def test_a_copy_without_keys_json_says_to_use_key(newsroom: Newsroom, copy: Path,
                                                  state_home: Path):
    (copy / "keys.json").unlink()
    result = verify(copy, "--root", newsroom.root)
    assert result.returncode == 1
    assert "carries no key list signed by a root key" in result.stdout


def test_verify_in_the_site_folder_follows_its_own_root(newsroom: Newsroom, copy: Path,
                                                        state_home: Path):
    """The editor checks a copy from the site folder, no key typed: the root its keys.json
    names is used, so a revoked or undelegated signer is caught as a reader would."""
    result = cli("verify", str(copy), cwd=newsroom.site)
    assert result.returncode == 0, result.stdout + result.stderr
    root_fingerprint = Signer(read_key_file(newsroom.root_key, "root")).fingerprint
    assert f"this site's root key ({root_fingerprint}" in result.stderr
    assert f"key fingerprint {newsroom.laptop.fingerprint}, under root" in result.stdout
    impostor = Signer(read_key_file(newsroom.root_key, "root"))  # a root never signs pages
    manifest = json.loads((copy / "mirrors.json").read_text())
    manifest["key"] = impostor.public_text
    data = json.dumps(manifest, indent=2).encode()
    (copy / "mirrors.json").write_bytes(data)
    (copy / "mirrors.json.sig").write_bytes(impostor.sign(data))
    refused = cli("verify", str(copy), cwd=newsroom.site)
    assert refused.returncode == 1 and "is not one the site's root key delegated" in refused.stdout
