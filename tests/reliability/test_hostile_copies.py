"""A hostile copy can neither make publish write nor delete anything outside it.

Whoever can write a mirror (a USB stick passed around, a shared drive, a bucket's other
users) can forge its `.mirrorpub-index.json`: the checksum inside catches accidents, not
intent. Here the forged index lists an absolute path outside the mirror and `../…`
paths, and links inside the mirror point at folders outside it. The real command runs
against them; files outside must survive, byte for byte, and the editor is told.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.layout import is_part
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.remoteindex import INDEX_NAME, decode_index, encode_index
from tests.reliability.conftest import (
    assert_readable_copy,
    bucket_objects,
    crawl_bucket,
    folder_files,
    s3_mirror,
)
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

pytestmark = [pytest.mark.timeout(300)]


def _site(root: Path, usb: Path) -> None:
    write_site(root, {"a.md": article("A", body="See ![map](img/map.png)."),
                      "b.md": article("B")}, files={"img/map.png": b"\x89PNG map"},
               mirrors=[{"name": "usb", "type": "directory", "path": str(usb)}])


def _forge(usb: Path, paths: list[str]) -> None:
    """Add `paths` to the mirror's index as if mirrorpub had put them there; the
    checksum is recomputed, as anyone can."""
    decoded = decode_index((usb / INDEX_NAME).read_bytes())
    assert decoded is not None
    files, pending = decoded
    for path in paths:
        files[path] = RemoteEntry(size=6, sha256="0" * 64)
    (usb / INDEX_NAME).write_bytes(encode_index(files, pending))


def _snapshot(folder: Path) -> dict[str, Any]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else "folder")
            for p in sorted(folder.rglob("*"))}


def test_a_forged_index_cannot_delete_outside_the_mirror(tmp_path: Path,
                                                         tally: Counter[str]) -> None:
    usb, root, outside = tmp_path / "usb", tmp_path / "site", tmp_path / "outside"
    (outside / "empty-after").mkdir(parents=True)
    (outside / "abs.txt").write_bytes(b"absolute victim")
    (outside / "empty-after" / "only.txt").write_bytes(b"the only file here")
    (tmp_path / "victim.txt").write_bytes(b"relative victim")
    _site(root, usb)
    mirrorpub("publish", cwd=root, check=True)
    before, copy_before = _snapshot(outside), set(folder_files(usb))
    _forge(usb, [str(outside / "abs.txt"), "../victim.txt", "articles/../../victim.txt",
                 "../outside/empty-after/only.txt", "img\\..\\..\\victim.txt", "a//b.html"])
    tally["hostile inputs tried"] += 6

    result = mirrorpub("publish", cwd=root)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "victim.txt").read_bytes() == b"relative victim"
    assert _snapshot(outside) == before, "publish deleted or changed files outside the mirror"
    # Deleted, if anything: the parts of the manifest before the last (mirrorpub's own).
    assert all(is_part(p) for p in copy_before - set(folder_files(usb)))
    warning = [line for line in result.stderr.splitlines() if line.startswith("warning: usb:")]
    assert len(warning) == 1 and "6 paths no site can hold" in warning[0], result.stderr
    assert "articles/a.html" in folder_files(usb)  # the copy itself is intact

    again = mirrorpub("publish", cwd=root)  # the index was rewritten without them
    assert again.returncode == 0 and "warning: usb" not in again.stderr, again.stderr


def test_a_linked_folder_inside_the_mirror_takes_no_write_outside(
        tmp_path: Path, tally: Counter[str]) -> None:
    usb, root, outside = tmp_path / "usb", tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    (outside / "a.html").write_bytes(b"victim page")
    usb.mkdir()
    os.symlink(outside, usb / "articles")
    _site(root, usb)
    tally["hostile inputs tried"] += 1

    result = mirrorpub("publish", cwd=root)
    assert_no_traceback(result)
    assert _snapshot(outside) == {"a.html": b"victim page"}, "a write went through a link"
    assert result.returncode == 3, result.stderr
    failure = [line for line in result.stderr.splitlines() if "usb: FAILED" in line]
    assert failure and "articles/ is a symbolic link" in failure[0], result.stderr


def test_a_linked_folder_inside_the_mirror_takes_no_delete_outside(
        tmp_path: Path, tally: Counter[str]) -> None:
    usb, root, outside = tmp_path / "usb", tmp_path / "site", tmp_path / "outside"
    write_site(root, {"a.md": article("A"), "b.md": article("B", tags=["gone"])},
               mirrors=[{"name": "usb", "type": "directory", "path": str(usb)}])
    mirrorpub("publish", cwd=root, check=True)
    assert (usb / "tags" / "gone.html").is_file()
    # Someone moves the copy's tags/ away and leaves a link to where it went.
    outside.mkdir()
    (usb / "tags").rename(outside / "tags")
    os.symlink(outside / "tags", usb / "tags")
    before = _snapshot(outside)
    (root / "content" / "b.md").unlink()  # tags/gone.html leaves the site: a delete
    tally["hostile inputs tried"] += 1

    result = mirrorpub("publish", cwd=root)
    assert_no_traceback(result)
    assert _snapshot(outside) == before, "a delete went through a link"
    assert result.returncode == 3, result.stderr
    failure = [line for line in result.stderr.splitlines() if "usb: FAILED" in line]
    assert failure and "tags/ is a symbolic link" in failure[0], result.stderr


def test_a_linked_file_in_the_mirror_is_replaced_not_written_through(tmp_path: Path) -> None:
    usb, root, outside = tmp_path / "usb", tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.html").write_bytes(b"victim")
    usb.mkdir()
    os.symlink(outside / "victim.html", usb / "index.html")
    _site(root, usb)
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (outside / "victim.html").read_bytes() == b"victim"
    assert not (usb / "index.html").is_symlink()
    assert (usb / "index.html").read_bytes() == (root / "public" / "index.html").read_bytes()


@pytest.mark.s3
def test_a_forged_bucket_index_cannot_delete_outside_its_prefix(
        seaweed: Any, tmp_path: Path, tally: Counter[str]) -> None:
    """Two sites share a bucket (en/ and ru/). The ru/ index is forged to list the en/
    site's objects as `../en/…`: S3 servers and proxies that normalise paths would
    delete them. They must not even be asked to."""
    bucket = seaweed.make_bucket()
    client = seaweed.client()
    en, ru = tmp_path / "en", tmp_path / "ru"
    write_site(en, {"e.md": article("E")}, mirrors=[s3_mirror(seaweed, bucket, prefix="en/")])
    write_site(ru, {"r.md": article("R")}, mirrors=[s3_mirror(seaweed, bucket, prefix="ru/")])
    for site in (en, ru):
        mirrorpub("publish", cwd=site, env=seaweed.env(), check=True)
    en_before = bucket_objects(seaweed, bucket, "en/")
    key = f"ru/{INDEX_NAME}"
    decoded = decode_index(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert decoded is not None
    files, pending = decoded
    forged = [f"../en/{p}" for p in en_before] + ["/en/index.html", "./../en/feed.xml"]
    files.update({p: RemoteEntry(size=1, sha256="0" * 64) for p in forged})
    client.put_object(Bucket=bucket, Key=key, Body=encode_index(files, pending))
    tally["hostile inputs tried"] += len(forged)

    result = mirrorpub("publish", cwd=ru, env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert bucket_objects(seaweed, bucket, "en/") == en_before
    assert f"{len(forged)} paths no site can hold" in result.stderr
    assert_readable_copy(crawl_bucket(seaweed, bucket, "en/"), "the en/ site")
