"""What every `[[mirrors]]` entry has. Each backend subclasses `MirrorConfig` with its own
options (see mirrorpub.mirrors.protocol.Backend)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub.config.options import MIRROR_NAME, option


@dataclass(frozen=True, kw_only=True)
class MirrorConfig:
    name: str = option(str, required=True, check=MIRROR_NAME)
    type: str = option(str, required=True)
    retired: bool = option(bool, default=False)
    # Not an option: the site's local state folder (.mirrorpub/), set by the loader, for a
    # backend that keeps working data on this machine (a git mirror's clone).
    state_dir: Path | None = field(default=None)

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        """Cross-field checks and derived values; runs once every option is good."""

    def cross_check(self, protected: Mapping[str, Path], where: str) -> list[str]:
        """Problems with folders mirrorpub must never write into (content/, output, state)."""
        return []
