"""Bursts of file changes become one wake-up of the main loop (thread-safe, clock-driven)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import Enum

Clock = Callable[[], float]


class Wake(Enum):
    CHANGES = "changes"  # a burst of changes has settled
    TIMER = "timer"  # a retry is due
    STOP = "stop"  # a signal asked us to stop


class Debouncer:
    """Turns bursts of pokes into one wake-up. Thread-safe; pokes never block for long.

    A burst is due when nothing changed for `quiet` seconds, or `max_wait` seconds after
    its first change, whichever comes first.
    """

    def __init__(self, quiet: float, max_wait: float, clock: Clock = time.monotonic) -> None:
        self.quiet = quiet
        self.max_wait = max_wait
        self.clock = clock
        # Reentrant: a signal handler runs on the main thread, which may hold it already.
        self._cond = threading.Condition(threading.RLock())
        self._first: float | None = None
        self._last = 0.0
        self._paths: list[str] = []
        self._count = 0
        self._stopped = False

    def poke(self, path: str) -> None:
        with self._cond:
            now = self.clock()
            if self._first is None:
                self._first = now
            self._last = now
            self._count += 1
            if len(self._paths) < 3 and path not in self._paths:
                self._paths.append(path)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def take(self) -> tuple[list[str], int]:
        """The first few paths of the burst just woken for, and how many changes it had."""
        with self._cond:
            paths, count = self._paths, self._count
            self._paths, self._count = [], 0
            return paths, count

    def next_wake(self, timer: float | None = None) -> Wake:
        """Block until a burst settles, `timer` (a clock time) passes, or stop()."""
        with self._cond:
            while True:
                if self._stopped:
                    return Wake.STOP
                now = self.clock()
                due = self._due()
                if due is not None and now >= due:
                    self._first = None
                    return Wake.CHANGES
                if timer is not None and now >= timer:
                    return Wake.TIMER
                moments = [t for t in (due, timer) if t is not None]
                self._cond.wait(min(moments) - now if moments else None)

    def _due(self) -> float | None:
        if self._first is None:
            return None
        return min(self._last + self.quiet, self._first + self.max_wait)
