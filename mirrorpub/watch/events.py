"""Which file events are changes to the site, and the watchdog observer that sees them."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from mirrorpub.config import Config
from mirrorpub.content.scan import is_debris
from mirrorpub.watch.debounce import Debouncer

log = logging.getLogger(__name__)

OBSERVER_JOIN = 5.0

# Opened/closed/attrib events are ignored: the build itself opens every article, and
# reacting to that would publish forever.
_CHANGE_EVENTS = {"created", "modified", "deleted", "moved"}


@dataclass(frozen=True)
class Relevance:
    """Which paths count as a change to the site."""

    config: Path
    trees: tuple[Path, ...] = ()  # content/, templates/ (recursive)
    ignored: tuple[Path, ...] = ()  # output and state folders: our own writes
    files: tuple[Path, ...] = ()  # keys.json and its .sig: a new delegation goes out

    def __call__(self, raw: str) -> bool:
        path = Path(os.path.abspath(raw))
        if path == self.config or path in self.files:
            return True
        if any(path == p or path.is_relative_to(p) for p in self.ignored):
            return False
        for tree in self.trees:
            if path == tree:
                return True  # e.g. templates/ appearing, or content/ replaced
            if path.is_relative_to(tree):
                # The scan skips hidden files and editor debris; so do we (swap files,
                # backups, .git): saving in an editor must not publish twice.
                parts = path.relative_to(tree).parts
                return not any(part.startswith(".") for part in parts) and \
                    not is_debris(path.name)
        return False


def _relevance(config_path: Path, config: Config | None) -> Relevance:
    if config is None:
        return Relevance(config_path)
    site = config.site
    trees = [site.content_dir.absolute(), site.templates_dir.absolute()]
    keys = site.keys_file.absolute()
    return Relevance(config_path, tuple(trees),
                     (site.output_dir.absolute(), config.state_dir.absolute()),
                     (keys, keys.with_name(keys.name + ".sig")))


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
        """Watch the config file's folder and, once known, content/, templates/ and the
        folder of keys.json."""
        self.relevance = _relevance(self.config_path, config)
        wanted = [(self.config_path.parent, False), *((t, True) for t in self.relevance.trees),
                  *((f.parent, False) for f in self.relevance.files)]
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
