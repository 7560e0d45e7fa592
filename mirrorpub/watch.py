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
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from mirrorpub.config import Config, load_config
from mirrorpub.errors import (
    EXIT_OK,
    EXIT_USAGE,
    BuildError,
    ConfigError,
    ContentError,
    LockError,
    MirrorpubError,
)
from mirrorpub.publish import PublishReport, publish

log = logging.getLogger(__name__)

DEFAULT_QUIET = 1.0  # seconds without a change before a burst is published
MIN_MAX_WAIT = 5.0  # a never-ending stream of changes still publishes this often
LOCK_WAIT = 1.0  # how long one attempt waits for another publisher's lock
RETRY_FIRST = 10.0  # a failed mirror is tried again after 10 s, 20 s, 40 s …
RETRY_CAP = 300.0  # … but never waits longer than 5 minutes
MIN_GAP = 1.0  # timers never fire sooner than this after an attempt (no busy loop)
ERROR_RETRY = 60.0  # after a fault outside the site (key file, state file, disk)
LOCKED = "waited for the lock"
OBSERVER_JOIN = 5.0

Clock = Callable[[], float]


class WatchUsageError(MirrorpubError):
    exit_code = EXIT_USAGE


def retry_delay(attempt: int, first: float = RETRY_FIRST, cap: float = RETRY_CAP) -> float:
    """Seconds before retry number `attempt` (1, 2, …): doubling, capped."""
    return min(cap, first * 2 ** max(0, attempt - 1))


# --- scheduling -----------------------------------------------------------------------------

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

    @property
    def stopped(self) -> bool:
        return self._stopped

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


@dataclass
class Retries:
    """Mirrors whose last push failed, and when each may be tried again."""

    clock: Clock = time.monotonic
    attempts: dict[str, int] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)

    def record(self, report: PublishReport) -> None:
        now = self.clock()
        for mirror in report.mirrors:
            if mirror.ok:
                self.attempts.pop(mirror.name, None)
                self.due.pop(mirror.name, None)
            else:
                self.attempts[mirror.name] = self.attempts.get(mirror.name, 0) + 1
                self.due[mirror.name] = now + retry_delay(self.attempts[mirror.name])

    def forget_all_but(self, names: set[str]) -> None:
        for name in set(self.due) - names:
            self.attempts.pop(name, None)
            self.due.pop(name, None)

    def waiting(self) -> set[str]:
        """Mirrors still waiting out their backoff."""
        now = self.clock()
        return {name for name, due in self.due.items() if due > now}

    def next_due(self) -> float | None:
        return min(self.due.values(), default=None)


# --- file events ----------------------------------------------------------------------------

# Opened/closed/attrib events are ignored: the build itself opens every article, and
# reacting to that would publish forever.
_CHANGE_EVENTS = {"created", "modified", "deleted", "moved"}


@dataclass(frozen=True)
class Relevance:
    """Which paths count as a change to the site."""

    config: Path
    trees: tuple[Path, ...] = ()  # content/, templates/ (recursive)
    ignored: tuple[Path, ...] = ()  # output and state folders: our own writes

    def __call__(self, raw: str) -> bool:
        path = Path(os.path.abspath(raw))
        if path == self.config:
            return True
        if any(path == p or path.is_relative_to(p) for p in self.ignored):
            return False
        for tree in self.trees:
            if path == tree:
                return True  # e.g. templates/ appearing, or content/ replaced
            if path.is_relative_to(tree):
                # content.py skips hidden files; so do we (editor swap files, .git).
                return not any(part.startswith(".") for part in path.relative_to(tree).parts)
        return False


def _relevance(config_path: Path, config: Config | None) -> Relevance:
    if config is None:
        return Relevance(config_path)
    site = config.site
    trees = [site.content_dir.absolute(), site.templates_dir.absolute()]
    return Relevance(config_path, tuple(trees),
                     (site.output_dir.absolute(), config.state_dir.absolute()))


