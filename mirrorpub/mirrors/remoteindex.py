"""The index object an object-store mirror keeps beside the copy: `.mirrorpub-index.json`.

It lists every object mirrorpub put there with its sha256 and size, and the paths a
publish in progress may have half-written (`pending`), so a publish with nothing to do
costs one GET instead of a listing, and only mirrorpub's own objects are ever deleted.
Compact canonical JSON, gzip'd, with a checksum over its body: anything damaged,
truncated or oversized reads as "no index", and the mirror is listed instead.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from typing import Any

from mirrorpub.mirrors.plan import RemoteEntry

INDEX_NAME = ".mirrorpub-index.json"
INDEX_SCHEMA = "mirrorpub.remote-index/1"
# A bucket may serve anything, a gzip bomb included. An index of 100,000 files (SPEC §14)
# is ~8 MB gzip'd, ~16 MB as JSON; four times that is the most ever read or inflated.
MAX_INDEX_GZIP_BYTES = 32 << 20
MAX_INDEX_BYTES = 64 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_TAIL = f',"schema":"{INDEX_SCHEMA}"}}'.encode()  # how an index we wrote ends


def encode_index(files: Mapping[str, RemoteEntry], pending: set[str]) -> bytes:
    """Compact, canonical JSON, gzip'd: 12,000 files are 0.6 MB, not 1.6, and the index is
    written twice by every publish that changes something."""
    body = {"files": {p: {"sha256": e.sha256, "size": e.size} for p, e in sorted(files.items())},
            "pending": sorted(pending)}
    canonical = _canonical(body)
    checksum = hashlib.sha256(canonical).hexdigest()
    # The document with its keys sorted: checksum, files, pending, schema.
    document = b"".join([_head(checksum), canonical[1:-1], _TAIL])
    return gzip.compress(document, compresslevel=1, mtime=0)


def decode_index(data: bytes) -> tuple[dict[str, RemoteEntry], set[str]] | None:
    """The index's files and pending paths, or None when it is damaged in any way.
    Also reads the uncompressed, indented indexes earlier versions wrote."""
    if len(data) > MAX_INDEX_GZIP_BYTES:
        return None
    try:
        if data[:2] == _GZIP_MAGIC:
            data = _gunzip(data)
        document = json.loads(data)
        body = {"files": document["files"], "pending": document["pending"]}
        if document["schema"] != INDEX_SCHEMA or \
                not _checksum_holds(data, str(document["checksum"]), body):
            return None
        files = {str(p): RemoteEntry(size=int(e["size"]), sha256=str(e["sha256"]))
                 for p, e in body["files"].items()}
        return files, {str(p) for p in body["pending"]}
    except (ValueError, KeyError, TypeError, AttributeError, OSError, EOFError, zlib.error,
            RecursionError):
        return None


def _canonical(body: dict[str, Any]) -> bytes:
    """What the checksum covers: the files and pending paths as compact, sorted JSON."""
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _head(checksum: str) -> bytes:
    return f'{{"checksum":"{checksum}",'.encode()


def _checksum_holds(data: bytes, checksum: str, body: dict[str, Any]) -> bool:
    head = _head(checksum)
    if data.startswith(head) and data.endswith(_TAIL):  # as encode_index wrote it
        canonical = b"{" + data[len(head):-len(_TAIL)] + b"}"
    else:
        canonical = _canonical(body)
    return hashlib.sha256(canonical).hexdigest() == checksum


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    out = inflater.decompress(data, MAX_INDEX_BYTES)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("index too large or cut short")
    return out
