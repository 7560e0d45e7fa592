"""A call made in a forked child while this process goes on: the second core's share of
the stats a build with little to do makes (SPEC §14: a no-op publish at 100,000 articles).

`Forked(fn, *args)` forks; the child calls `fn(*args)`, sends the pickled result down a
pipe and leaves at once (no atexit, no flushing of the parent's buffers). `result()`
waits for it. Where a fork is unsafe (other threads run: watch mode, whose locks a child
could inherit held), unavailable or refused, or the child fails or dies, `result()` makes
the call here instead: the answer is the same, only later. So a child never raises: an
error (a source gone) is raised here, by the same call, with its message.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Forked(Generic[T]):
    def __init__(self, fn: Callable[..., T], *args: Any, fork: bool = True) -> None:
        """`fork=False`: not worth a process (little to do); `result()` calls here."""
        self._fn, self._args = fn, args
        self._child: tuple[int, int] | None = None  # (pid, read end of its pipe)
        self._found: tuple[T] | None = None
        if fork and _alone() and hasattr(os, "fork"):
            self._child = self._fork()

    def result(self) -> T:
        """The call's result, waited for (once: asked again, the same)."""
        if self._found is None and self._child is not None:
            self._found = self._collect()
        if self._found is None:
            self._found = (self._fn(*self._args),)
        return self._found[0]

    def _fork(self) -> tuple[int, int] | None:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:
            _child(write_end, read_end, self._fn, self._args)
        os.close(write_end)
        return pid, read_end

    def _collect(self) -> tuple[T] | None:
        assert self._child is not None
        pid, read_end = self._child
        self._child = None
        chunks = []
        try:
            while chunk := os.read(read_end, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(read_end)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        try:
            return (pickle.loads(b"".join(chunks)),)
        except Exception:  # nothing, or cut short: the child failed or died
            return None

    def __del__(self) -> None:
        # A build that stopped early (bad front matter) never asked: reap the child.
        if self._child is not None:
            with contextlib.suppress(OSError):
                self._collect()


def _alone() -> bool:
    """No other thread runs in this process: none holds a lock the child would inherit."""
    return threading.active_count() == 1


def _child(write_end: int, read_end: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        # The publish's handlers keep it going and print; here Ctrl-C is the parent's to
        # act on, and SIGTERM must end the child (as in the build's pool, pool.py).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.close(read_end)
        data = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
    finally:
        os._exit(0)
