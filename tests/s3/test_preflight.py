"""Preflight (issue 20): what needs no upload is checked on every mirror before anything
is sent to any of them, so a missing credential never leaves half the copies updated."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.s3.test_s3_mirror import ARTICLES, FILES, s3_mirror
from tests.services.seaweed import SeaweedFS
from tests.sitekit import assert_no_traceback, mirrorpub, write_site

pytestmark = pytest.mark.s3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _folder_files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def _folder_and_unset_credentials(tmp_path: Path, seaweed: SeaweedFS) -> tuple[str, Path]:
    """The reproduction: a folder mirror, and an S3 one whose credential variables are unset."""
    bucket = seaweed.make_bucket()
    folder = tmp_path / "usb"
    mirror = {**s3_mirror(seaweed, "aws", bucket), "access_key_id_env": "UNSET_KEY_ID",
              "secret_access_key_env": "UNSET_SECRET"}
    write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[
        {"name": "usb", "type": "directory", "path": str(folder)}, mirror])
    return bucket, folder


def test_unset_credentials_stop_the_publish_before_the_folder_gets_a_file(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket, folder = _folder_and_unset_credentials(tmp_path, seaweed)
    result = mirrorpub("publish", cwd=tmp_path / "site")
    assert_no_traceback(result)
    assert result.returncode == 1, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "'aws'" in x]
    assert "access_key_id_env" in line and "is not set" in line
    assert "nothing was sent to any mirror" in result.stderr
    assert _folder_files(folder) == []
    assert seaweed.keys(bucket) == {}
    assert not (tmp_path / "site" / ".mirrorpub" / "state.json").exists()


def test_skip_preflight_sends_to_the_others_in_an_emergency(tmp_path: Path,
                                                           seaweed: SeaweedFS) -> None:
    bucket, folder = _folder_and_unset_credentials(tmp_path, seaweed)
    result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path / "site")
    assert_no_traceback(result)
    assert result.returncode == 3, result.stderr
    assert (folder / "index.html").is_file()
    assert seaweed.keys(bucket) == {}


def test_a_missing_bucket_and_an_absent_kubo_are_both_named_before_sending(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    good = seaweed.make_bucket()
    api = f"http://127.0.0.1:{_free_port()}"  # nobody listens there
    write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[
        s3_mirror(seaweed, "good", good),
        s3_mirror(seaweed, "typo", "no-such-bucket-here"),
        {"name": "ipfs", "type": "ipfs", "api": api, "gateways": ["http://127.0.0.1:9"]}])
    result = mirrorpub("publish", cwd=tmp_path / "site", env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    (typo,) = [x for x in lines if "'typo'" in x]
    assert "bucket 'no-such-bucket-here' does not exist" in typo
    (ipfs,) = [x for x in lines if "'ipfs'" in x]
    assert "127.0.0.1" in ipfs
    assert seaweed.keys(good) == {}


def test_a_folder_on_a_drive_not_mounted_is_named_before_sending(tmp_path: Path,
                                                                seaweed: SeaweedFS) -> None:
    good = seaweed.make_bucket()
    write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[
        s3_mirror(seaweed, "good", good),
        {"name": "usb", "type": "directory", "path": str(tmp_path / "media" / "usb" / "news")}])
    result = mirrorpub("publish", cwd=tmp_path / "site", env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 1
    (line,) = [x for x in result.stderr.splitlines() if "'usb'" in x]
    assert "is the drive mounted?" in line
    assert seaweed.keys(good) == {}
