"""What the last build produced, so the next one redoes only what changed.

Kept in `.mirrorpub/cache/build-<output>.json`, one per output folder. Entries are keyed
by content hashes (article source, templates, site-wide inputs), never by times. A source
file's hash is reused without reading it again while its stat (size, mtime, ctime, inode)
is unchanged and it was not written just before the last scan, as git does; static files
the same way. A missing or unreadable cache only costs a full build.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub import __version__, fsatomic
from mirrorpub.content import markdown

SCHEMA = 4
# Part of every cache key: pages made by another mirrorpub, or another Markdown setup, may
# differ, so an upgrade renders everything once.
CODE_VERSION = f"{__version__}/{markdown.RENDERER_VERSION}"
# A file whose mtime is this close to the last scan may have changed again within the
# file system's timestamp granularity (2 s on FAT, common on USB sticks): read it again.
RACY_NS = 2_000_000_000
SAVE_BATCH = 2_000  # records encoded at a time when the cache is written


def stat_key(stat: os.stat_result) -> list[int]:
    """What must stay equal for a file's recorded hash to be trusted without reading it."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def output_size(path: str | Path) -> int | None:
    """The size of a file the cache says a build wrote, or None when it is gone."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _load_json(raw: bytes) -> Any:
    """json.loads, with the cyclic garbage collector paused: a big cache is hundreds of
    thousands of new containers, and collections while they pile up cost a third more."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return json.loads(raw)
    finally:
        if enabled:
            gc.enable()


@dataclass
class RenderCache:
    path: Path
    output_dir: str
    # article rel -> {"sha", "stat", "slug", "front", "body_line", and once rendered:
    #                 "summary", "key", "targets", "output", "entry"}
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # static file rel -> {"size", "mtime_ns", "output", "entry"}
    assets: dict[str, dict[str, Any]] = field(default_factory=dict)
    # listing page path -> {"key", "entry"}
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    found: bool = False  # whether an earlier build of this output folder was recorded
    scanned_ns: int = 0  # when the recorded build started looking at the sources
    # digests of what whole steps depended on, e.g. "links": every path a link can reach
    steps: dict[str, str] = field(default_factory=dict)
    dirty: bool = True  # whether anything differs from what is on disk

    @staticmethod
    def path_for(state_dir: Path, output_dir: Path) -> Path:
        name = hashlib.sha256(str(output_dir).encode()).hexdigest()[:16]
        return state_dir / "cache" / f"build-{name}.json"

    @classmethod
    def load(cls, state_dir: Path, output_dir: Path) -> RenderCache:
        path = cls.path_for(state_dir, output_dir)
        cache = cls(path=path, output_dir=str(output_dir))
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = _load_json(path.read_bytes())
            if data["schema"] == SCHEMA and data["output_dir"] == str(output_dir):
                # All read before any is kept: half a cache would be worse than none.
                parts = (data["articles"], data["assets"], data["pages"],
                         int(data["scanned_ns"]), data["steps"])
                (cache.articles, cache.assets, cache.pages, cache.scanned_ns,
                 cache.steps) = parts
                cache.found = True
                cache.dirty = False
        return cache

    def step(self, name: str, value: str) -> bool:
        """Record a step's digest; whether it is the one the last build recorded."""
        same = self.steps.get(name) == value
        if not same:
            self.steps[name] = value
            self.dirty = True
        return same

    def trusted(self, recorded: dict[str, Any] | None, stat: list[int]) -> bool:
        """Whether a recorded hash still holds for a file with this stat, unread."""
        return (recorded is not None and recorded.get("stat") == stat
                and stat[1] < self.scanned_ns - RACY_NS)

    def outputs(self) -> set[str]:
        """Every site path the recorded build wrote."""
        paths = {v["output"] for v in self.articles.values() if "output" in v}
        paths |= {v["output"] for v in self.assets.values()}
        paths |= set(self.pages)
        return paths

    def save(self, scanned_ns: int) -> None:
        """Write the cache, unless this build changed nothing in it."""
        if not self.dirty:
            return
        self.scanned_ns = scanned_ns
        head = {"schema": SCHEMA, "output_dir": self.output_dir, "scanned_ns": scanned_ns,
                "steps": self.steps}
        fsatomic.write_chunks(self.path, _encoded(head, {"articles": self.articles,
                                                         "assets": self.assets,
                                                         "pages": self.pages}))
        self.dirty = False


def _encoded(head: dict[str, Any], tables: dict[str, dict[str, Any]]) -> Iterator[bytes]:
    """json.dumps({**head, **tables}) in pieces of SAVE_BATCH records: the cache of a
    100,000-article site is ~110 MB of JSON, and made whole (then encoded) it was the
    build's peak of memory."""
    yield _dumps(head)[:-1].encode("utf-8")
    for name, table in tables.items():
        yield f",{_dumps(name)}:{{".encode()
        keys = list(table)
        for start in range(0, len(keys), SAVE_BATCH):
            batch = {key: table[key] for key in keys[start:start + SAVE_BATCH]}
            yield (("," if start else "") + _dumps(batch)[1:-1]).encode("utf-8")
        yield b"}"
    yield b"}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
