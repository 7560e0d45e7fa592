"""`mirrorpub watch`: publish, then republish whenever content, templates or config change.

    watchdog threads ──poke(path)──▶ Debouncer ──"a burst settled"──▶ main loop
                                                                        │
    signals (SIGTERM, Ctrl-C) ──stop()──▶ Debouncer                      ▼
                                          reload config → publish(config, only=…) → log one line

The watchdog handler only schedules: it pokes the debouncer and returns. All work happens
on the main thread, one publish at a time, so two publishes never overlap; the site lock
(.mirrorpub/lock) also keeps out a `mirrorpub publish` started by hand — watch waits for
it instead of failing.

Every publish reloads the config, so edits to it apply. A broken config or article is
logged (file, key or line) and nothing is pushed: every mirror keeps serving the last good
site, and the next save that fixes it publishes again. A mirror that fails is tried again
after 10 s, 20 s, 40 s … (at most 5 min); meanwhile edits still go out to the healthy ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from mirrorpub.errors import EXIT_OK, ConfigError, UsageError
from mirrorpub.publish.opened import OpenMirrors
from mirrorpub.watch.debounce import Debouncer, Wake
from mirrorpub.watch.events import Watcher
from mirrorpub.watch.session import Session

log = logging.getLogger(__name__)

DEFAULT_QUIET = 1.0  # seconds without a change before a burst is published
MIN_MAX_WAIT = 5.0  # a never-ending stream of changes still publishes this often

@contextlib.contextmanager
def _stop_on_signals(debouncer: Debouncer) -> Iterator[None]:
    """SIGTERM / Ctrl-C: finish the current step, then stop. A second one acts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set on the main thread (e.g. in tests)
        return
    kinds = (signal.SIGINT, signal.SIGTERM)
    previous = {kind: signal.getsignal(kind) for kind in kinds}

    def handler(number: int, frame: object) -> None:
        log.info("%s: stopping after the current step", signal.Signals(number).name,
                 extra={"event": "stopping"})
        # A publish cut off anywhere leaves every mirror complete (SPEC §8), so a second
        # signal may end things at once: Ctrl-C raises KeyboardInterrupt, SIGTERM kills.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        debouncer.stop()

    for kind in kinds:
        signal.signal(kind, handler)
    try:
        yield
    finally:
        for kind, old in previous.items():
            signal.signal(kind, old)


def watch(config_path: Path, *, debounce: float = DEFAULT_QUIET,
          max_wait: float | None = None) -> int:
    """Publish, then republish on every settled burst of changes, until a signal."""
    if debounce < 0:
        raise UsageError(f"--debounce {debounce}: expected 0 or more seconds")
    if not config_path.is_file():
        raise ConfigError(str(config_path), ["file not found (create one with `mirrorpub init`)"])
    config_path = config_path.absolute()
    debouncer = Debouncer(debounce, max_wait if max_wait is not None
                          else max(MIN_MAX_WAIT, 4 * debounce))
    with _stop_on_signals(debouncer), Watcher(config_path, debouncer) as watcher, \
            OpenMirrors() as mirrors:
        session = Session(config_path, watcher, mirrors)
        log.info("watching %s (publishing %.1f s after the last change)", config_path,
                 debounce, extra={"event": "watching"})
        session.attempt("start")
        while (wake := debouncer.next_wake(session.timer())) is not Wake.STOP:
            trigger = session.timer_trigger() if wake is Wake.TIMER else \
                _changes(debouncer, config_path.parent)
            session.attempt(trigger)
    log.info("stopped", extra={"event": "stopped"})
    return EXIT_OK


def _changes(debouncer: Debouncer, root: Path) -> str:
    paths, count = debouncer.take()
    shown = ", ".join(os.path.relpath(p, root) for p in paths)
    return f"changed {shown}" + (f" ({count} changes)" if count > len(paths) else "")
