"""What the watcher remembers between publishes, and one publish attempt."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from mirrorpub.config import Config, MirrorConfig, load_config
from mirrorpub.errors import BuildError, ConfigError, ContentError, LockError, MirrorpubError
from mirrorpub.publish.opened import OpenMirrors
from mirrorpub.publish.report import PublishReport
from mirrorpub.publish.run import publish
from mirrorpub.watch.debounce import Clock
from mirrorpub.watch.events import Watcher
from mirrorpub.watch.retries import Retries

log = logging.getLogger(__name__)

LOCK_WAIT = 1.0  # how long one attempt waits for another publisher's lock
MIN_GAP = 1.0  # timers never fire sooner than this after an attempt (no busy loop)
ERROR_RETRY = 60.0  # after a fault outside the site (key file, state file, disk)
LOCKED = "waited for the lock"

class Session:
    """What the watcher remembers between publishes."""

    def __init__(self, config_path: Path, watcher: Watcher, mirrors: OpenMirrors,
                 clock: Clock = time.monotonic) -> None:
        self.config_path = config_path
        self.watcher = watcher
        self.mirrors = mirrors  # open across publishes; reopened when their config changes
        self.clock = clock
        self.retries = Retries(clock)
        # After a broken config or article, mirror retries wait: only a save can fix it.
        self.blocked = False
        self.again: float | None = None  # try again then, for the reason below
        self.again_reason = "retry"
        self.last_attempt = -MIN_GAP
        self.entries: dict[str, MirrorConfig] = {}  # each mirror's config at the last reload

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
            report = publish(config, only=only, lock_wait=LOCK_WAIT, mirrors=self.mirrors)
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
        active = {m.name for m in config.mirrors if not m.retired}
        self.retries.forget_all_but(active)
        self._retry_changed(config)
        self.mirrors.keep_only(active)
        return config

    def _retry_changed(self, config: Config) -> None:
        """A failed mirror whose entry in the config changed is tried at once: waiting out
        its backoff would keep the editor's fix from being seen for minutes."""
        waiting = self.retries.waiting()
        for mirror in config.mirrors:
            before = self.entries.get(mirror.name)
            if before is not None and before != mirror and mirror.name in waiting:
                log.info("%s: its config changed; trying it again now", mirror.name,
                         extra={"event": "retry", "mirror": mirror.name})
                self.retries.forget(mirror.name)
        self.entries = {m.name: m for m in config.mirrors}

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
    for note in report.notes:
        log.warning("%s", note)
    for mirror in report.mirrors:
        for warning in mirror.outcome.warnings:
            log.warning("%s: %s", mirror.name, warning, extra={"mirror": mirror.name})
        if mirror.outcome.problem:
            log.error("%s: %s", mirror.name, mirror.outcome.problem,
                      extra={"mirror": mirror.name})
