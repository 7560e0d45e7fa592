"""One publish at a time per site: an flock on `.mirrorpub/lock`.

The kernel drops an flock when its holder dies, even by kill -9, so a crash never leaves
a stale lock behind. The file also says who holds it, for the refusal message.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from mirrorpub.errors import LockError

LOCK_FILE = "lock"


@contextlib.contextmanager
def site_lock(state_dir: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the site's lock; wait up to `wait` seconds for it, then refuse."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    handle = os.fdopen(_open_lock(path), "r+", encoding="utf-8")
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(_refusal(path, handle)) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        # `python -m mirrorpub` has argv[0] ".../mirrorpub/__main__.py": name the command.
        program = os.path.basename(sys.argv[0]) if sys.argv else ""
        program = "mirrorpub" if program in ("__main__.py", "") else program
        command = " ".join([program, *sys.argv[1:3]])
        handle.write(f"pid {os.getpid()}: {command}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing drops the flock


def _open_lock(path: Path) -> int:
    """The lock file, made if missing. Never through a link: one planted there would have
    the lock truncate and overwrite whatever file it points at."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LockError(f"{path} is a symbolic link; mirrorpub will not lock (and write) "
                            "through it. Remove it and try again.") from None
        raise LockError(f"cannot open the lock file {path}: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise LockError(f"{path} is not a regular file; remove it and try again.")
    os.set_blocking(fd, True)
    return fd


def _refusal(path: Path, handle: TextIO) -> str:
    holder = ""
    with contextlib.suppress(OSError, ValueError):
        handle.seek(0)
        holder = handle.read(200).strip()
    who = f" ({holder})" if holder else ""
    return (f"another publish of this site is running{who}; it holds {path}. "
            "Wait for it to finish and try again.")
