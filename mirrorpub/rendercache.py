"""What the last build produced, so the next one redoes only what changed.

Kept in `.mirrorpub/cache/build-<output>.json`, one per output folder. Entries are keyed
by content hashes (article source, templates, site-wide inputs), never by times, except
static files, whose hash is reused while size and mtime are unchanged. A missing or
unreadable cache only costs a full build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic

SCHEMA = 3


def digest(*parts: Any) -> str:
    """A stable hash of JSON-able parts: the key of a cached page."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class RenderCache:
    path: Path
    output_dir: str
    # article rel -> {"sha", "front", "summary", "key", "targets", "entry"}
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # static file rel -> {"size", "mtime_ns", "entry"}
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # listing page path -> {"key", "entry"}
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    found: bool = False  # whether an earlier build of this output folder was recorded

    @classmethod
    def load(cls, state_dir: Path, output_dir: Path) -> RenderCache:
        name = hashlib.sha256(str(output_dir).encode()).hexdigest()[:16]
        path = state_dir / "cache" / f"build-{name}.json"
        cache = cls(path=path, output_dir=str(output_dir))
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["schema"] == SCHEMA and data["output_dir"] == str(output_dir):
                cache.articles = data["articles"]
                cache.assets = data["assets"]
                cache.pages = data["pages"]
                cache.found = True
        return cache

    def outputs(self) -> set[str]:
        """Every site path the recorded build wrote."""
        paths = {v["output"] for v in self.articles.values() if "output" in v}
        paths |= {v["output"] for v in self.assets.values()}
        paths |= set(self.pages)
        return paths

    def save(self) -> None:
        data = {"schema": SCHEMA, "output_dir": self.output_dir, "articles": self.articles,
                "assets": self.assets, "pages": self.pages}
        fsatomic.write_bytes(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
