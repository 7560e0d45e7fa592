"""Copies on other machines (SPEC §9): ask every pin service to keep the new root, wait
until `min_copies` confirm it, then let go of the pins mirrorpub made for older roots.

    request(...)    one thread per service: POST /pins, then poll it with backoff until
                    pinned, failed, or the deadline; stops early once enough confirmed
    stale(...)      pure: which of mirrorpub's own pins to remove (keep_pins, per CID)

mirrorpub's pins carry `meta = {"mirrorpub": OWNER, "published": TIME}`, where OWNER
is a digest of the kubo node's peer id and the mirror name: two newsrooms sharing one
service (a cluster) never touch each other's pins, and nobody else's pin matches. Every
pin listed is checked for that mark here again, whatever the service filtered.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mirrorpub.mirrors.ipfs.pinsvc import PinServiceClient, PinServiceError, PinStatus

log = logging.getLogger(__name__)

OWNER_KEY = "mirrorpub"
PUBLISHED_KEY = "published"
FIRST_DELAY, MAX_DELAY = 0.2, 5.0


def owner_mark(peer_id: str, mirror: str) -> str:
    return hashlib.sha256(f"{peer_id}/{mirror}".encode()).hexdigest()[:20]


@dataclass
class Confirmations:
    """What the services said about one root: who keeps it, and why the others do not."""

    confirmed: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # service -> one line

    def summary(self, wanted: int) -> str:
        why = "; ".join(self.problems[n] for n in sorted(self.problems))
        return (f"{len(self.confirmed)} of the {wanted} pin confirmations min_copies asks for "
                f"(confirmed by: {', '.join(sorted(self.confirmed)) or 'none'}): {why}")


@dataclass(frozen=True)
class PinRequest:
    cid: str
    name: str
    origins: list[str]
    meta: Mapping[str, str]


def pin_request(cid: str, *, mirror: str, owner: str, origins: Sequence[str],
                now: datetime | None = None) -> PinRequest:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return PinRequest(cid=cid, name=f"mirrorpub {mirror} {cid}", origins=list(origins),
                      meta={OWNER_KEY: owner, PUBLISHED_KEY: stamp})


def request(clients: Sequence[PinServiceClient], pin: PinRequest, *, min_copies: int,
            timeout: float, sleep: Callable[[threading.Event, float], bool] | None = None
            ) -> Confirmations:
    """Ask every service to pin; return once `min_copies` confirmed, all answered, or
    `timeout` seconds passed (bounded: a stalled call ends at the client's own timeout)."""
    result = Confirmations()
    enough = threading.Event()
    if min_copies <= 0:
        enough.set()  # ask, but wait for nobody
    lock = threading.Lock()
    deadline = time.monotonic() + timeout
    wait = sleep or (lambda event, seconds: event.wait(seconds))

    def one(client: PinServiceClient) -> None:
        try:
            status = _confirm(client, pin, deadline, enough, wait)
        except PinServiceError as exc:
            problem = str(exc)
        else:
            problem = _problem(client.name, status, timeout, stopped_early=enough.is_set())
        with lock:
            if problem is None:
                result.confirmed.append(client.name)
                if len(result.confirmed) >= min_copies:
                    enough.set()
            else:
                result.problems[client.name] = problem

    if clients:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            list(pool.map(one, clients))
    return result


def _confirm(client: PinServiceClient, pin: PinRequest, deadline: float,
             enough: threading.Event, wait: Callable[[threading.Event, float], bool]
             ) -> PinStatus:
    status = client.add(pin.cid, name=pin.name, origins=pin.origins, meta=pin.meta)
    delay = FIRST_DELAY
    while status.status in {"queued", "pinning"}:
        left = deadline - time.monotonic()
        if left <= 0 or wait(enough, min(delay, left)):
            return status  # out of time, or the others already confirmed enough
        delay = min(delay * 2, MAX_DELAY)
        status = client.get(status.requestid)
    return status


def _problem(service: str, status: PinStatus, timeout: float, *,
             stopped_early: bool) -> str | None:
    if status.status == "pinned":
        return None
    if status.status == "failed":
        return f"pin service {service!r} reports the pin failed (can it reach this node?)"
    if stopped_early:
        return f"pin service {service!r} has not confirmed the pin yet ({status.status})"
    return (f"pin service {service!r} still reports the pin {status.status} after "
            f"{timeout:g} s (pin_timeout)")


def stale(pins: Sequence[PinStatus], *, owner: str, keep: int) -> list[PinStatus]:
    """mirrorpub's own pins for roots older than the newest `keep` (pure).

    Pins without mirrorpub's mark are never listed. Roots are ordered by the time
    mirrorpub pinned them; every request for a kept CID stays (on IPFS Cluster the
    request id is the CID: removing an old request would remove the kept pin).
    """
    ours = [p for p in pins if p.meta.get(OWNER_KEY) == owner]
    newest: dict[str, str] = {}
    for pin in ours:
        when = pin.meta.get(PUBLISHED_KEY) or pin.created
        newest[pin.cid] = max(newest.get(pin.cid, ""), when)
    kept = set(sorted(newest, key=lambda c: (newest[c], c), reverse=True)[:keep])
    return sorted((p for p in ours if p.cid not in kept), key=lambda p: p.requestid)


def prune(client: PinServiceClient, *, owner: str, keep: int) -> int:
    """Remove mirrorpub's pins beyond the newest `keep` roots on one service."""
    old = stale(client.pins(meta={OWNER_KEY: owner}), owner=owner, keep=keep)
    for pin in old:
        client.remove(pin.requestid)
    return len(old)


def pinned_here(client: PinServiceClient, cid: str) -> str:
    """For `status`: the state of `cid` on this service ("pinned", "pinning", …,
    "not pinned")."""
    states = {p.status for p in client.pins(cids=[cid]) if p.cid == cid}
    for state in ("pinned", "pinning", "queued", "failed"):
        if state in states:
            return state
    return "not pinned"
