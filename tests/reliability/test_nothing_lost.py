"""Nothing is lost: the build never touches content/, and mirrors lose only what mirrorpub
itself published there.

content/ is snapshotted (every file's bytes, mode and mtime, every folder) around good
builds, failed builds, and configs whose output would overlap it. Mirrors get foreign
objects (same prefix, other prefixes, another mirrorpub site under a prefix) and foreign
files; after publishes that remove articles, after a damaged remote index (garbage,
truncated JSON, wrong checksum), and after a publish killed right after it wrote its
first index, every foreign byte is still there.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.mirrors.remoteindex import INDEX_NAME
from tests.reliability.conftest import (
    PidHolder,
    assert_readable_copy,
    assert_same_files,
    bucket_objects,
    crawl_bucket,
    crawl_folder,
    finish,
    folder_files,
    s3_mirror,
    start_mirrorpub,
    wait_quiet,
)
from tests.reliability.test_crash import KillAtMutation
from tests.services.faultproxy import FaultProxy
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_config, write_site


def snapshot(folder: Path) -> dict[str, Any]:
    """Everything an editor would miss: names, bytes, modes, mtimes, empty folders."""
    shot: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        info = path.lstat()
        if path.is_symlink():
            shot[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            shot[rel] = ("dir", info.st_mode)
        else:
            shot[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_mode,
                         info.st_mtime_ns)
    return shot


ARTICLES = {"a.md": article("A", body="![p](img/p.png) [b](sub/b.md)"),
            "sub/b.md": article("B", body="Text."),
            "c.md": article("C", body="Gone soon.", tags=["t"])}
FILES = {"img/p.png": b"png" * 100, "notes/draft.txt": b"keep me", "empty.bin": b""}


def _content_site(root: Path, **site: Any) -> Path:
    config = write_site(root, ARTICLES, files=FILES, **site)
    (root / "content" / "empty-folder").mkdir()
    (root / "content" / "link.png").symlink_to("img/p.png")
    return config


@pytest.mark.parametrize(("case", "site", "args"), [
    ("good build", {}, []),
    ("good build into -o", {}, ["-o", "elsewhere"]),
    ("output_dir is content", {"output_dir": "content"}, []),
    ("output_dir inside content", {"output_dir": "content/public"}, []),
    ("-o content", {}, ["-o", "content"]),
    ("-o inside content", {}, ["-o", "content/img"]),
    ("content inside output_dir", {"output_dir": ".", "content_dir": "content"}, []),
    ("output_dir is a link to content", {"output_dir": "linked"}, []),
    ("output_dir is the parent", {"output_dir": ".."}, []),
])
def test_builds_never_change_content(case: str, site: dict[str, Any], args: list[str],
                                     tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    root = tmp_path / "site"
    _content_site(root, **site)
    (root / "linked").symlink_to(root / "content")
    before = snapshot(root / "content")
    parent_before = {p.name for p in tmp_path.iterdir()}
    for _ in range(2):
        result = mirrorpub("build", *args, cwd=root)
        assert_no_traceback(result)
        assert result.returncode in (0, 1), result.stderr
    if case.startswith("good"):
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 1, f"{case}: not refused"
        assert "output" in result.stderr, result.stderr
    assert snapshot(root / "content") == before, f"{case}: content/ changed"
    assert {p.name for p in tmp_path.iterdir()} == parent_before


def test_failed_builds_and_publishes_never_change_content(tmp_path: Path,
                                                          tally: Counter[str]) -> None:
    root = tmp_path / "site"
    _content_site(root, mirrors=[{"name": "usb", "type": "directory", "path": "../usb"}])
    assert mirrorpub("publish", cwd=root).returncode == 0
    before = snapshot(root / "content")
    bad = {"bad.md": b"---\ntitle: [unclosed\n---\n", "worse.md": b"\xff\xfe bytes",
           "gone.md": article("G", body="[x](missing.md)").encode()}
    for name, data in bad.items():
        (root / "content" / name).write_bytes(data)
        expected = snapshot(root / "content")
        for command in ("build", "publish"):
            result = mirrorpub(command, cwd=root)
            tally["hostile inputs tried"] += 1
            assert result.returncode == 1 and name in result.stderr, result.stderr
            assert snapshot(root / "content") == expected
        (root / "content" / name).unlink()
    assert snapshot(root / "content") == before


@pytest.mark.parametrize("path", ["content", "content/mirror", ".", ".mirrorpub", "public"])
def test_a_folder_mirror_may_not_overlap_the_site(path: str, tmp_path: Path) -> None:
    root = tmp_path / "site"
    _content_site(root, mirrors=[{"name": "usb", "type": "directory", "path": path}])
    before = snapshot(root / "content")
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 1 and "mirrors[0].path" in result.stderr, result.stderr
    assert snapshot(root / "content") == before


def test_a_foreign_output_folder_is_refused_not_emptied(tmp_path: Path) -> None:
    root = tmp_path / "site"
    _content_site(root, output_dir="docs")
    (root / "docs").mkdir()
    (root / "docs" / "thesis.txt").write_text("years of work")
    before = snapshot(root / "docs")
    result = mirrorpub("build", cwd=root)
    assert result.returncode == 1 and "not empty" in result.stderr, result.stderr
    assert snapshot(root / "docs") == before


# --- foreign objects on mirrors --------------------------------------------------------------

FOREIGN = {"foreign.txt": b"someone else's", "articles/foreign-note.html": b"<p>theirs</p>",
           "files/foreign/data.bin": b"\x00\x01" * 50, "tags/x/deep.html": b"deep",
           "other/index.html": b"another site", "other/mirrors.json": b"{}"}


def _corrupt(data: bytes, how: str) -> bytes:
    if how == "garbage":
        return b"\x00garbage\xff" * 10
    if how == "truncated":
        return data[: len(data) // 2]
    document = json.loads(gzip.decompress(data))  # wrong checksum: a file quietly added
    document["files"]["foreign.txt"] = {"sha256": "0" * 64, "size": 14}
    return gzip.compress(json.dumps(document).encode())


def _remove(root: Path, name: str) -> None:
    (root / "content" / name).unlink()


@pytest.mark.s3
def test_s3_deletes_only_what_mirrorpub_put_there(seaweed: Any, tmp_path: Path,
                                                  tally: Counter[str]) -> None:
    bucket = seaweed.make_bucket()
    client = seaweed.client()
    # Another mirrorpub site lives in the same bucket under ru/: its objects carry our
    # metadata too, yet are not this site's.
    ru = tmp_path / "ru"
    write_site(ru, {"r.md": article("R")}, mirrors=[s3_mirror(seaweed, bucket, prefix="ru/")])
    mirrorpub("publish", cwd=ru, env=seaweed.env(), check=True)
    for key, data in FOREIGN.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)
        client.put_object(Bucket=bucket, Key=f"site/{key}", Body=data)
    client.put_object(Bucket=bucket, Key="tagged.txt", Body=b"theirs",
                      Metadata={"owner": "someone"})
    foreign = {k: v for k, v in bucket_objects(seaweed, bucket).items()}

    root = tmp_path / "site"
    _content_site(root, mirrors=[s3_mirror(seaweed, bucket, name="top"),
                                 s3_mirror(seaweed, bucket, name="sub", prefix="site/")])
    steps = ["first publish", "remove a.md", "garbage", "truncated", "wrong checksum"]
    for step in steps:
        if step == "remove a.md":
            _remove(root, "a.md")
        elif step in ("garbage", "truncated", "wrong checksum"):
            for key in (INDEX_NAME, f"site/{INDEX_NAME}"):
                data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
                client.put_object(Bucket=bucket, Key=key, Body=_corrupt(data, step))
            tally["faults injected (damaged index)"] += 2
            dry = mirrorpub("publish", "--dry-run", cwd=root, env=seaweed.env())
            assert dry.stdout.count("index is damaged; compared against a listing") == 2, \
                dry.stdout
            _remove(root, {"garbage": "c.md", "truncated": "img/p.png",
                           "wrong checksum": "sub/b.md"}[step])
            if step == "truncated":
                _remove(root, "link.png")
                (root / "content" / "a.md").write_text(article("A2", body="No picture."))
        result = mirrorpub("publish", "--max-deletes", "-1", cwd=root, env=seaweed.env())
        assert result.returncode == 0, f"{step}: {result.stderr}"
        now = bucket_objects(seaweed, bucket)
        for key, data in foreign.items():
            assert now.get(key) == data, f"{step}: foreign object {key} was lost or changed"
        local = folder_files(root / "public")
        mine = {k: v for k, v in now.items() if k in local or k not in foreign}
        top = {k: v for k, v in mine.items() if not k.startswith(("site/", "ru/", "other/"))}
        assert_same_files({k: v for k, v in top.items() if k not in foreign}, local,
                          f"top mirror after {step}")
        assert_readable_copy(crawl_bucket(seaweed, bucket, "ru/"), f"the ru/ site after {step}")
        assert_readable_copy(crawl_bucket(seaweed, bucket, "site/"), f"sub mirror after {step}")


@pytest.mark.s3
def test_a_first_publish_killed_after_its_index_keeps_foreign_objects(
        seaweed: Any, tmp_path: Path, tally: Counter[str]) -> None:
    bucket = seaweed.make_bucket()
    client = seaweed.client()
    for key, data in FOREIGN.items():
        client.put_object(Bucket=bucket, Key=key, Body=data)
    holder = PidHolder()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        root = tmp_path / "site"
        _content_site(root, mirrors=[s3_mirror(seaweed, bucket, endpoint=proxy.url)])
        proxy.rule = KillAtMutation(2, holder)  # the index went up, nothing else
        process = start_mirrorpub("publish", cwd=root, env=seaweed.env())
        holder.pid = process.pid
        assert finish(process)[0] == -signal.SIGKILL
        tally["faults injected (kill -9)"] += 1
        wait_quiet(proxy)
        proxy.rule = lambda request: "forward"
        _remove(root, "c.md")
        assert mirrorpub("publish", cwd=root, env=seaweed.env()).returncode == 0
    now = bucket_objects(seaweed, bucket)
    for key, data in FOREIGN.items():
        assert now.get(key) == data, f"foreign object {key} was lost"


def _folder_with_foreign(root: Path) -> dict[str, bytes]:
    files = {**FOREIGN, ".well-known/security.txt": b"contact", "README": b"usb stick"}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def test_a_folder_mirror_deletes_only_what_mirrorpub_put_there(tmp_path: Path,
                                                               tally: Counter[str]) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    foreign = _folder_with_foreign(usb)
    root = tmp_path / "site"
    _content_site(root, mirrors=[{"name": "usb", "type": "directory", "path": str(usb)}])
    for step in ["first publish", "remove a.md", "garbage", "truncated", "wrong checksum"]:
        if step == "remove a.md":
            _remove(root, "a.md")
        elif step != "first publish":
            index = usb / INDEX_NAME
            index.write_bytes(_corrupt(index.read_bytes(), step))
            tally["faults injected (damaged index)"] += 1
            _remove(root, {"garbage": "c.md", "truncated": "img/p.png",
                           "wrong checksum": "sub/b.md"}[step])
            if step == "truncated":
                _remove(root, "link.png")
                (root / "content" / "a.md").write_text(article("A2", body="No picture."))
        result = mirrorpub("publish", cwd=root)
        assert result.returncode == 0, f"{step}: {result.stderr}"
        now = folder_files(usb, hidden=True)
        for rel, data in foreign.items():
            assert now.get(rel) == data, f"{step}: foreign file {rel} was lost or changed"
        assert_readable_copy(crawl_folder(usb), f"folder after {step}")
        if step == "remove a.md":  # removed while the index was sound: gone
            assert "articles/a.html" not in now


def test_a_first_folder_publish_killed_after_its_index_keeps_foreign_files(
        tmp_path: Path, tally: Counter[str]) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    foreign = _folder_with_foreign(usb)
    root = tmp_path / "site"
    _content_site(root, mirrors=[{"name": "usb", "type": "directory", "path": str(usb)}])
    process = start_mirrorpub("publish", cwd=root, module="tests.reliability.crashpoint",
                              env={"CRASH_DIR": str(usb), "CRASH_AT": "2"})
    assert finish(process)[0] == -signal.SIGKILL
    tally["faults injected (kill -9)"] += 1
    _remove(root, "c.md")
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 0, result.stderr
    now = folder_files(usb, hidden=True)
    for rel, data in foreign.items():
        assert now.get(rel) == data, f"foreign file {rel} was lost"


def test_a_config_error_changes_nothing_anywhere(tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    _folder_with_foreign(usb)
    before = snapshot(usb)
    write_config(tmp_path, {"title": "T", "per_page": 0},
                 [{"name": "usb", "type": "directory", "path": str(usb)}])
    (tmp_path / "content").mkdir()
    result = mirrorpub("publish", cwd=tmp_path)
    assert result.returncode == 1 and "per_page" in result.stderr
    assert snapshot(usb) == before
