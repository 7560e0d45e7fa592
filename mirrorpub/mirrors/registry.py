"""The table of mirror types. A new type is one backend file plus one line here.

Each backend module provides:
    OPTIONS      its config keys (mirrorpub.options.Option), beside name/type/retired
    make_config  (values, config_dir, where, problems) -> its frozen MirrorConfig or None
    locate       (config, facts) -> protocol.Location, without any I/O or client library
    open_mirror  (config) -> an object satisfying mirrorpub.mirrors.protocol.Mirror
and may provide:
    cross_check  (config, protected folders, where) -> problems, run when the config loads

Backends are imported only when a config names them, and import their client libraries
(boto3, httpx) only when a mirror is opened, so loading a config stays cheap.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

BACKENDS: dict[str, str] = {
    "s3": "mirrorpub.mirrors.s3",
    "ipfs": "mirrorpub.mirrors.ipfs",
    "directory": "mirrorpub.mirrors.directory",
}


@dataclass(frozen=True)
class MirrorConfig:
    """What every mirror entry has; each backend subclasses it with its own keys."""

    name: str
    type: str
    retired: bool


def known_types() -> tuple[str, ...]:
    return tuple(BACKENDS)


def backend_module(kind: str) -> ModuleType:
    return importlib.import_module(BACKENDS[kind])


def locate(config: MirrorConfig, facts: Mapping[str, Any]) -> Any:  # -> protocol.Location
    return backend_module(config.type).locate(config, facts)


def open_mirror(config: MirrorConfig) -> Any:  # -> protocol.Mirror (untyped: avoids a cycle)
    return backend_module(config.type).open_mirror(config)