class Watcher:
    """The watchdog observer; follows the folders the current config names."""

    def __init__(self, config_path: Path, debouncer: Debouncer) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        self.config_path = config_path
        self.relevance = Relevance(config_path)
        self.observer = Observer()
        self.watches: dict[tuple[Path, bool, int], object] = {}
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type not in _CHANGE_EVENTS or (
                        event.is_directory and event.event_type == "modified"):
                    return  # a folder's mtime moves with every file in it: noise
                relevant = watcher.relevance  # one read: the main thread may swap it
                for raw in (event.src_path, getattr(event, "dest_path", "")):
                    if raw and relevant(os.fsdecode(raw)):
                        debouncer.poke(os.fsdecode(raw))
                        return

        self.handler = Handler()

    def __enter__(self) -> Watcher:
        # watchdog 7 logs a harmless race between its reader and stop()/unschedule() at
        # ERROR level; it would land on stderr as a bare line in the middle of JSON logs.
        inotify_log = logging.getLogger("watchdog.observers.inotify")
        if _quiet_stop_race not in inotify_log.filters:
            inotify_log.addFilter(_quiet_stop_race)
        self.follow(None)
        self.observer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.observer.stop()
        self.observer.join(OBSERVER_JOIN)

    def follow(self, config: Config | None) -> None:
        """Watch the config file's folder and, once known, content/ and templates/."""
        self.relevance = _relevance(self.config_path, config)
        wanted = [(self.config_path.parent, False), *((t, True) for t in self.relevance.trees)]
        keys = {(path, recursive, _inode(path)) for path, recursive in wanted if path.is_dir()}
        for key in set(self.watches) - keys:  # gone, or replaced by a new folder (git)
            with contextlib.suppress(KeyError, OSError):
                self.observer.unschedule(self.watches[key])
            del self.watches[key]
        for key in keys - set(self.watches):
            path, recursive, _ = key
            try:
                self.watches[key] = self.observer.schedule(self.handler, str(path),
                                                           recursive=recursive)
            except OSError as exc:
                log.error("cannot watch %s: %s; changes there will not be published "
                          "(on Linux, raise fs.inotify.max_user_watches)", path, exc.strerror)


def _quiet_stop_race(record: logging.LogRecord) -> bool:
    return "called when the thread is inactive" not in record.getMessage()


def _inode(path: Path) -> int:
    try:
        return path.stat().st_ino
    except OSError:
        return -1


# --- one publish ----------------------------------------------------------------------------

