"""Write files so a reader (or a crash) sees the old bytes or the new, never half.

Write to a temporary file in the same folder, optionally fsync it, then rename over the
target: rename is atomic within one file system. Every step happens relative to the
folder's descriptor, so a caller that opened the folder without following links
(`safepath.Folder`) keeps the write inside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

# The temporary names: "." + up to 40 characters of the name + "." + 8 random + ".tmp"
TEMPORARY = re.compile(r"\..{1,40}\.[a-z0-9_]{8}\.tmp", re.DOTALL)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def write_bytes(path: Path, data: bytes, *, durable: bool = False, mode: int | None = None) -> None:
    with _replacing(path, durable=durable, mode=mode) as handle:
        handle.write(data)


def write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """write_bytes of b"".join(chunks), never holding the whole in memory."""
    with _replacing(path, durable=False) as handle:
        for chunk in chunks:
            handle.write(chunk)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ: unchanged files keep their mtime (and caches)."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_bytes(path, data)
    return True


def copy_file(source: Path, target: Path, *, durable: bool = False) -> None:
    with _replacing(target, durable=durable) as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 1024 * 1024)


def write_new(path: Path, data: bytes, *, mode: int) -> None:
    """Create `path` holding `data` (with `mode` from its first byte), durably, only if
    nothing is there yet (a file or a link): FileExistsError otherwise, even in a race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, _DIR_FLAGS)
    try:
        fd, tmp = _temp_file(folder, path.name, mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # link(2), unlike rename(2), refuses to replace what is there.
            os.link(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
        os.fsync(folder)
    finally:
        os.close(folder)


def remove_temporaries(folder: Path, of: str) -> None:
    """Remove what a killed write of `folder/of` left behind (its temporary files)."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if _is_temporary_of(entry.name, of) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _is_temporary_of(name: str, of: str) -> bool:
    return TEMPORARY.fullmatch(name) is not None and name.startswith(f".{of[:40]}.")


@contextlib.contextmanager
def _replacing(path: Path, *, durable: bool, mode: int | None = None) -> Iterator[BinaryIO]:
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, _DIR_FLAGS)
    try:
        with replacing_in(folder, path.name, durable=durable, mode=mode) as handle:
            yield handle
    finally:
        os.close(folder)


@contextlib.contextmanager
def replacing_in(folder: int, name: str, *, durable: bool = False,
                 mode: int | None = None) -> Iterator[BinaryIO]:
    """A handle on a temporary file in the open folder `folder` that takes the place of
    `name` there once the block ends without an error (fsync'd first when `durable`);
    removed if it does not. A link at `name` is replaced, never followed."""
    fd, tmp = _temp_file(folder, name, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise
    if durable:  # makes the rename itself survive a power cut, not only the file's bytes
        with contextlib.suppress(OSError):
            os.fsync(folder)


def _temp_file(folder: int, beside: str, mode: int | None) -> tuple[int, str]:
    # Unlike mkstemp (always 0600), the umask decides, as for any file the user makes: a
    # mirror folder or public/ is often served by a web server running as another user.
    # An explicit mode (a key's 0600) is set before the first byte is written.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        tmp = f".{beside[:40]}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            fd = os.open(tmp, flags, 0o666 if mode is None else mode, dir_fd=folder)
            if mode is not None:
                os.fchmod(fd, mode)
            return fd, tmp
