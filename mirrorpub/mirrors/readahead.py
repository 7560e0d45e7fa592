"""Answers a mirror's preflight got, handed to the publish that follows it.

A preflight must make a request to learn that a mirror answers; making it one the
publish needs anyway (an S3 bucket's index journal, kubo's version) keeps a publish with
nothing to send at three requests a mirror (SPEC §14). An answer is taken once, and only
soon after: a publish whose build took longer asks again. A change in between by another
publisher is caught as any other (an S3 index is checked against the copy's mirrors.json
before it is trusted).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable

FRESH_S = 30.0  # how long a preflight's answer stands in for the publish's own request

_lock = threading.Lock()
_kept: dict[Hashable, tuple[float, object]] = {}


def keep(key: Hashable, answer: object) -> None:
    with _lock:
        _kept[key] = (time.monotonic(), answer)


def take(key: Hashable) -> tuple[bool, object]:
    """(True, answer) when a fresh answer was kept under `key` (it may be None: "there
    was none"); (False, None) otherwise. Taken once."""
    with _lock:
        found = _kept.pop(key, None)
    if found is None or time.monotonic() - found[0] > FRESH_S:
        return False, None
    return True, found[1]
