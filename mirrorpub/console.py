"""How results look on a terminal (rich) or in a log (plain lines). CLI layer only.

Progress and messages go to stderr; stdout carries only what a command produces (the
public key for keygen, the JSON document for --json, result tables).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn

from mirrorpub.mirrors.protocol import SilentProgress
from mirrorpub.plan import human_bytes

err = Console(stderr=True, highlight=False, soft_wrap=True)  # log lines never wrap
out = Console(highlight=False, soft_wrap=True)


quiet = False  # -q: only errors; set by the CLI


def fancy() -> bool:
    return err.is_terminal


class PlainProgress:
    """One line per mirror event; fit for journald and CI logs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent_files = 0
        self.total = 0
        self._lock = threading.Lock()

    def planned(self, files: int, nbytes: int) -> None:
        self.total = files
        if files:
            _plain(f"{self.name}: sending {files} files ({human_bytes(nbytes)})")

    def sent(self, path: str, nbytes: int) -> None:
        with self._lock:
            self.sent_files += 1
            count = self.sent_files
        step = max(1, self.total // 10)  # a line per tenth: a log, not a flood
        if count == self.total or count % step == 0:
            _plain(f"{self.name}: {count}/{self.total} files sent")

    def stage(self, text: str) -> None:
        _plain(f"{self.name}: {text}")


def _plain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class RichProgress:
    def __init__(self, bars: Progress, name: str) -> None:
        self.bars = bars
        self.task: TaskID = bars.add_task(name, total=None, state="planning")

    def planned(self, files: int, nbytes: int) -> None:
        self.bars.update(self.task, total=max(nbytes, 1), state=f"{files} files")
        if not files:
            self.bars.update(self.task, completed=1)

    def sent(self, path: str, nbytes: int) -> None:
        self.bars.advance(self.task, nbytes)

    def stage(self, text: str) -> None:
        self.bars.update(self.task, state=text)


@contextmanager
def progress_display() -> Iterator[Any]:
    """A factory of per-mirror progress objects, rich on a terminal, else plain."""
    if quiet:
        yield lambda name: SilentProgress()
        return
    if not fancy():
        yield PlainProgress
        return
    bars = Progress(TextColumn("{task.description:<16}"), BarColumn(), DownloadColumn(),
                    TextColumn("{task.fields[state]}"), console=err, transient=False)
    objects: dict[str, RichProgress] = {}

    def factory(name: str) -> RichProgress:
        if name not in objects:
            objects[name] = RichProgress(bars, name)
        return objects[name]

    with bars:
        yield factory


def error(message: str) -> None:
    _labelled("error", "bold red", message)


def warn(message: str) -> None:
    _labelled("warning", "yellow", message)


def _labelled(label: str, style: str, message: str) -> None:
    if fancy():
        err.print(f"[{style}]{label}:[/] {escape(message)}", highlight=False)
    else:
        _plain(f"{label}: {message}")


def info(message: str) -> None:
    if not quiet:
        err.print(message, markup=False, highlight=False)
