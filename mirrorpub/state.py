"""Local state in `.mirrorpub/state.json`: what was published last, per mirror.

Written atomically (temporary file, fsync, rename), so a crash leaves the old state or
the new, never a torn file. A missing file is a site never published; an unreadable one
is reported rather than silently reset, because versions must never go backwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.errors import MirrorpubError

STATE_FILE = "state.json"
SCHEMA = 1


@dataclass(frozen=True)
class Stamp:
    """When and as which version a manifest was published, and what it said."""

    version: int
    published_at: str
    expires_at: str
    digest: str


@dataclass
class MirrorState:
    status: str = "active"
    created_at: str | None = None  # first successful publish (bc2.json wants it)
    updated_at: str | None = None  # last successful publish
    facts: dict[str, Any] = field(default_factory=dict)  # e.g. the IPFS CID last published
    memory: dict[str, Any] = field(default_factory=dict)  # the backend's own notes
    last_result: dict[str, Any] = field(default_factory=dict)


@dataclass
class SiteState:
    version: int = 0  # the highest version ever published
    stamps: dict[str, Stamp] = field(default_factory=dict)  # per manifest variant
    mirrors: dict[str, MirrorState] = field(default_factory=dict)

    def mirror(self, name: str) -> MirrorState:
        return self.mirrors.setdefault(name, MirrorState())


def load_state(state_dir: Path) -> SiteState:
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SiteState()
    except (OSError, ValueError) as exc:
        raise MirrorpubError(f"{path}: cannot be read ({exc}); restore it from a backup, or "
                             "delete it to start counting versions again") from None
    return SiteState(
        version=int(data["version"]),
        stamps={k: Stamp(**v) for k, v in data.get("stamps", {}).items()},
        mirrors={k: MirrorState(**v) for k, v in data.get("mirrors", {}).items()},
    )


def save_state(state_dir: Path, state: SiteState) -> None:
    data = {
        "schema": SCHEMA,
        "version": state.version,
        "stamps": {k: vars(v) for k, v in sorted(state.stamps.items())},
        "mirrors": {k: vars(v) for k, v in sorted(state.mirrors.items())},
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    fsatomic.write_bytes(state_dir / STATE_FILE, text.encode("utf-8"), durable=True)
