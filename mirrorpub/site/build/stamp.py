"""A build's stamp: a small file beside the cache that answers "nothing changed" alone.

The cache of a 100,000-article site is ~110 MB of JSON, and reading it was most of a
build with nothing to do (SPEC §14). The stamp says what the last build read (its inputs
digest: settings, theme, the stat of every source), which cache file it goes with, what
it made (the site files' digest and counts), and each output's size, so a deleted or
damaged page is built again (one stat per output: ~0.35 s at 100,000, made by a child
process while the build scans content/, check_outputs).

It also keeps the build's delta (model.FilesDelta): what turned the files of the build
before into these, when that was at most pipeline.DELTA_LIMIT files. A copy left holding
the files before is then brought up to date from the delta alone, even when the publish's
own build is answered by the stamp (an editor who ran `mirrorpub build` first).

A source written just before the stamp's time may have changed again within the file
system's timestamp granularity (cache.RACY_NS): then the stamp answers nothing and the
cache decides, re-reading such sources, and the stamp moves on. Anything amiss (no stamp,
another cache) costs only the cache's slower answer.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.model import FileEntry, FilesDelta
from mirrorpub.site.build.cache import RACY_NS, RenderCache, output_size
from mirrorpub.site.build.forked import Forked

SCHEMA = 3
FORK_THRESHOLD = 2000  # outputs fewer than this are checked faster than a fork is made


@dataclass(frozen=True)
class BuildStamp:
    inputs: str  # the inputs digest of the build it describes (pipeline._inputs_digest)
    vouched_ns: int  # when every source was last found as recorded
    cache: tuple[int, ...]  # (size, mtime_ns) of the cache file it goes with, and its patch
    files_digest: str  # model.files_digest of the site files
    files: int
    entries: int  # published articles
    pages: int  # pages it rendered or kept: all kept by a build it answers for
    languages: tuple[str, ...]  # of the published articles
    outputs: Mapping[str, int]  # site path -> size
    delta: FilesDelta | None = None  # from the build before, when it was small


def stamp_path(cache_path: Path) -> Path:
    return cache_path.with_suffix(".stamp")  # JSON; not *.json, which names caches


def answers(stamp: BuildStamp | None, inputs: str, stats: Iterable[list[int]],
            outputs_there: Callable[[], bool]) -> bool:
    """Whether `stamp` (previous(): the one of the cache as it is) vouches that a build
    reading `inputs` (sources with these stats) would change nothing; `outputs_there()`
    says whether every output it names is there (check_outputs)."""
    if stamp is None or stamp.inputs != inputs:
        return False
    # stat_key: [size, mtime_ns, ctime_ns, inode]
    if any(stat[1] >= stamp.vouched_ns - RACY_NS for stat in stats):
        return False
    return outputs_there()


def check_outputs(stamp: BuildStamp | None, output_dir: Path) -> Callable[[], bool]:
    """Begins to check that every output `stamp` names is there with its size; the
    returned call waits for the answer. Made in a child process (forked.py) beside the
    scan and the sources' stats that follow, which took ~0.9 s of one core."""
    outputs = stamp.outputs if stamp is not None else {}
    return Forked(_all_there, outputs, str(output_dir),
                  fork=len(outputs) >= FORK_THRESHOLD).result


def _all_there(outputs: Mapping[str, int], root: str) -> bool:
    return all(output_size(os.path.join(root, path)) == size for path, size in outputs.items())


def previous(cache_path: Path) -> BuildStamp | None:
    """The stamp of the build that wrote the cache as it is now, whatever it read."""
    stamp = _load(stamp_path(cache_path))
    return stamp if stamp is not None and _file_key(cache_path) == stamp.cache else None


def record(cache_path: Path, *, inputs: str, vouched_ns: int,
           files: Mapping[str, FileEntry], files_digest: str, entries: int, pages: int,
           languages: Iterable[str], delta: FilesDelta | None) -> None:
    """Write the stamp for the build just made (after its cache was saved)."""
    cache = _file_key(cache_path)
    if cache is None:
        return  # no cache to go with (it could not be written): no stamp either
    data = {"schema": SCHEMA, "inputs": inputs, "vouched_ns": vouched_ns, "cache": list(cache),
            "files_digest": files_digest, "files": len(files), "entries": entries,
            "pages": pages, "languages": sorted(set(languages)),
            "outputs": {p: e.size for p, e in files.items()},
            "delta": delta.as_json() if delta is not None else None}
    fsatomic.write_bytes(stamp_path(cache_path), json.dumps(data, sort_keys=True).encode())


def forget(cache_path: Path) -> None:
    """Before the cache is written again: a stamp must never outlive its cache."""
    with contextlib.suppress(FileNotFoundError):
        stamp_path(cache_path).unlink()


def _load(path: Path) -> BuildStamp | None:
    try:
        data: dict[str, Any] = json.loads(path.read_bytes())
        if data["schema"] != SCHEMA:
            return None
        return BuildStamp(
            inputs=str(data["inputs"]), vouched_ns=int(data["vouched_ns"]),
            cache=tuple(int(n) for n in data["cache"]),
            files_digest=str(data["files_digest"]), files=int(data["files"]),
            entries=int(data["entries"]), pages=int(data["pages"]),
            languages=tuple(str(x) for x in data["languages"]),
            outputs={str(k): int(v) for k, v in data["outputs"].items()},
            delta=FilesDelta.from_json(data["delta"]) if data["delta"] else None)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _file_key(path: Path) -> tuple[int, ...] | None:
    """The cache file's size and mtime, and its patch file's (0, 0 when it has none)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    try:
        patch = RenderCache.patch_path(path).stat()
        patched = (patch.st_size, patch.st_mtime_ns)
    except OSError:
        patched = (0, 0)
    return stat.st_size, stat.st_mtime_ns, *patched
