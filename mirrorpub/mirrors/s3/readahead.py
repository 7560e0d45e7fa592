"""The index journal the preflight read, handed to the publish that follows it.

The preflight must make one request to learn that the bucket answers and the
credentials work; making it the GET of the journal, which the publish reads anyway, keeps
a publish with nothing to send at three requests (SPEC §14). The answer is taken once,
and only soon after: a publish whose build took longer reads the journal again. Another
publisher's change in between is caught as any other: the index is checked against the
copy's mirrors.json before it is trusted.
"""

from __future__ import annotations

import threading
import time

FRESH_S = 30.0  # how long a preflight's answer stands in for the publish's own GET

_lock = threading.Lock()
_kept: dict[tuple[str, str, str], tuple[float, bytes | None]] = {}


def keep(endpoint: str, bucket: str, key: str, body: bytes | None) -> None:
    with _lock:
        _kept[(endpoint, bucket, key)] = (time.monotonic(), body)


def take(endpoint: str, bucket: str, key: str) -> tuple[bool, bytes | None]:
    """(True, body) when a fresh answer was kept for this object (body None: there was
    none); (False, None) otherwise. Taken once."""
    with _lock:
        found = _kept.pop((endpoint, bucket, key), None)
    if found is None or time.monotonic() - found[0] > FRESH_S:
        return False, None
    return True, found[1]
