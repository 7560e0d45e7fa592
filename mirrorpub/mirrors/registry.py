"""The mirror types, found through the entry-point group `mirrorpub.mirrors`.

Every type, built-in or not, is one `Backend` object registered in a package's metadata:

    [project.entry-points."mirrorpub.mirrors"]
    s3 = "mirrorpub.mirrors.s3:BACKEND"

mirrorpub's own types are listed in its pyproject.toml exactly as a third-party plugin
lists its own, so the seam is proven by its own users (datasette's and rclone's model).
A backend module is imported only when a config names its type, and imports its client
library (boto3, httpx) only when a mirror is opened, so loading a config stays cheap.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

from mirrorpub.errors import MirrorpubError

if TYPE_CHECKING:
    from mirrorpub.config.mirror import MirrorConfig
    from mirrorpub.mirrors.protocol import Backend, Mirror
    from mirrorpub.model import Location

GROUP = "mirrorpub.mirrors"


@functools.cache
def _entry_points() -> Mapping[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=GROUP):
        found.setdefault(point.name, point)  # the first on sys.path wins, as for imports
    return found


def known_types() -> tuple[str, ...]:
    return tuple(sorted(_entry_points()))


@functools.cache
def find(kind: str) -> Backend | None:
    """The backend of a mirror type, or None when no installed package provides it."""
    from mirrorpub.mirrors.protocol import Backend

    point = _entry_points().get(kind)
    if point is None:
        return None
    try:
        backend = point.load()
    except Exception as exc:  # a broken plugin must be named, not crash the config reader
        raise MirrorpubError(f"mirror type {kind!r}: its plugin {point.value} cannot be "
                             f"loaded ({type(exc).__name__}: {exc})") from None
    if not isinstance(backend, Backend) or backend.type != kind:
        raise MirrorpubError(f"mirror type {kind!r}: {point.value} is not a mirrorpub "
                             f"Backend for {kind!r}")
    return backend


def backend_of(config: MirrorConfig) -> Backend:
    backend = find(config.type)
    assert backend is not None, config.type  # a loaded config names only known types
    return backend


def locate(config: MirrorConfig, facts: Mapping[str, Any]) -> Location:
    return backend_of(config).locate(config, facts)


def open_mirror(config: MirrorConfig) -> Mirror:
    return backend_of(config).open(config)
