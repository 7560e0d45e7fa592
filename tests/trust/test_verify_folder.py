"""`mirrorpub verify` on a folder copy (a USB stick): genuine, altered, unsigned, expired."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from mirrorpub.cli.views import verify_lines
from mirrorpub.read.verify import verify_copy
from mirrorpub.trust.signing import Signer
from tests.sitekit import assert_no_traceback, mirrorpub, rewrite_listing
from tests.trust.conftest import SiteKey, make_site, publish


@dataclass(frozen=True)
class Published:
    root: Path
    usb: Path
    key: SiteKey


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    base = tmp_path_factory.mktemp("signed-folder")
    from mirrorpub.trust.signing import keygen

    signer = keygen(base / "site.key")
    key = SiteKey(base / "site.key", signer.public_text, signer.fingerprint)
    usb = base / "usb"
    make_site(base / "site", [{"name": "usb", "type": "directory", "path": str(usb)}], key,
              manifest_ttl_days=10)
    publish(base / "site")
    return Published(base / "site", usb, key)


@pytest.fixture
def copy(published: Published, tmp_path: Path) -> Path:
    """A private copy of the published folder, free to tamper with."""
    target = tmp_path / "stick" / "news"
    shutil.copytree(published.usb, target)
    return target


def verify(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = mirrorpub("verify", *args, cwd=cwd)
    assert_no_traceback(result)
    return result


def test_a_genuine_copy_verifies_by_folder_file_url_and_index_page(
        copy: Path, published: Published, state_home: Path):
    for where in (str(copy), copy.as_uri() + "/", (copy / "index.html").as_uri(),
                  str(copy / "mirrors.json")):
        result = verify(where, "--key", published.key.public, cwd=copy.parent)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "OK: this copy is genuine, fresh and complete" in result.stdout
        assert f"signature: valid, key fingerprint {published.key.fingerprint}" in result.stdout


def test_the_key_may_be_given_as_a_file(copy: Path, published: Published, state_home: Path,
                                        tmp_path: Path):
    (tmp_path / "site.pub").write_text(published.key.public + "\n")
    result = verify(str(copy), "--key", str(tmp_path / "site.pub"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_without_a_key_the_copy_is_called_unauthenticated_but_files_are_checked(
        copy: Path, state_home: Path):
    result = verify(str(copy), cwd=copy.parent)
    assert result.returncode == 0
    assert "UNAUTHENTICATED" in result.stdout
    (copy / "index.html").write_text("<p>forged</p>")
    result = verify(str(copy), cwd=copy.parent)
    assert result.returncode == 1
    assert "index.html:" in result.stdout and "UNAUTHENTICATED" in result.stdout


def test_altered_missing_and_extra_files_are_each_named(copy: Path, published: Published,
                                                        state_home: Path):
    page = copy / "articles" / "first.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"first story", b"FIRST STORY"))  # same size
    (copy / "files" / "map.png").unlink()
    (copy / "articles" / "planted.html").write_text("<p>not from the editors</p>")
    (copy / "feed.xml").write_bytes(b"")
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 1
    out = result.stdout
    assert "articles/first.html: content differs from the manifest" in out
    assert "files/map.png: missing" in out
    assert "articles/planted.html: not in the manifest" in out
    assert "feed.xml: 0 bytes" in out
    assert "index.html:" not in out  # intact files are not accused
    assert out.strip().splitlines()[-1].startswith("FAILED: 4 problems")


def test_json_output_is_one_document_naming_each_bad_file(copy: Path, published: Published,
                                                          state_home: Path):
    (copy / "articles" / "second.html").write_text("<p>forged</p>")
    result = verify(str(copy), "--key", published.key.public, "--json", cwd=copy.parent)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["authenticated"] is True
    assert [b["path"] for b in document["files"]["bad"]] == ["articles/second.html"]
    assert document["version"] == json.loads((copy / "mirrors.json").read_text())["version"]
    assert document["site"]["title"] == "Test site"


def test_the_wrong_key_fails(copy: Path, other_key: SiteKey, state_home: Path):
    result = verify(str(copy), "--key", other_key.public, cwd=copy.parent)
    assert result.returncode == 1
    assert f"signature: INVALID for key fingerprint {other_key.fingerprint}" in result.stdout
    assert "does not match" in result.stdout


def test_a_missing_signature_fails_when_a_key_is_given(copy: Path, published: Published,
                                                      state_home: Path):
    (copy / "mirrors.json.sig").unlink()
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 1
    assert "signature: MISSING" in result.stdout


def test_a_rewritten_manifest_breaks_the_signature(copy: Path, published: Published,
                                                  state_home: Path):
    # The forger changes a page and lists its new hash: only the signature gives it away.
    import hashlib

    page = copy / "index.html"
    page.write_bytes(page.read_bytes().replace(b"First story", b"Fake story"))
    rewrite_listing(copy, lambda files: files.update({"index.html": {
        "sha256": hashlib.sha256(page.read_bytes()).hexdigest(), "size": page.stat().st_size}}))
    assert verify(str(copy), cwd=copy.parent).returncode == 0  # unauthenticated: fooled
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 1
    assert "signature: INVALID" in result.stdout


def test_an_expired_manifest_fails(copy: Path, published: Published, state_home: Path):
    manifest = json.loads((copy / "mirrors.json").read_text())
    expires = datetime.fromisoformat(manifest["expires_at"].replace("Z", "+00:00"))
    fresh = verify_copy(str(copy), published.key.public, now=expires - timedelta(hours=1))
    assert fresh.ok, verify_lines(fresh)
    late = verify_copy(str(copy), published.key.public, now=expires + timedelta(seconds=1))
    assert not late.ok and late.expired
    assert any("expired" in line for line in verify_lines(late))
    assert late.exit_code == 1


def test_an_expired_manifest_signed_by_the_site_key_fails_on_the_command_line(
        copy: Path, published: Published, state_home: Path):
    signer = Signer(serialization.load_pem_private_key(published.key.path.read_bytes(), None))
    manifest = json.loads((copy / "mirrors.json").read_text())
    past = datetime.now(UTC) - timedelta(days=1)
    manifest["expires_at"] = past.strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest["published_at"] = (past - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = json.dumps(manifest, indent=2).encode()
    (copy / "mirrors.json").write_bytes(data)
    (copy / "mirrors.json.sig").write_bytes(signer.sign(data))
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 1
    assert "signature: valid" in result.stdout  # genuine, but too old to trust as current
    assert "the manifest expired at" in result.stdout


def test_a_manifest_that_breaks_the_schema_is_refused(copy: Path, state_home: Path):
    manifest = json.loads((copy / "mirrors.json").read_text())
    manifest["version"] = "7"
    manifest["files_index"][0]["sha256"] = "not-a-hash"
    (copy / "mirrors.json").write_text(json.dumps(manifest))
    result = verify(str(copy), cwd=copy.parent)
    assert result.returncode == 1
    assert "not a valid manifest" in result.stdout
    assert "mirrors.json.version: expected integer" in result.stdout
    assert "sha256" in result.stdout


def test_a_manifest_naming_files_outside_the_copy_is_refused(copy: Path, state_home: Path):
    secret = copy.parent / "secret.txt"
    secret.write_text("outside")
    rewrite_listing(copy, lambda files: files.update(
        {"../secret.txt": {"sha256": "0" * 64, "size": 7}}))
    result = verify(str(copy), cwd=copy.parent)
    assert result.returncode == 1
    assert "'../secret.txt' leads outside the copy" in result.stdout


def test_what_cannot_be_a_copy_gets_one_clear_line(tmp_path: Path, state_home: Path):
    cases = {
        str(tmp_path / "nothing-here"): "no such folder",
        str(tmp_path): "not the root of a mirrorpub copy",
        "ftp://example.org/x/": "unsupported kind of URL",
        "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi": "through a gateway",
        "http://127.0.0.1:9/site/": "cannot connect",
    }
    for url, expected in cases.items():
        result = verify(url, cwd=tmp_path)
        assert result.returncode == 1, url
        assert expected in result.stdout, (url, result.stdout)
        assert "FAILED" in result.stdout


def test_a_damaged_key_is_a_clear_error(copy: Path, state_home: Path):
    result = verify(str(copy), "--key", "ed25519:short", cwd=copy.parent)
    assert result.returncode == 1
    assert "--key: the public key is damaged" in result.stdout


def test_versions_are_remembered_in_the_state_home(copy: Path, published: Published,
                                                   state_home: Path):
    assert verify(str(copy), "--key", published.key.public, cwd=copy.parent).returncode == 0
    seen = json.loads((state_home / "seen.json").read_text())
    record = seen["sites"][f"key:{published.key.fingerprint}"]
    assert record["version"] == json.loads((copy / "mirrors.json").read_text())["version"]
    (state_home / "seen.json").write_text("{not json")
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 1
    assert "seen.json: cannot be read" in result.stdout


def test_versions_seen_under_the_old_64_bit_fingerprint_still_count(
        copy: Path, published: Published, state_home: Path):
    version = json.loads((copy / "mirrors.json").read_text())["version"]
    old_key = "key:" + " ".join(published.key.fingerprint.split()[:4])  # the first 64 bits
    assert len(old_key) == len("key:") + 19  # 16 hex digits in groups of four
    seen_file = state_home / "seen.json"
    state_home.mkdir(parents=True, exist_ok=True)

    def seen_before(seen_version: int) -> None:
        seen_file.write_text(json.dumps({"schema": "mirrorpub.seen/1", "sites": {old_key: {
            "version": seen_version, "title": "Test site", "published_at": "x", "url": "u",
            "verified_at": "2026-01-01T00:00:00Z"}}}))

    seen_before(version + 5)  # a reader verified a newer copy with an older mirrorpub
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 1
    assert f"rollback refused: this copy serves version {version}, but version " \
        f"{version + 5} was verified" in result.stdout
    seen_before(version - 1)
    result = verify(str(copy), "--key", published.key.public, cwd=copy.parent)
    assert result.returncode == 0, result.stdout
    sites = json.loads(seen_file.read_text())["sites"]
    assert list(sites) == [f"key:{published.key.fingerprint}"]  # moved to the new name
    assert sites[f"key:{published.key.fingerprint}"]["version"] == version


def test_the_state_file_follows_xdg_state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from mirrorpub.read.seen import seen_file

    monkeypatch.delenv("MIRRORPUB_STATE_HOME", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert seen_file() == tmp_path / "xdg" / "mirrorpub" / "seen.json"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert seen_file() == tmp_path / "home" / ".local" / "state" / "mirrorpub" / "seen.json"


def test_text_from_a_copy_cannot_drive_the_terminal(copy: Path, state_home: Path):
    manifest = json.loads((copy / "mirrors.json").read_text())
    manifest["site"]["title"] = "News\x1b]0;pwned\x07\x1b[2J"
    manifest["mirrors"][0]["url"] = "https://evil.example/\x1b[31mred"
    (copy / "mirrors.json").write_text(json.dumps(manifest))
    result = verify(str(copy), cwd=copy.parent)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert result.returncode == 1  # a copy has no use for control characters
    assert "not a valid manifest: mirrors.json.site.title: not allowed here" in result.stdout
