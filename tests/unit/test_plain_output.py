"""Plain output (a log, a pipe): lines from mirrors pushing at once never run into each
other mid-line (issue 20)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import pytest

from mirrorpub.cli.console import PlainProgress


class SlowStream:
    """A stderr that yields to other threads inside every write, as a busy pipe may."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        for char in text:
            self.parts.append(char)
            time.sleep(0)
        return len(text)

    def flush(self) -> None:
        pass


def test_lines_from_concurrent_mirrors_stay_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = SlowStream()
    monkeypatch.setattr(sys, "stderr", stream)
    names = [f"mirror-{i}" for i in range(6)]

    def push(name: str) -> Any:
        progress = PlainProgress(name)
        for step in range(40):
            progress.stage(f"step {step} of 40")

    threads = [threading.Thread(target=push, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = "".join(stream.parts).splitlines()
    assert len(lines) == 6 * 40
    expected = {f"{name}: step {step} of 40" for name in names for step in range(40)}
    assert set(lines) == expected
