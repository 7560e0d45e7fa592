"""Incremental adds (SPEC §9): after random edits, the MFS copy's root equals a full
`ipfs add -r --cid-version=1` of the same folder, on a real kubo, including folders big
enough that kubo shards them (HAMT)."""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mirrorpub.mirrors.ipfs import mfs
from mirrorpub.mirrors.ipfs.kubo import KuboClient
from tests.services.kubo import KuboDaemon, kubo_binary

pytestmark = [pytest.mark.ipfs, pytest.mark.timeout(600)]

# Shards a folder from a few dozen entries on, so small examples cross the line both ways.
SMALL_SHARDS = {"Import.UnixFSHAMTDirectorySizeThreshold": "1KiB"}


@pytest.fixture(scope="module")
def sharding_kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboDaemon]:
    daemon = KuboDaemon(tmp_path_factory.mktemp("kubo-hamt"), binary=kubo_binary(),
                        config=SMALL_SHARDS).start()
    yield daemon
    daemon.stop()


def full_add(daemon: KuboDaemon, folder: Path) -> str:
    return daemon.cli("add", "-r", "--cid-version=1", "-Q", str(folder)).stdout.strip()


def write_folder(folder: Path, files: dict[str, bytes | None]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(BIG if data is None else data)


def as_files(files: dict[str, bytes | None]) -> dict[str, tuple[str, mfs.Opener]]:
    real = {p: BIG if d is None else d for p, d in files.items()}
    return {p: (hashlib.sha256(d).hexdigest(), lambda d=d: io.BytesIO(d))
            for p, d in real.items()}


NAMES = st.sampled_from([f"{d}{n}.html" for d in ("a", "page-", "z") for n in range(40)])
FOLDERS = st.sampled_from(["", "articles/", "tags/", "articles/2026/", "files/"])
PATHS = st.builds(lambda f, n: f + n, FOLDERS, NAMES)
# None stands for a file larger than one 256 KiB chunk (kept out of failure reports).
DATA = st.one_of(st.binary(max_size=64), st.none())
BIG = b"x" * 300_000
TREES = st.dictionaries(PATHS, DATA, min_size=1, max_size=60).filter(_no_clash := (
    lambda t: not ({"/".join(p.split("/")[:i]) for p in t for i in range(1, p.count("/") + 1)}
                   & t.keys())))
EDITS = st.lists(st.tuples(st.sampled_from(["write", "remove"]), PATHS, DATA), max_size=25)


def edited(files: dict[str, bytes | None], edits: list[tuple[str, str, bytes | None]]
           ) -> dict[str, bytes | None]:
    out = dict(files)
    for action, path, data in edits:
        if action == "remove":
            out.pop(path, None)
        else:
            out[path] = data
    return out if out and _no_clash(out) else files


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(first=TREES, rounds=st.lists(EDITS, min_size=1, max_size=3),
       many=st.integers(min_value=0, max_value=120))
def test_an_updated_copy_has_the_cid_of_a_full_add(
        tmp_path: Path, sharding_kubo: KuboDaemon, first: dict[str, bytes | None],
        rounds: list[list[tuple[str, str, bytes | None]]], many: int) -> None:
    folder = tmp_path / "copy"
    # Many files in one folder: sharded (HAMT) above a few dozen, and edits cross the line.
    files: dict[str, bytes | None] = {
        **first, **{f"many/item-{n:04d}.html": b"%d" % n for n in range(many)}}
    with KuboClient(sharding_kubo.api_url) as client:
        copy = mfs.IncrementalCopy(client, "prop", tmp_path / "state", full_add_share=float("inf"))
        client.files_rm(copy.path)
        copy.update(as_files(files), on_file=lambda p, n: None)
        for edits in rounds:
            files = edited(files, edits)
            sent = copy.update(as_files(files), on_file=lambda p, n: None)
            assert not sent.full
            write_folder(folder, files)
            assert sent.cid == full_add(sharding_kubo, folder)


def test_a_folder_kubo_shards_by_default_updates_to_the_same_cid(
        tmp_path: Path, kubo_daemon: KuboDaemon) -> None:
    # 6,000 links are well over kubo's default 256 KiB threshold: the folder is a HAMT.
    files = {f"articles/article-number-{n:05d}.html": b"<p>%d</p>" % n for n in range(6000)}
    files["index.html"] = b"<h1>home</h1>"
    with KuboClient(kubo_daemon.api_url) as client:
        copy = mfs.IncrementalCopy(client, "big", tmp_path / "state")
        client.files_rm(copy.path)
        copy.update(as_files(files), on_file=lambda p, n: None)
        files["articles/article-number-00042.html"] = b"<p>edited</p>"
        del files["articles/article-number-00043.html"]
        files["articles/a-new-one.html"] = b"<p>new</p>"
        sent = copy.update(as_files(files), on_file=lambda p, n: None)
        assert (sent.full, sent.files) == (False, 2)
        write_folder(tmp_path / "copy", files)
        assert sent.cid == full_add(kubo_daemon, tmp_path / "copy")
        stat = client._call("files/stat", arg=copy.path + "/articles")
        assert stat["Type"] == "directory" and sharded(client, stat["Hash"])


def test_files_copied_unflushed_in_batches_give_the_cid_of_a_full_add(
        tmp_path: Path, kubo_daemon: KuboDaemon, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file is copied into place unflushed, the folders written by a flush every
    FLUSH_EVERY files and one at the end: sharded or not, they come out as a full add
    makes them, and a copy of 100,000 files is not rewritten up to its root per file."""
    monkeypatch.setattr(mfs, "FLUSH_EVERY", 3)
    files = {f"articles/a-{n:05d}.html": b"<p>%d</p>" % n for n in range(3000)}
    with KuboClient(kubo_daemon.api_url) as client:
        copy = mfs.IncrementalCopy(client, "batches", tmp_path / "state")
        client.files_rm(copy.path)
        copy.update(as_files(files), on_file=lambda p, n: None)
        for n in range(0, 3000, 300):
            files[f"articles/a-{n:05d}.html"] = b"<p>edited</p>"
        files.update({f"tags/new/p{n}.html": b"%d" % n for n in range(4)})
        flushes: list[str] = []
        flush = client.files_flush
        monkeypatch.setattr(client, "files_flush", lambda path: (flushes.append(path),
                                                                 flush(path))[1])
        sent = copy.update(as_files(files), on_file=lambda p, n: None)
        assert (sent.full, sent.files, len(flushes)) == (False, 14, 14 // 3 + 1)
        write_folder(tmp_path / "copy", files)
        assert sent.cid == full_add(kubo_daemon, tmp_path / "copy")
        assert copy.remembered() is not None  # the root it remembers is the one kubo has


def sharded(client: KuboClient, cid: str) -> bool:
    """The UnixFS node's type is HAMTShard (protobuf field 1 = 5)."""
    node = client._call("dag/get", arg=cid)
    data = base64.b64decode(node["Data"]["/"]["bytes"] + "==")
    return data[:2] == b"\x08\x05"


def test_a_copy_changed_behind_mirrorpubs_back_is_added_whole_again(
        tmp_path: Path, kubo_daemon: KuboDaemon) -> None:
    files: dict[str, bytes | None] = {"index.html": b"home", "articles/a.html": b"a"}
    with KuboClient(kubo_daemon.api_url) as client:
        copy = mfs.IncrementalCopy(client, "by-hand", tmp_path / "state")
        client.files_rm(copy.path)
        copy.update(as_files(files), on_file=lambda p, n: None)
        client.files_rm(copy.path + "/articles/a.html")  # an operator, or a cut-off update
        files["index.html"] = b"home, edited"
        sent = copy.update(as_files(files), on_file=lambda p, n: None)
        assert sent.full and sent.files == 2
        write_folder(tmp_path / "copy", files)
        assert sent.cid == full_add(kubo_daemon, tmp_path / "copy")
