"""A new copy proves itself before the pages are made, so they name it at once.

Readers are sent only to copies shown to be the newsroom's and readable (copyfiles.known):
a mistyped bucket that never took a file, or a private one, must not be named. A copy
shows it by completing a publish; but pages are made before the publish sends anything,
so a copy's first publish used to end with a second round that re-made and re-sent every
page to every copy, twice the bytes of a first publish.

A copy that can hold one small file (an object store, Mirror.place_probe) and that readers
fetch over the web (Backend.public_reads) proves the same before the build instead: the
file is stored, read back anonymously at the copy's public URL as exactly those bytes,
and removed. Then every page of this publish names it. A copy that fails this is failed
before anything else is sent to it, with the same one-line reason the read-back after the
upload gives. Should it fail later in the publish, run.py still runs the second round, so
the pages end naming only copies that completed a publish.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mirrorpub.config import MirrorConfig
from mirrorpub.errors import MirrorError
from mirrorpub.mirrors.protocol import Mirror
from mirrorpub.mirrors.registry import backend_of, locate
from mirrorpub.publish.readback import read_back
from mirrorpub.site.mediatypes import entry_for_bytes

log = logging.getLogger(__name__)

# What a reader who finds the file mid-publish reads: no name, path or time in it.
PROBE = b"mirrorpub: this copy is being published; this file is removed in a moment.\n"


@dataclass
class Proofs:
    proved: set[str] = field(default_factory=set)  # may be named by this publish's pages
    failed: dict[str, str] = field(default_factory=dict)  # mirror -> why, in one line
    asked: dict[str, list[str]] = field(default_factory=dict)  # mirror -> paths read back


def can_prove(config: MirrorConfig, facts: Mapping[str, Any]) -> bool:
    """Whether a copy's address can be proved before it is published: readers fetch it
    over the web, at a page address pages would name."""
    backend = backend_of(config)
    location = locate(config, facts)
    return backend.public_reads and not backend.content_addressed and \
        bool(location.url and location.page_base)


def prove(mirrors: Mapping[str, tuple[MirrorConfig, Mirror]],
          facts: Mapping[str, Mapping[str, Any]]) -> Proofs:
    """Each copy (never published, and can_prove), at once."""
    proofs = Proofs()

    def one(name: str) -> None:
        config, mirror = mirrors[name]
        asked = proofs.asked.setdefault(name, [])
        try:
            place = getattr(mirror, "place_probe", None)  # a plugin's Mirror may lack it
            path = place(PROBE) if place is not None else None
            if path is None:
                return  # it cannot hold one: named after its first publish
            problem = _read_back(config, mirror, path, facts.get(name, {}), asked)
        except MirrorError as exc:
            problem = exc.message
        if problem is None:
            proofs.proved.add(name)
        else:
            proofs.failed[name] = problem

    with ThreadPoolExecutor(max_workers=max(1, len(mirrors))) as pool:
        list(pool.map(one, sorted(mirrors)))
    return proofs


def _read_back(config: MirrorConfig, mirror: Mirror, path: str, facts: Mapping[str, Any],
               asked: list[str]) -> str | None:
    """None when readers get the probe at `path` as it was put; else what is wrong. The
    probe is removed either way."""
    try:
        url = locate(config, facts).url
        assert url is not None  # can_prove
        return read_back(url, {path: entry_for_bytes(path, PROBE)},
                         backend_of(config).refused_hint, exact=True, asked=asked)
    finally:
        try:
            mirror.remove_probe(path)
        except MirrorError as exc:  # left behind, this publish's plan deletes it
            log.warning("%s", exc.message)
