"""`mirrorpub watch`: publish, then republish whenever the site changes."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.watch.loop import watch as run_watch


def watch(config_path: str, *, debounce: float) -> int:
    return run_watch(Path(config_path), debounce=debounce)
