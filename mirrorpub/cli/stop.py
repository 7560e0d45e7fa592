"""SIGTERM and SIGINT during `publish`: stop cleanly instead of leaving copies half-written.

The first signal only asks (`requested`): the publish stops at once if nothing has been
sent yet, else finishes, because a copy stopped midway holds files its manifest does not
describe. A second signal stops at once, saying what that may leave. The handler writes
with os.write: printing through the console from a handler could wait on a lock the
interrupted code holds.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopOnSignal:
    def __init__(self) -> None:
        self.signum: int | None = None
        self._before: dict[int, Any] = {}
        self._pid = os.getpid()

    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if os.getpid() != self._pid:
            # A forked build worker, before its pool reset the handlers: Ctrl-C reached
            # the whole group and is the publish's to act on; SIGTERM is the pool ending
            # it (terminate()), and a worker that ignored it would hang the publish.
            if signum == signal.SIGTERM:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
            return
        if self.signum is not None:
            _say(f"error: {signal.Signals(signum).name} again: stopping at once; a copy being "
                 "written may be incomplete until the next publish completes it")
            os._exit(128 + signum)
        self.signum = signum
        _say(f"{self.name} received: stopping before anything is sent, or, if sending has "
             "begun, once every copy is complete (send it again to stop at once)")

    def __enter__(self) -> StopOnSignal:
        for sig in SIGNALS:
            self._before[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._before.items():
            signal.signal(sig, handler)


def _say(line: str) -> None:
    os.write(2, (line + "\n").encode("utf-8", "replace"))
