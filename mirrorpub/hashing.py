"""Content hashes, computed one way everywhere: of files (streamed), and of JSON-able parts
(the keys of caches and the digest of what a manifest says)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1024 * 1024


def stable_digest(*parts: Any) -> str:
    """A stable sha256 of JSON-able parts: the same parts give the same hex digest."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: str | Path) -> str:
    with open(path, "rb") as handle:
        return stream_sha256(handle)


def stream_sha256(handle: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def file_digests(path: str | Path) -> tuple[str, str, int]:
    """(sha256, md5, size) of a file, read once: the planner compares sha256, S3 wants md5."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), md5.hexdigest(), size
