"""Send kubo only what changed (SPEC §9): the copy lives in the node's MFS at
/mirrorpub/<mirror>, and a publish after an edit adds the changed files one by one,
copies them into place (`files/cp`, unflushed: the folders are written once, by
`files/flush`), removes what left the site (`files/rm`), and reads the folder's CID
(`files/stat`).

    changes(old, new)   pure: the files to send, the paths to remove
    update(...)         carry them out; a full `add` of the tree when there is no
                        trustworthy earlier copy, or when most of the site changed

Each file is added on its own, with the same settings as the whole tree's add, so its
CID (chunking, layout) is what a full `ipfs add -r --cid-version=1` gives it; MFS then
builds the folders, sharding them (HAMT) exactly as add does. tests/ipfs/test_mfs.py
compares the two over random edits.

What the MFS copy holds is remembered in `.mirrorpub/ipfs/<mirror>.json` (its root and
each file's sha256), written after every update: a publish cut off part way leaves an
MFS root that no longer matches it, and the next publish adds the whole tree again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mirrorpub import fsatomic

log = logging.getLogger(__name__)

MFS_FOLDER = "/mirrorpub"
# Above this share of the site changed, one add of the whole tree is cheaper than a few
# requests per file.
FULL_ADD_SHARE = 0.3
# Unflushed MFS changes kubo holds at most between flushes: it caps them
# (Internal.MFSNoFlushLimit) and keeps each folder's changes in memory until then.
FLUSH_EVERY = 100

Opener = Callable[[], BinaryIO]


@dataclass(frozen=True)
class Changes:
    send: list[str]  # new or changed files, sorted
    remove: list[str]  # files and whole folders that left the site, sorted

    def __len__(self) -> int:
        return len(self.send) + len(self.remove)


@dataclass(frozen=True)
class Sent:
    cid: str
    files: int  # files sent to kubo
    nbytes: int  # their bytes
    full: bool  # the whole tree was added


def changes(old: Mapping[str, str], new: Mapping[str, str]) -> Changes:
    """What turns the tree `old` (path -> sha256) into `new`. A folder that leaves the site
    is removed once, with everything in it."""
    removed = [p for p in old if p not in new]
    # With no file gone, no folder is (every old one still holds its files): no need to
    # list the folders of 100,000 paths twice.
    gone_folders = _folders(old) - _folders(new) if removed else set()
    top_gone = {f for f in gone_folders if not any(
        f.startswith(g + "/") for g in gone_folders)}
    # Removals go first: a file where a folder was is then free to be sent, and so is
    # a folder where a file was.
    remove = {p for p in removed if not _inside(p, gone_folders)}
    return Changes(send=sorted(p for p, h in new.items() if old.get(p) != h),
                   remove=sorted(remove | top_gone))


def _folders(paths: Iterable[str]) -> set[str]:
    """Every folder the paths are in, and the folders above them: made from the few
    distinct folders that hold them, not path by path (0.5 s for 120,000 paths)."""
    holding = {p.rpartition("/")[0] for p in paths}
    holding.discard("")
    return {"/".join(parts[:i]) for folder in holding for parts in [folder.split("/")]
            for i in range(1, len(parts) + 1)}


def _inside(path: str, folders: set[str]) -> bool:
    return any(path.startswith(f + "/") for f in folders)


class IncrementalCopy:
    """The MFS copy of one mirror, and what mirrorpub remembers of it."""

    def __init__(self, client: Any, mirror: str, state_dir: Path, *,
                 full_add_share: float = FULL_ADD_SHARE) -> None:
        self.client, self.full_add_share = client, full_add_share
        self.path = f"{MFS_FOLDER}/{mirror}"
        self.index_path = state_dir / "ipfs" / f"{mirror}.json"
        self._old: Mapping[str, str] = {}  # what changes_for() found in the MFS copy
        self._wanted: tuple[Mapping[str, Any], dict[str, str]] | None = None  # and wanted

    def update(self, files: Mapping[str, tuple[str, Opener]],
               on_file: Callable[[str, int], None]) -> Sent:
        """Make the MFS copy hold exactly `files` (path -> (sha256, opener)); its CID."""
        return self.send(self.changes_for(files), files, on_file)

    def changes_for(self, files: Mapping[str, tuple[str, Opener]],
                    remembered: Mapping[str, str] | None = None) -> Changes | None:
        """What to send for `files`; None: add the whole tree. `remembered`: what
        remembered() said a moment ago, in this publish (the copy is not read again)."""
        wanted = {p: h for p, (h, _) in files.items()}
        self._wanted = (files, wanted)  # send() needs it too (120,000 paths at 100,000)
        old = remembered if remembered is not None else self.remembered()
        if old is None:
            return None
        todo = changes(old, wanted)
        self._old = old
        return todo if len(todo) <= self.full_add_share * max(len(wanted), 1) else None

    def send(self, todo: Changes | None, files: Mapping[str, tuple[str, Opener]],
             on_file: Callable[[str, int], None]) -> Sent:
        made = self._wanted
        wanted = made[1] if made is not None and made[0] is files else \
            {p: h for p, (h, _) in files.items()}
        if todo is None:
            return self._full(files, wanted, on_file)
        return self._apply(todo, files, wanted, self._old, on_file)

    def _apply(self, todo: Changes, files: Mapping[str, tuple[str, Opener]],
               wanted: Mapping[str, str], old: Mapping[str, str],
               on_file: Callable[[str, int], None]) -> Sent:
        for path in todo.remove:
            self.client.files_rm(f"{self.path}/{path}")
        # New folders first, as CIDv1 ones (files/cp --parents would make CIDv0 folders).
        # Only a new file can be in one: a changed file's folders are there.
        folders = _folders(p for p in todo.send if p not in old)
        if folders:
            folders -= _folders(old)
        for folder in sorted(folders):
            self.client.files_mkdir(f"{self.path}/{folder}")
        nbytes = 0
        for done, path in enumerate(todo.send, start=1):
            counted = _Counting(files[path][1])
            cid = self.client.add_file(counted.open)
            # Unflushed: a flushed copy wrote its folders up to the root again, ~50 ms a
            # file in a folder of 100,000 (a new story's 15 files took 0.8 s, 0.06 s so).
            self.client.files_cp(f"/ipfs/{cid}", f"{self.path}/{path}", replace=True,
                                 flush=False)
            if done % FLUSH_EVERY == 0:
                self.client.files_flush(self.path)
            nbytes += counted.nbytes
            on_file(path, counted.nbytes)
        self.client.files_flush(self.path)
        root = self.client.files_stat(self.path)
        self._remember(root, wanted)
        log.debug("MFS copy %s: %d sent, %d removed", self.path, len(todo.send),
                  len(todo.remove))
        return Sent(cid=root, files=len(todo.send), nbytes=nbytes, full=False)

    def _full(self, files: Mapping[str, tuple[str, Opener]], wanted: Mapping[str, str],
              on_file: Callable[[str, int], None]) -> Sent:
        sent = [0]

        def counted(path: str, nbytes: int) -> None:
            sent[0] += nbytes
            on_file(path, nbytes)

        cid = self.client.add_tree(((p, o) for p, (_, o) in files.items()), on_file=counted)
        self.client.files_mkdir(MFS_FOLDER)
        self.client.files_rm(self.path)
        self.client.files_cp(f"/ipfs/{cid}", self.path)
        self._remember(cid, wanted)
        return Sent(cid=cid, files=len(files), nbytes=sent[0], full=True)

    def remembered(self) -> dict[str, str] | None:
        """The files of the MFS copy, if it is still the one last written."""
        try:
            data = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or self.client.files_stat(self.path) != data.get("root"):
            return None  # changed by hand, a node reset, or an update cut off
        return dict(data.get("files") or {})

    def _remember(self, root: str | None, wanted: Mapping[str, str]) -> None:
        # In the site's order (sorted, then the manifest files): the same for the same site.
        text = json.dumps({"root": root, "files": wanted}, separators=(",", ":"))
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        fsatomic.write_bytes(self.index_path, text.encode("utf-8"))


class _Counting:
    """An opener that notes how many bytes were read from it."""

    def __init__(self, opener: Opener) -> None:
        self.opener, self.nbytes = opener, 0

    def open(self) -> BinaryIO:
        stream = self.opener()
        read = stream.read

        def counting(size: int = -1) -> bytes:
            data = read(size)
            self.nbytes += len(data)
            return data

        stream.read = counting  # type: ignore[method-assign]
        return stream
