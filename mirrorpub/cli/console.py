"""How messages and progress look: rich on a terminal, plain lines in a log or a pipe.

Progress and messages go to stderr; stdout carries only what a command produces (the
public key for keygen, the JSON document for --json, result lines). Everything passes
`redact.scrub` on its way out: no secret reaches the terminal, a log or a pipe. rich is loaded only
when a terminal will see its output: a command in a pipe, a log or CI never pays for
importing it (a sixth of a no-op publish).
"""

from __future__ import annotations

import functools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mirrorpub import redact
from mirrorpub.formats import human_bytes
from mirrorpub.mirrors.protocol import Progress, SilentProgress


@functools.cache
def _err() -> Any:
    from rich.console import Console as RichConsole

    return RichConsole(stderr=True, highlight=False, soft_wrap=True)  # log lines never wrap


@functools.cache
def _out() -> Any:
    from rich.console import Console as RichConsole

    return RichConsole(highlight=False, soft_wrap=True)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def rich_stdout() -> Any:
    return _out()


@dataclass(frozen=True)
class Console:
    """One command's output. `quiet` (-q): only errors."""

    quiet: bool = False

    @property
    def fancy(self) -> bool:
        """Whether stderr is a terminal (progress bars, colours)."""
        return sys.stderr.isatty()

    def say(self, text: str) -> None:
        """A line of a command's result on stdout, as is: no markup, no :emoji: codes."""
        print(redact.scrub(text), flush=True)

    def print_json(self, document: Any) -> None:
        document = redact.scrub_data(document)
        if stdout_is_terminal():
            _out().print_json(data=document, ensure_ascii=False)
        else:
            print(json.dumps(document, indent=2, ensure_ascii=False), flush=True)

    def error(self, message: str) -> None:
        self._labelled("error", "bold red", message)

    def warn(self, message: str) -> None:
        self._labelled("warning", "yellow", message)

    def info(self, message: str) -> None:
        if self.quiet:
            return
        if self.fancy:
            _err().print(redact.scrub(message), markup=False, highlight=False)
        else:
            _plain(message)

    def _labelled(self, label: str, style: str, message: str) -> None:
        message = redact.scrub(message)
        if self.fancy:
            from rich.markup import escape

            _err().print(f"[{style}]{label}:[/] {escape(message)}", highlight=False)
        else:
            _plain(f"{label}: {message}")

    @contextmanager
    def progress(self) -> Iterator[Callable[[str], Progress]]:
        """A factory of per-mirror progress objects, rich on a terminal, else plain."""
        if self.quiet:
            yield lambda name: SilentProgress()
            return
        if not self.fancy:
            yield PlainProgress
            return
        from rich.progress import BarColumn, DownloadColumn, TextColumn
        from rich.progress import Progress as Bars

        bars = Bars(TextColumn("{task.description:<16}"), BarColumn(), DownloadColumn(),
                    TextColumn("{task.fields[state]}"), console=_err(), transient=False)
        objects: dict[str, RichProgress] = {}

        def factory(name: str) -> RichProgress:
            if name not in objects:
                objects[name] = RichProgress(bars, name)
            return objects[name]

        with bars:
            yield factory


class PlainProgress:
    """One line per mirror event; fit for journald and CI logs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent_files = 0
        self.total = 0
        self._announced = False
        self._lock = threading.Lock()

    def planned(self, files: int, nbytes: int) -> None:
        self.total = files
        if files and not self._announced:  # a plan that grows later is not told twice
            self._announced = True
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


class RichProgress:
    def __init__(self, bars: Any, name: str) -> None:
        self.bars = bars
        self.task = bars.add_task(name, total=None, state="planning")

    def planned(self, files: int, nbytes: int) -> None:
        self.bars.update(self.task, total=max(nbytes, 1), state=f"{files} files")
        if not files:
            self.bars.update(self.task, completed=1)

    def sent(self, path: str, nbytes: int) -> None:
        self.bars.advance(self.task, nbytes)

    def stage(self, text: str) -> None:
        self.bars.update(self.task, state=redact.scrub(text))


_WRITING = threading.Lock()  # mirrors report from their own threads


def _plain(line: str) -> None:
    """One whole line at a time: print() writes the text and its newline apart, and lines
    from concurrent mirrors would run into each other."""
    text = redact.scrub(line) + "\n"
    with _WRITING:
        sys.stderr.write(text)
        sys.stderr.flush()
