"""Run the real `mirrorpub` command and crash it (SIGKILL, no clean-up) at an exact point.

    CRASH_DIR=/path/to/folder-mirror CRASH_AT=7 python -m tests.reliability.crashpoint publish

counts the file operations that change CRASH_DIR (a rename that puts a file in place, an
unlink) and kills the process just before the CRASH_AT-th one, as a power cut or
`kill -9` would: the temporary file is written, the rename never happens. With CRASH_AT=0
nothing is killed and the count is written to CRASH_COUNT_FILE at exit, so a test can
first learn how many crash points a publish has.

This injects the crash only; every byte still goes through mirrorpub's own code.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_count = 0


def _inside(path: Any, folder_fd: int | None, folder: str) -> bool:
    """Whether `path` (relative to the open folder `folder_fd`, when given, as mirrorpub's
    confined writes name it) lies in `folder`."""
    path = os.fspath(path)
    if folder_fd is not None and not os.path.isabs(path):
        path = os.path.join(os.readlink(f"/proc/self/fd/{folder_fd}"), path)
    return os.path.abspath(path).startswith(folder + os.sep) or \
        os.path.abspath(path).startswith(os.path.realpath(folder) + os.sep)


def _counting(operation: Callable[..., Any], folder: str, crash_at: int,
              target_arg: int, dir_fd_arg: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _count
        if len(args) > target_arg and _inside(args[target_arg], kwargs.get(dir_fd_arg),
                                              folder):
            with _lock:
                _count += 1
                now = _count
            if now == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return operation(*args, **kwargs)

    return wrapper


def install() -> None:
    folder = os.path.abspath(os.environ["CRASH_DIR"])
    crash_at = int(os.environ.get("CRASH_AT", "0"))
    os.replace = _counting(os.replace, folder, crash_at, 1, "dst_dir_fd")
    os.rename = _counting(os.rename, folder, crash_at, 1, "dst_dir_fd")
    os.unlink = _counting(os.unlink, folder, crash_at, 0, "dir_fd")
    os.remove = _counting(os.remove, folder, crash_at, 0, "dir_fd")
    count_file = os.environ.get("CRASH_COUNT_FILE")
    if count_file:
        atexit.register(lambda: open(count_file, "w").write(str(_count)))  # noqa: SIM115


if __name__ == "__main__":
    install()
    from mirrorpub.cli import main

    main(prog_name="mirrorpub")
