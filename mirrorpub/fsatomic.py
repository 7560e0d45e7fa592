"""Write files so a reader (or a crash) sees the old bytes or the new, never half.

Write to a temporary file in the same folder, optionally fsync it, then rename over the
target: rename is atomic within one file system.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def write_bytes(path: Path, data: bytes, *, durable: bool = False, mode: int | None = None) -> None:
    with _replacing(path, durable=durable, mode=mode) as handle:
        handle.write(data)


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


@contextlib.contextmanager
def _replacing(path: Path, *, durable: bool, mode: int | None = None) -> Iterator[BinaryIO]:
    """A handle on a temporary file beside `path` that takes its place once the block
    ends without an error (fsync'd first when `durable`); removed if it does not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_file(path, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        _sync_dir(path.parent)


def _temp_file(beside: Path, mode: int) -> tuple[int, str]:
    # Unlike mkstemp (always 0600), the umask decides, as for any file the user makes: a
    # mirror folder or public/ is often served by a web server running as another user.
    while True:
        tmp = beside.parent / f".{beside.name[:40]}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), str(tmp)


def _sync_dir(folder: Path) -> None:
    # Makes the rename itself survive a power cut, not only the file's bytes.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
