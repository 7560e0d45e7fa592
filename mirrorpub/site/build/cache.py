"""What the last build produced, so the next one redoes only what changed.

Kept in `.mirrorpub/cache/build-<output>.cache`, one per output folder. Entries are keyed
by content hashes (article source, templates, site-wide inputs), never by times. A source
file's hash is reused without reading it again while its stat (size, mtime, ctime, inode)
is unchanged and it was not written just before the last scan, as git does; static files
the same way. A missing, damaged or foreign cache only costs a full build.

The file is one `marshal` dump after a header naming this format, the Python that wrote it
and the dump's sha256. marshal reads the cache twice as fast as json and writes it seven
times as fast (10,000 articles: 35 ms and 20 ms, against 80 ms and 160 ms); the cache of
100,000 articles was 110 MB of JSON that took a second to read and two to write, most of
a build that changes one page (SPEC §14). marshal is not made for bytes from
elsewhere, so nothing is unmarshalled unless its sha256 is the one this file's writer
recorded, by the same Python (whose marshal format is its own); anything else is no cache.

A build that renders a few pages again (patch.py) writes only their records, into
`build-<output>.patch` beside it, naming the sha256 of the cache file they go on, and the
listing pages' records whole when it made listings again; a load applies them. Past
PATCH_RECORDS such records the whole cache is written again, and a patch file that names
another cache is ignored (its records are only a shortcut: their sources' stats no longer
vouch for the records under it, so they are read again).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import marshal
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub import __version__, fsatomic
from mirrorpub.content import markdown

SCHEMA = 5
# The first line of every cache file; the second names the marshal format, the third is the
# sha256 of the dump that follows.
MAGIC = b"mirrorpub build cache"
_FORMAT = f"{SCHEMA} python {sys.version_info[0]}.{sys.version_info[1]} marshal {marshal.version}"
# Part of every cache key: pages made by another mirrorpub, or another Markdown setup, may
# differ, so an upgrade renders everything once.
CODE_VERSION = f"{__version__}/{markdown.RENDERER_VERSION}"
# A file whose mtime is this close to the last scan may have changed again within the
# file system's timestamp granularity (2 s on FAT, common on USB sticks): read it again.
RACY_NS = 2_000_000_000


def stat_key(stat: os.stat_result) -> list[int]:
    """What must stay equal for a file's recorded hash to be trusted without reading it."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def output_size(path: str | Path) -> int | None:
    """The size of a file the cache says a build wrote, or None when it is gone."""
    try:
        return os.stat(path).st_size
    except OSError:
        return None


# Records a patch file holds at most before the whole cache is written again.
PATCH_RECORDS = 200


def _split(raw: bytes) -> tuple[str, memoryview] | None:
    """(sha256, dump) of a file `_dump` wrote; None when it is not one of this format and
    Python, or its dump is not the one its sha256 names."""
    head = raw[:len(MAGIC) + 256].split(b"\n", 3)
    if len(head) < 4 or head[0] != MAGIC or head[1] != _FORMAT.encode():
        return None
    payload = memoryview(raw)[sum(len(line) + 1 for line in head[:3]):]
    digest = head[2].decode("ascii", "replace")
    return (digest, payload) if hashlib.sha256(payload).hexdigest() == digest else None


def _dump(data: Any) -> tuple[str, bytes]:
    """(sha256 of the dump, the file's bytes)."""
    payload = marshal.dumps(data)
    digest = hashlib.sha256(payload).hexdigest()
    return digest, b"\n".join([MAGIC, _FORMAT.encode(), digest.encode(), payload])


@contextlib.contextmanager
def _frozen_afterwards() -> Iterator[None]:
    """The cyclic garbage collector paused while a cache is read: a big one is hundreds of
    thousands of new containers, and collections while they pile up cost a third more.
    Then they are moved out of its sight (gc.freeze): plain dicts, lists and strings hold
    no cycles, refcounting frees them all the same, and every later collection of the
    build would walk them again (0.2 s of a one-edit publish at 10,000 articles). What an
    earlier load froze (a long `watch`) is looked at once more first, so garbage frozen
    with it is freed, and nothing cyclic is frozen now."""
    enabled = gc.isenabled()
    gc.unfreeze()
    gc.collect()
    gc.disable()
    try:
        yield
        gc.freeze()
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
    base: str = ""  # the sha256 line of the cache file as read (a patch file goes on it)
    patched: set[str] = field(default_factory=set)  # articles the patch file read had
    pages_patched: bool = False  # whether the patch file read had the listing pages too

    @staticmethod
    def path_for(state_dir: Path, output_dir: Path) -> Path:
        name = hashlib.sha256(str(output_dir).encode()).hexdigest()[:16]
        return state_dir / "cache" / f"build-{name}.cache"

    @staticmethod
    def patch_path(path: Path) -> Path:
        return path.with_suffix(".patch")

    @classmethod
    def load(cls, state_dir: Path, output_dir: Path) -> RenderCache:
        path = cls.path_for(state_dir, output_dir)
        cache = cls(path=path, output_dir=str(output_dir))
        with _frozen_afterwards():
            cache._read()
            if cache.found:
                cache._apply_patch()
        return cache

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, EOFError):
            split = _split(self.path.read_bytes())
            if split is None:
                return
            data = marshal.loads(split[1])
            if data["output_dir"] == self.output_dir:
                # All read before any is kept: half a cache would be worse than none.
                parts = (data["articles"], data["assets"], data["pages"],
                         int(data["scanned_ns"]), data["steps"])
                (self.articles, self.assets, self.pages, self.scanned_ns, self.steps) = parts
                self.found, self.dirty, self.base = True, False, split[0]

    def _apply_patch(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError, EOFError):
            split = _split(self.patch_path(self.path).read_bytes())
            if split is None:
                return
            data = marshal.loads(split[1])
            if data["base"] != self.base:
                return
            pages = data.get("pages")
            self.articles.update(data["articles"])
            self.steps, self.scanned_ns = data["steps"], int(data["scanned_ns"])
            self.patched = set(data["articles"])
            if pages is not None:
                self.pages, self.pages_patched = pages, True

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

    def save(self, scanned_ns: int, changed: set[str] | None = None,
             pages: bool = False) -> None:
        """Write the cache, unless this build changed nothing in it. `changed`: the only
        article records it changed or added (no asset's), and `pages` whether the listing
        pages' changed too: a patch file will do while it stays small."""
        if not self.dirty:
            return
        self.scanned_ns = scanned_ns
        patched = self.patched | (changed or set())
        if changed is not None and self.base and len(patched) <= PATCH_RECORDS:
            data = {"base": self.base, "scanned_ns": scanned_ns, "steps": self.steps,
                    "articles": {rel: self.articles[rel] for rel in sorted(patched)}}
            self.pages_patched = self.pages_patched or pages
            if self.pages_patched:
                data["pages"] = self.pages
            fsatomic.write_bytes(self.patch_path(self.path), _dump(data)[1])
            self.patched = patched
            self.dirty = False
            return
        digest, data = _dump({
            "output_dir": self.output_dir, "scanned_ns": scanned_ns, "steps": self.steps,
            "articles": self.articles, "assets": self.assets, "pages": self.pages})
        fsatomic.write_bytes(self.path, data)
        self.base, self.patched, self.pages_patched = digest, set(), False
        self.patch_path(self.path).unlink(missing_ok=True)  # it went on the cache before
        self.dirty = False
        # The JSON cache earlier versions wrote: as big as 110 MB, and never read again.
        with contextlib.suppress(OSError):
            self.path.with_suffix(".json").unlink(missing_ok=True)
