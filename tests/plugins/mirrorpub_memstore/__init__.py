"""An in-memory object store as a mirror type: a third-party-style plugin for the tests.

    [[mirrors]]
    name = "mem"
    type = "memory"
    bucket = "a"                       # buckets are shared by name within one process
    public_url = "https://mem.example/a/"   # optional: what pages and the manifest name
    snapshot = "bucket.json"           # optional: load at open, save at close

A bucket records every operation in order (`log`), so a test can check the order SPEC §8
asks for; `crash_at = N` makes the N-th write (put, delete, index write) and everything
after it fail without effect, like a publish killed at that instant; `fail_puts` makes
uploads of some paths fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import as_path, http_url, matches, option
from mirrorpub.errors import MirrorError
from mirrorpub.mirrors.objectstore import ObjectStoreMirror, Put
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.protocol import Backend
from mirrorpub.mirrors.remoteindex import INDEX_NAME, apply_journal, base_of, decode_index
from mirrorpub.model import Location


@dataclass(frozen=True, kw_only=True)
class MemoryConfig(MirrorConfig):
    bucket: str = option(str, required=True, check=matches(r"[a-z0-9-]+", "a bucket name"))
    public_url: str | None = option(str, default=None, check=http_url)
    snapshot: Path | None = option(str, default=None, convert=as_path)


@dataclass
class Stored:
    data: bytes
    sha256: str | None  # mirrorpub's mark; None for an object someone else put there
    content_type: str = "application/octet-stream"
    cache_control: str = ""


@dataclass
class MemoryBucket:
    objects: dict[str, Stored] = field(default_factory=dict)
    index: bytes | None = None
    journal: bytes | None = None  # the index's journal (mirrorpub/mirrors/remoteindex.py)
    log: list[tuple[str, str]] = field(default_factory=list)  # (operation, path)
    looks: list[tuple[str, str]] = field(default_factory=list)  # reads: ("get"/"head", path)
    requests: int = 0
    crash_at: int | None = None  # the write (1, 2, …) at which the "process dies"
    writes: int = 0
    fail_puts: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put_foreign(self, path: str, data: bytes) -> None:
        """An object someone else put there (no mirrorpub mark)."""
        self.objects[path] = Stored(data, None)

    def state(self) -> tuple[dict[str, RemoteEntry], set[str]] | None:
        """What the index and its journal together say: (files, pending); None if damaged."""
        decoded = decode_index(self.index or b"")
        if decoded is None:
            return None
        return apply_journal(base_of(self.index or b"", decoded[0]), decoded[1], self.journal)

    def files(self) -> dict[str, bytes]:
        return {path: stored.data for path, stored in self.objects.items()}

    def _write(self, name: str, operation: str, path: str) -> None:
        with self.lock:
            self.requests += 1
            self.writes += 1
            if self.crash_at is not None and self.writes >= self.crash_at:
                raise MirrorError(name, f"crashed at write {self.crash_at}")
            self.log.append((operation, path))


BUCKETS: dict[str, MemoryBucket] = {}  # by name: one process's buckets, for the tests


def bucket(name: str) -> MemoryBucket:
    return BUCKETS.setdefault(name, MemoryBucket())


class MemoryStore:
    def __init__(self, config: MemoryConfig) -> None:
        self.config = config
        self.name = config.name
        if config.snapshot is not None and config.snapshot.is_file():
            BUCKETS[config.bucket] = _load(config.snapshot)
        self.bucket = bucket(config.bucket)

    def read_index(self, name: str = INDEX_NAME) -> bytes | None:
        self.bucket.requests += 1
        self.bucket.looks.append(("get", name))
        return self.bucket.index if name == INDEX_NAME else self.bucket.journal

    def recorded_sha256(self, path: str) -> str | None:
        self.bucket.requests += 1
        self.bucket.looks.append(("head", path))
        if path == INDEX_NAME:  # recorded with it, as S3 and Azure do
            index = self.bucket.index
            return hashlib.sha256(index).hexdigest() if index is not None else None
        stored = self.bucket.objects.get(path)
        return stored.sha256 if stored else None

    def listing(self) -> Iterator[tuple[str, RemoteEntry]]:
        self.bucket.requests += 1
        for path, stored in sorted(self.bucket.objects.items()):
            md5 = hashlib.md5(stored.data, usedforsecurity=False).hexdigest()
            yield path, RemoteEntry(size=len(stored.data), md5=md5)

    def is_ours(self, path: str) -> bool:
        return self.recorded_sha256(path) is not None

    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        for item in items:  # one at a time: the log shows the order the planner asked for
            self._put(item)
            sent(item)

    def _put(self, item: Put) -> None:
        if item.path in self.bucket.fail_puts:
            raise MirrorError(self.name, f"cannot upload {item.path}: refused (test fault)")
        data = item.data if item.data is not None else item.source.read_bytes()  # type: ignore[union-attr]
        if hashlib.md5(data, usedforsecurity=False).hexdigest() != item.entry.md5:
            raise MirrorError(self.name, f"cannot upload {item.path}: BadDigest")
        self.bucket._write(self.name, "put", item.path)
        from mirrorpub.site.mediatypes import cache_control

        self.bucket.objects[item.path] = Stored(data, item.entry.sha256,
                                                item.entry.content_type, cache_control(item.path))

    def delete(self, paths: list[str]) -> None:
        for path in paths:
            self.bucket._write(self.name, "delete", path)
            self.bucket.objects.pop(path, None)

    def write_index(self, data: bytes, name: str = INDEX_NAME) -> None:
        if name == INDEX_NAME:
            self.bucket._write(self.name, "index", "")
            self.bucket.index = data
        else:
            self.bucket._write(self.name, "journal", "")
            self.bucket.journal = data

    def begin_writes(self, *, as_left: bool = False) -> None:
        pass

    def requests(self) -> int:
        return self.bucket.requests

    def close(self) -> None:
        if self.config.snapshot is not None:
            _save(self.config.snapshot, self.bucket)


def _save(path: Path, memory: MemoryBucket) -> None:
    data = {"index": base64.b64encode(memory.index).decode() if memory.index else None,
            "journal": base64.b64encode(memory.journal).decode() if memory.journal else None,
            "objects": {p: {"data": base64.b64encode(s.data).decode(), "sha256": s.sha256,
                            "content_type": s.content_type}
                        for p, s in sorted(memory.objects.items())}}
    path.write_text(json.dumps(data), encoding="utf-8")


def _b64(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text else None


def _load(path: Path) -> MemoryBucket:
    data = json.loads(path.read_text(encoding="utf-8"))
    memory = MemoryBucket(index=base64.b64decode(data["index"]) if data["index"] else None,
                          journal=_b64(data.get("journal")))
    for p, s in data["objects"].items():
        memory.objects[p] = Stored(base64.b64decode(s["data"]), s["sha256"], s["content_type"])
    return memory


def locate(config: MemoryConfig, facts: Mapping[str, Any]) -> Location:
    if config.public_url is None:
        return Location(url=f"https://memory.invalid/{config.bucket}/index.html", page_base=None)
    base = config.public_url.rstrip("/") + "/"
    return Location(url=base + "index.html", page_base=base)


def open_mirror(config: MemoryConfig) -> ObjectStoreMirror:
    return ObjectStoreMirror(config.name, MemoryStore(config))


BACKEND = Backend(type="memory", config=MemoryConfig, locate=locate, open=open_mirror)
