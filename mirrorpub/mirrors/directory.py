"""A folder as a mirror: a USB stick, a shared drive, a folder a web server serves.

Same plan and order as S3 (objectstore), with files replaced atomically (write beside,
rename over). The folder is created when its parent exists; a missing parent usually
means the drive is not mounted, and is said so.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import as_path, non_empty, option
from mirrorpub.errors import MirrorError
from mirrorpub.hashing import file_sha256
from mirrorpub.layout import is_manifest_file
from mirrorpub.mirrors.objectstore import ObjectStoreMirror, Put, put_concurrently
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.protocol import Backend
from mirrorpub.mirrors.remoteindex import INDEX_NAME
from mirrorpub.model import Location

CONCURRENCY = 4  # a local disk (or a USB stick) gains little from more


@dataclass(frozen=True, kw_only=True)
class DirectoryConfig(MirrorConfig):
    path: Path = option(str, required=True, check=non_empty, convert=as_path)

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
    # A local path means nothing to a reader elsewhere, so pages do not list it.
    return Location(url=config.path.resolve().as_uri() + "/index.html", page_base=None)


def open_mirror(config: DirectoryConfig) -> ObjectStoreMirror:
    return ObjectStoreMirror(config.name, DirectoryStore(config))


BACKEND = Backend(type="directory", config=DirectoryConfig, locate=locate, open=open_mirror)


class DirectoryStore:
    def __init__(self, config: DirectoryConfig) -> None:
        self.name = config.name
        self.root = config.path
        self._operations = 0
        self._sweep_due = False

    def requests(self) -> int:
        return self._operations

    def close(self) -> None:
        pass

    def begin_writes(self) -> None:
        self._sweep_due = True  # done at the first write: a publish with none never walks

    def _fail(self, action: str, exc: OSError) -> MirrorError:
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

    def read_index(self) -> bytes | None:
        if not self._ready(create=False):
            return None
        self._operations += 1
        try:
            return (self.root / INDEX_NAME).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail("read the index", exc) from None

    def recorded_sha256(self, path: str) -> str | None:
        self._operations += 1
        try:
            return file_sha256(self.root / path)
        except OSError:
            return None

    def listing(self) -> Iterator[tuple[str, RemoteEntry]]:
        if not self.root.is_dir():
            return
        for file in sorted(self.root.rglob("*")):
            rel = file.relative_to(self.root).as_posix()
            if rel == INDEX_NAME or file.name.endswith(".tmp") or not file.is_file():
                continue
            self._operations += 1
            yield rel, RemoteEntry(size=file.stat().st_size, sha256=file_sha256(file))

    def is_ours(self, path: str) -> bool:
        return False  # without our index we cannot tell; never delete what may be foreign

    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        put_concurrently(self.put, items, CONCURRENCY, sent)

    def put(self, item: Put) -> None:
        path, source, data = item.path, item.source, item.data
        self._ready(create=True)
        self._operations += 1
        target = self.root / path
        durable = is_manifest_file(path)
        try:
            if data is not None:
                fsatomic.write_bytes(target, data, durable=durable)
            else:
                assert source is not None
                fsatomic.copy_file(source, target, durable=durable)
        except OSError as exc:
            raise self._fail(f"write {path}", exc) from None

    def delete(self, paths: list[str]) -> None:
        for path in paths:
            self._operations += 1
            target = self.root / path
            try:
                target.unlink()
            except FileNotFoundError:
                pass  # already gone (say, a killed publish deleted it): that is the goal
            except OSError as exc:
                raise self._fail(f"delete {path}", exc) from None
            folder = target.parent
            with contextlib.suppress(OSError):
                while folder != self.root and not any(folder.iterdir()):
                    folder.rmdir()
                    folder = folder.parent

    def write_index(self, data: bytes) -> None:
        self._ready(create=True)
        self._operations += 1
        if self._sweep_due:  # every publish writes the index before anything else
            self._sweep_due = False
            _sweep_temporaries(self.root)
        try:
            fsatomic.write_bytes(self.root / INDEX_NAME, data, durable=True)
        except OSError as exc:
            raise self._fail("write the index", exc) from None


# fsatomic's temporary names: "." + up to 40 characters of the name + "." + 8 random + ".tmp"
_TEMPORARY = re.compile(r"\..{1,40}\.[a-z0-9_]{8}\.tmp")


def _sweep_temporaries(root: Path) -> None:
    """Remove half-written files a killed publish left behind (never seen by readers)."""
    for folder, _, names in os.walk(root):
        for name in names:
            if _TEMPORARY.fullmatch(name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))

