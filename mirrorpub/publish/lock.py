"""One publish at a time per site: an flock on `.mirrorpub/lock`.

The kernel drops an flock when its holder dies, even by kill -9, so a crash never leaves
a stale lock behind. The file also says who holds it, for the refusal message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from mirrorpub.errors import LockError

LOCK_FILE = "lock"


@contextlib.contextmanager
def site_lock(state_dir: Path, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the site's lock; wait up to `wait` seconds for it, then refuse."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    handle = path.open("a+")
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockError(_refusal(path)) from None
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


def _refusal(path: Path) -> str:
    holder = ""
    with contextlib.suppress(OSError):
        holder = path.read_text(encoding="utf-8").strip()
    who = f" ({holder})" if holder else ""
    return (f"another publish of this site is running{who}; it holds {path}. "
            "Wait for it to finish and try again.")