class Session:
    """What the watcher remembers between publishes."""

    def __init__(self, config_path: Path, watcher: Watcher, clock: Clock = time.monotonic) -> None:
        self.config_path = config_path
        self.watcher = watcher
        self.clock = clock
        self.retries = Retries(clock)
        # After a broken config or article, mirror retries wait: only a save can fix it.
        self.blocked = False
        self.again: float | None = None  # try again then, for the reason below
        self.again_reason = "retry"
        self.last_attempt = -MIN_GAP

    def timer(self) -> float | None:
        """When the main loop should try again without any change, if at all."""
        moments = [] if self.blocked else [t for t in (self.retries.next_due(),) if t is not None]
        if self.again is not None:
            moments.append(self.again)
        return max(min(moments), self.last_attempt + MIN_GAP) if moments else None

    def timer_trigger(self) -> str:
        return self.again_reason if self.again is not None else "retry"

    def attempt(self, trigger: str) -> None:
        self.last_attempt = self.clock()
        config = self._reload()
        if config is None:
            return
        only = self._targets(config)
        waiting = self.again is not None and self.again_reason == LOCKED  # once a second
        level = logging.DEBUG if waiting else logging.INFO
        log.log(level, "%s: publishing to %s", trigger,
                ", ".join(only) if only else "every mirror", extra={"event": "start"})
        started = time.monotonic()
        try:
            report = publish(config, only=only, lock_wait=LOCK_WAIT)
        except LockError as exc:
            self._lock_busy(exc)
            return
        except (ContentError, BuildError) as exc:  # the site is wrong: wait for a save
            self._failed(f"not published: {exc}")
            return
        except MirrorpubError as exc:  # the machine is (a key or state file): try again later
            self._failed(f"not published: {exc}", again=ERROR_RETRY)
            return
        except Exception as exc:  # a bug must not end a service; say so and keep watching
            log.debug("internal error", exc_info=True)
            self._failed(f"not published: internal error: {type(exc).__name__}: {exc} "
                         "(rerun with -vv for details, and please report it)")
            return
        self.blocked, self.again = False, None
        self.retries.record(report)
        _log_report(report, time.monotonic() - started, self.retries)

    def _reload(self) -> Config | None:
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            self._failed(f"{exc.file}: " + f"; {exc.file}: ".join(exc.problems) +
                         " — not published; fix the config and save it again", event="config")
            return None
        self.watcher.follow(config)
        self.retries.forget_all_but({m.name for m in config.mirrors if not m.retired})
        return config

    def _targets(self, config: Config) -> list[str] | None:
        """Every active mirror, except failed ones still waiting out their backoff.

        A retry is simply the next publish that includes the mirror, not a push to it
        alone: a full publish costs the healthy mirrors a few requests, and every copy's
        manifest then says the mirror is back (a push to it alone would leave the others
        calling it `failed`). Leaving a waiting mirror out keeps edits fast for the healthy
        ones instead of stalling each publish on a mirror that is down.
        """
        active = [m.name for m in config.mirrors if not m.retired]
        waiting = self.retries.waiting()
        chosen = [name for name in active if name not in waiting]
        return chosen if waiting and chosen else None

    def _lock_busy(self, exc: LockError) -> None:
        if not (self.again is not None and self.again_reason == LOCKED):  # say it once
            who = str(exc).split("; it holds")[0]  # lock.py's advice to retry is ours to act on
            log.warning("%s; publishing as soon as it is done", who, extra={"event": "locked"})
        self.again, self.again_reason = self.clock() + LOCK_WAIT, LOCKED

    def _failed(self, message: str, event: str = "failed", again: float | None = None) -> None:
        self.blocked = True
        self.again = None if again is None else self.clock() + again
        self.again_reason = "retry after the error"
        if event != "config":
            message += "; every mirror keeps the last good site"
        if again is not None:
            message += f"; trying again in {again:.0f} s"
        log.error("%s", message, extra={"event": event})


def _log_report(report: PublishReport, seconds: float, retries: Retries) -> None:
    parts = []
    for mirror in report.mirrors:
        o = mirror.outcome
        if mirror.ok:
            parts.append(f"{mirror.name}: {o.uploaded} sent, {o.deleted} deleted")
        else:
            delay = retries.due.get(mirror.name, 0.0) - retries.clock()
            parts.append(f"{mirror.name}: FAILED ({mirror.error}); retry in {delay:.0f} s")
    state = "new version" if report.changed else "nothing changed, version"
    failed = any(not m.ok for m in report.mirrors)
    log.log(logging.WARNING if failed else logging.INFO, "published: %s %d in %.1f s; %s",
            state, report.version, seconds, "; ".join(parts),
            extra={"event": "publish", "version": report.version, "changed": report.changed,
                   "seconds": round(seconds, 3), "files": len(report.build.files),
                   "mirrors": [m.as_json() for m in report.mirrors]})
    for mirror in report.mirrors:
        for warning in mirror.outcome.warnings:
            log.warning("%s: %s", mirror.name, warning, extra={"mirror": mirror.name})
        if mirror.outcome.problem:
            log.error("%s: %s", mirror.name, mirror.outcome.problem,
                      extra={"mirror": mirror.name})


# --- the loop -------------------------------------------------------------------------------

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
        raise WatchUsageError(f"--debounce {debounce}: expected 0 or more seconds")
    if not config_path.is_file():
        raise ConfigError(str(config_path), ["file not found (create one with `mirrorpub init`)"])
    config_path = config_path.absolute()
    debouncer = Debouncer(debounce, max_wait if max_wait is not None
                          else max(MIN_MAX_WAIT, 4 * debounce))
    with _stop_on_signals(debouncer), Watcher(config_path, debouncer) as watcher:
        session = Session(config_path, watcher)
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
