"""Paths that come from elsewhere, and file operations that stay where they belong.

A mirror's index object or listing is not ours to trust: whoever can write the mirror can
forge it (its checksum only catches accidents). Every path read from one passes
`is_site_path` before a planner or a store uses it: relative, normalised (no `.`, `..` or
empty segment), no NUL, backslash or control character. A path that fails is never
written and never deleted.

`Folder` keeps the file operations of a folder mirror beneath its root. Each step below
the root is opened relative to the one above it (openat) with O_NOFOLLOW, so a symbolic
link planted inside, to a file or to a folder, never carries a write, a read or a delete
elsewhere: a link where a folder should be is refused (`LinkInside`); a link where a file
should be is replaced or removed itself, never its target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mirrorpub import fsatomic
from mirrorpub.hashing import stream_sha256

MAX_PATH_BYTES = 1024  # S3's limit for a key; no site path comes near it
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO planted in the mirror must not hang the publish.
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


# Control characters, DEL, backslash. A pattern, not a loop over characters: an index at
# 100,000 articles holds over 110,000 paths, each checked on every publish (SPEC §14).
_BAD_CHARACTER = re.compile(r"[\x00-\x1f\x7f\\]")


def is_site_path(path: object) -> bool:
    """Whether `path` is one a site could hold: `a/b.html`, never `/x`, `../x`, `a//b`,
    `a/./b`, `a\\b` or a name with a NUL or a line break in it."""
    if not isinstance(path, str) or not path or path.startswith("/"):
        return False
    if _BAD_CHARACTER.search(path):
        return False
    # A character is at most four bytes: most paths need no encoding to be measured.
    if len(path) * 4 > MAX_PATH_BYTES and \
            len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        return False
    framed = f"/{path}/"  # an empty, "." or ".." segment, the first and last included
    return "//" not in framed and "/./" not in framed and "/../" not in framed


def names_a_file(path: Path) -> bool:
    """Whether `path` is a file; False, not an error, for text no path can be (too long
    a name, say: a key pasted where its path belongs)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def shown_path(path: object) -> str:
    """A path from elsewhere as a message may quote it: escaped, quoted, short."""
    text = ascii(path)
    return text if len(text) <= 80 else text[:77] + "..."


class LinkInside(OSError):
    """A symbolic link where mirrorpub expected a folder (or a regular file to read)."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.ELOOP, f"{path} is a symbolic link; mirrorpub never writes, "
                         "reads or deletes through a link inside a mirror folder", path)


class NotRegular(OSError):
    """Something other than a regular file (a FIFO, a device, a folder) where one was read."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EINVAL, f"{path} is not a regular file", path)


class Folder:
    """The files beneath one root folder. Paths are site paths (`is_site_path`); the root
    itself is the user's choice and may be reached through a link."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read_bytes(self, path: str, *, limit: int | None = None) -> bytes:
        """The file's bytes (at most `limit` + 1 of them, so a caller can tell "too big")."""
        with self._open_file(path) as handle:
            return handle.read() if limit is None else handle.read(limit + 1)

    def sha256(self, path: str) -> str:
        with self._open_file(path) as handle:
            return stream_sha256(handle)

    def write_bytes(self, path: str, data: bytes, *, durable: bool = False) -> None:
        with self._parent(path, create=True) as (folder, name), \
                fsatomic.replacing_in(folder, name, durable=durable) as out:
            out.write(data)

    def copy_in(self, path: str, source: Path, *, durable: bool = False) -> None:
        with self._parent(path, create=True) as (folder, name), source.open("rb") as src, \
                fsatomic.replacing_in(folder, name, durable=durable) as out:
            shutil.copyfileobj(src, out, 1024 * 1024)

    def unlink(self, path: str) -> None:
        """Remove the file (a link there: the link). FileNotFoundError when it is gone,
        its folder included."""
        with self._parent(path, create=False) as (folder, name):
            os.unlink(name, dir_fd=folder)

    def prune(self, path: str) -> None:
        """Remove the folders holding `path` that are empty now, deepest first, up to (not
        including) the root; stop at the first that is not empty (or not a folder)."""
        parts = path.split("/")[:-1]
        while parts:
            try:
                with self._parent("/".join(parts), create=False) as (folder, name):
                    os.rmdir(name, dir_fd=folder)  # rmdir never follows a link
            except OSError:
                return
            parts.pop()

    def files(self) -> Iterator[tuple[str, int]]:
        """(site path, size) of every regular file beneath the root, sorted; links are
        neither listed nor entered, and names that are no site path are left out."""
        found = []
        with contextlib.suppress(FileNotFoundError):
            for folder, _, names, fd in os.fwalk(self.root, follow_symlinks=False):
                rel = os.path.relpath(folder, self.root)
                for name in names:
                    path = name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")
                    info = _lstat(name, fd)
                    if info is not None and stat.S_ISREG(info.st_mode) and is_site_path(path):
                        found.append((path, info.st_size))
        yield from sorted(found)

    def remove_matching(self, pattern: re.Pattern[str], *, top_only: bool = False) -> None:
        """Remove every regular file beneath the root (`top_only`: in the root) whose name
        matches `pattern`."""
        with contextlib.suppress(FileNotFoundError):
            for _, folders, names, fd in os.fwalk(self.root, follow_symlinks=False):
                if top_only:
                    folders.clear()
                for name in names:
                    if not pattern.fullmatch(name):
                        continue  # most are not: no stat for them
                    info = _lstat(name, fd)
                    if info is not None and stat.S_ISREG(info.st_mode):
                        with contextlib.suppress(OSError):
                            os.unlink(name, dir_fd=fd)

    @contextlib.contextmanager
    def _open_file(self, path: str) -> Iterator[BinaryIO]:
        with self._parent(path, create=False) as (folder, name):
            try:
                fd = os.open(name, _READ, dir_fd=folder)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise LinkInside(path) from None
                raise
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise NotRegular(path)
            os.set_blocking(fd, True)
            yield handle

    @contextlib.contextmanager
    def _parent(self, path: str, *, create: bool) -> Iterator[tuple[int, str]]:
        """(descriptor of the folder that holds `path`, its last segment); the folders on
        the way are made when `create`, entered only when they are real folders."""
        if not is_site_path(path):
            raise ValueError(f"not a site path: {shown_path(path)}")
        *folders, name = path.split("/")
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for depth, segment in enumerate(folders, 1):
                inner = _enter(fd, segment, "/".join(folders[:depth]), create=create)
                os.close(fd)
                fd = inner
            yield fd, name
        finally:
            os.close(fd)


def _enter(parent: int, name: str, shown: str, *, create: bool) -> int:
    """The descriptor of the real folder `name` in `parent`, made if asked."""
    try:
        try:
            return os.open(name, _DIR, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):  # another thread made it first
                os.mkdir(name, 0o777, dir_fd=parent)
            return os.open(name, _DIR, dir_fd=parent)
    except OSError as exc:
        info = _lstat(name, parent) if exc.errno in (errno.ELOOP, errno.ENOTDIR) else None
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise LinkInside(shown + "/") from None
        raise


def _lstat(name: str, folder: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        return None
