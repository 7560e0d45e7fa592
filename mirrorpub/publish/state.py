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

from mirrorpub import fsatomic, redact
from mirrorpub.errors import MirrorpubError
from mirrorpub.model import MirrorStatus, Stamp

STATE_FILE = "state.json"
SCHEMA = 1
# The stamps kept, by the variant of manifest they stamp: the one most copies carry, and
# the one made for content-addressed copies before the others are done. ("ipfs" is the
# stored name from when IPFS was the only such kind.)
FINAL_STAMP = "final"
SNAPSHOT_STAMP = "ipfs"


@dataclass
class MirrorState:
    status: MirrorStatus = MirrorStatus.ACTIVE
    created_at: str | None = None  # first successful publish (bc2.json wants it)
    updated_at: str | None = None  # last successful publish
    facts: dict[str, Any] = field(default_factory=dict)  # e.g. the IPFS CID last published
    memory: dict[str, Any] = field(default_factory=dict)  # the backend's own notes
    last_result: dict[str, Any] = field(default_factory=dict)
    # Left the config after it had published: the editor was told once (see dropped()).
    dropped_told: bool = False

    @property
    def has_published(self) -> bool:
        """Completed a publish at least once (read back as readers would, where they fetch
        it over the web): only then is the copy named to readers."""
        return self.created_at is not None


@dataclass
class SiteState:
    version: int = 0  # the highest version ever published
    stamps: dict[str, Stamp] = field(default_factory=dict)  # per manifest variant
    mirrors: dict[str, MirrorState] = field(default_factory=dict)

    def mirror(self, name: str) -> MirrorState:
        return self.mirrors.setdefault(name, MirrorState())

    def dropped(self, configured: set[str]) -> list[str]:
        """Mirrors that published before and are no longer in the config, not yet told."""
        return sorted(name for name, known in self.mirrors.items() if known.has_published
                      and name not in configured and not known.dropped_told)

    def has_published(self, name: str) -> bool:
        known = self.mirrors.get(name)
        return known is not None and known.has_published


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
        mirrors={k: _mirror_state(v) for k, v in data.get("mirrors", {}).items()},
    )


def _mirror_state(data: dict[str, Any]) -> MirrorState:
    return MirrorState(**{**data, "status": MirrorStatus(data.get("status", "active"))})


def save_state(state_dir: Path, state: SiteState) -> None:
    data = {
        "schema": SCHEMA,
        "version": state.version,
        "stamps": {k: vars(v) for k, v in sorted(state.stamps.items())},
        "mirrors": {k: vars(v) for k, v in sorted(state.mirrors.items())},
    }
    # Errors recorded in last_result come from anywhere; no secret is kept in them.
    text = json.dumps(redact.scrub_data(data), indent=2, ensure_ascii=False,
                      sort_keys=True) + "\n"
    fsatomic.write_bytes(state_dir / STATE_FILE, text.encode("utf-8"), durable=True)
