"""Open mirrors, kept across publishes: `watch` publishes again and again, and reopening
every mirror (S3 and kubo clients, their connections) each time buys nothing."""

from __future__ import annotations

from mirrorpub.config import MirrorConfig
from mirrorpub.mirrors.protocol import Mirror
from mirrorpub.mirrors.registry import open_mirror


class OpenMirrors:
    """Mirrors by config: the same config gets the same open mirror; a changed one is
    closed and opened again. A context manager: leaving it closes them all."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[MirrorConfig, Mirror]] = {}

    def get(self, config: MirrorConfig) -> Mirror:
        known = self._open.get(config.name)
        if known is not None and known[0] == config:
            return known[1]
        if known is not None:
            known[1].close()
        mirror = open_mirror(config)
        self._open[config.name] = (config, mirror)
        return mirror

    def keep_only(self, names: set[str]) -> None:
        for name in set(self._open) - names:
            self._open.pop(name)[1].close()

    def close(self) -> None:
        self.keep_only(set())

    def __enter__(self) -> OpenMirrors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
