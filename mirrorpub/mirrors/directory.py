"""A folder as a mirror: a USB stick, a shared drive, a folder a web server serves.

Same plan and order as S3 (objectstore), with files replaced atomically (write beside,
rename over), every operation confined beneath the folder (`safepath.Folder`: a link
planted inside never carries a write or a delete elsewhere). The folder is created when
its parent exists; a missing parent usually means the drive is not mounted, and is said
so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import as_path, folder_url, non_empty, option, public_http_url
from mirrorpub.errors import MirrorError
from mirrorpub.layout import is_manifest_file, is_part
from mirrorpub.mirrors.objectstore import ObjectStoreMirror, Put, put_concurrently
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.protocol import Backend
from mirrorpub.mirrors.remoteindex import INDEX_NAME, INDEX_NAMES, MAX_INDEX_BYTES
from mirrorpub.model import Location
from mirrorpub.safepath import Folder, LinkInside, NotRegular

CONCURRENCY = 4  # a local disk (or a USB stick) gains little from more


@dataclass(frozen=True, kw_only=True)
class DirectoryConfig(MirrorConfig):
    path: Path = option(str, required=True, check=non_empty, convert=as_path)
    # Where readers open the folder, when a web server serves it; without it the copy is
    # listed by name and type only: a local path (a user name) is never published.
    public_url: str | None = option(str, default=None, check=public_http_url,
                                   convert=folder_url)

    def cross_check(self, protected: Mapping[str, Path], where: str) -> list[str]:
        """A mirror folder must not overlap content/, the output or the state folder."""
        target = self.path.resolve()
        problems = []
        for key, folder in protected.items():
            folder = folder.resolve()
            if target == folder or target.is_relative_to(folder) or \
                    folder.is_relative_to(target):
                problems.append(f"{where}.path: {self.path} overlaps {key} ({folder}); a "
                                "mirror folder must be a folder of its own")
        return problems


def locate(config: DirectoryConfig, facts: Mapping[str, Any]) -> Location:
    if config.public_url is None:
        return Location(url=None, page_base=None)
    return Location(url=config.public_url + "index.html", page_base=config.public_url)


def check_addresses(config: DirectoryConfig, facts: Mapping[str, Any]) -> list[str]:
    """The folder itself, and where a web server serves it, if it does."""
    return [str(config.path), *([config.public_url] if config.public_url else [])]


def preflight(config: DirectoryConfig) -> list[str]:
    """The folder, or the folder it will be made in, is there and writable."""
    root = config.path
    if root.is_dir():
        writable = os.access(root, os.W_OK | os.X_OK)
        return [] if writable else [f"folder {root} is not writable by this user"]
    if root.exists():
        return [f"path {root} is not a folder"]
    if not root.parent.is_dir():
        return [f"folder {root.parent} does not exist; is the drive mounted?"]
    if not os.access(root.parent, os.W_OK | os.X_OK):
        return [f"cannot create {root}: folder {root.parent} is not writable by this user"]
    return []


def open_mirror(config: DirectoryConfig) -> ObjectStoreMirror:
    return ObjectStoreMirror(config.name, DirectoryStore(config))


EXAMPLE = """\
# [[mirrors]]
# name = "usb"
# type = "directory"
# path = "/media/usb/news"          # a folder: a USB stick, a shared drive, a web root
# public_url = "https://news.example.org/"  # optional: where a web server serves it;
#                                   # without it the copy is listed by name only
"""

BACKEND = Backend(type="directory", config=DirectoryConfig, locate=locate, open=open_mirror,
                  example=EXAMPLE, check_addresses=check_addresses,
                  preflight=preflight)


class DirectoryStore:
    """Every read, write and delete goes through `safepath.Folder`: confined beneath the
    mirror's folder, never through a link inside it."""

    def __init__(self, config: DirectoryConfig) -> None:
        self.name = config.name
        self.root = config.path
        self.folder = Folder(config.path)
        self._operations = 0
        self._sweep_due = False
        self._sweep_top_only = False

    def requests(self) -> int:
        return self._operations

    def close(self) -> None:
        pass

    def begin_writes(self, *, as_left: bool = False) -> None:
        # Done at the first write: a publish with none never walks. A copy as a whole
        # publish left it can hold only the index's half-written files, beside it: a
        # publish writes its index's journal before any other file.
        self._sweep_due = True
        self._sweep_top_only = as_left

    def _fail(self, action: str, exc: OSError) -> MirrorError:
        if isinstance(exc, LinkInside):
            return MirrorError(self.name, f"cannot {action} in {self.root}: {exc.strerror}; "
                               "remove the link (or publish to another folder)")
        hint = "is the drive mounted and writable?"
        return MirrorError(self.name, f"cannot {action} in {self.root}: {exc.strerror}; {hint}")

    def _ready(self, *, create: bool) -> bool:
        """Whether the folder is there; made on the first write if its parent exists."""
        if self.root.is_dir():
            return True
        if not self.root.parent.is_dir():
            raise MirrorError(self.name, f"folder {self.root.parent} does not exist; is the "
                              "drive mounted?")
        if not create:
            return False  # planning (and --dry-run) must not create anything
        try:
            self.root.mkdir()
        except OSError as exc:
            raise self._fail("create the folder", exc) from None
        return True

    def read_index(self, name: str = INDEX_NAME) -> bytes | None:
        if not self._ready(create=False):
            return None
        self._operations += 1
        try:
            data = self.folder.read_bytes(name, limit=MAX_INDEX_BYTES)
        except FileNotFoundError:
            return None
        except (LinkInside, NotRegular):
            return None  # not an index we wrote: the folder is listed instead
        except OSError as exc:
            raise self._fail("read the index", exc) from None
        return data if len(data) <= MAX_INDEX_BYTES else None

    def recorded_sha256(self, path: str) -> str | None:
        self._operations += 1
        try:
            return self.folder.sha256(path)
        except OSError:
            return None

    def listing(self) -> Iterator[tuple[str, RemoteEntry]]:
        if not self.root.is_dir():
            return
        for rel, size in self.folder.files():
            if rel in INDEX_NAMES or rel.endswith(".tmp"):
                continue
            self._operations += 1
            with contextlib.suppress(OSError):  # gone or swapped since: not listed
                yield rel, RemoteEntry(size=size, sha256=self.folder.sha256(rel))

    def is_ours(self, path: str) -> bool:
        return False  # without our index we cannot tell; never delete what may be foreign

    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        put_concurrently(self.put, items, CONCURRENCY, sent)

    def put(self, item: Put) -> None:
        path, source, data = item.path, item.source, item.data
        self._ready(create=True)
        self._operations += 1
        durable = is_manifest_file(path) or is_part(path)  # mirrors.json names parts
        try:
            if data is not None:
                self.folder.write_bytes(path, data, durable=durable)
            else:
                assert source is not None
                self.folder.copy_in(path, source, durable=durable)
        except OSError as exc:
            raise self._fail(f"write {path}", exc) from None

    def delete(self, paths: list[str]) -> None:
        for path in paths:
            self._operations += 1
            try:
                self.folder.unlink(path)
            except FileNotFoundError:
                pass  # already gone (say, a killed publish deleted it): that is the goal
            except OSError as exc:
                raise self._fail(f"delete {path}", exc) from None
            self.folder.prune(path)

    def write_index(self, data: bytes, name: str = INDEX_NAME) -> None:
        self._ready(create=True)
        self._operations += 1
        if self._sweep_due:  # every publish writes the index before anything else
            self._sweep_due = False
            # Half-written files a killed publish left behind (never seen by readers).
            self.folder.remove_matching(fsatomic.TEMPORARY, top_only=self._sweep_top_only)
        try:
            self.folder.write_bytes(name, data, durable=True)
        except OSError as exc:
            raise self._fail("write the index", exc) from None
