"""The index object an object-store mirror keeps beside the copy: `.mirrorpub-index.json`.

It lists every object mirrorpub put there with its sha256 and size, and the paths a
publish in progress may have half-written (`pending`), so a publish with nothing to do
costs one GET instead of a listing, and only mirrorpub's own objects are ever deleted.
Compact canonical JSON, gzip'd, with a checksum over its body: anything damaged,
truncated or oversized reads as "no index", and the mirror is listed instead.

At 100,000 articles the index is megabytes, so a publish does not rewrite it (SPEC §14):
it writes a small journal beside it, `.mirrorpub-index.journal.json`, which names the
base index it applies to (by sha256) and holds only what changed since: entries added or
changed, paths gone, and the pending paths. Once the journal holds more than
JOURNAL_LIMIT changes, the next publish folds it into a new base. A journal naming another
base (a publish cut off between writing a new base and its journal, or an index someone
rewrote) is stale: the base alone is the state, as before journals existed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrorpub.mirrors.plan import RemoteEntry

INDEX_NAME = ".mirrorpub-index.json"
INDEX_SCHEMA = "mirrorpub.remote-index/1"
JOURNAL_NAME = ".mirrorpub-index.journal.json"
JOURNAL_SCHEMA = "mirrorpub.remote-index-journal/1"
INDEX_NAMES = frozenset({INDEX_NAME, JOURNAL_NAME})  # never site files: listings skip them
# Changes a journal may hold before a publish folds them into a new base: a journal is
# written twice per publish, so it stays under ~60 KB gzip'd; a base is rewritten once per
# JOURNAL_LIMIT changed files, not once per publish.
JOURNAL_LIMIT = 1000
# A bucket may serve anything, a gzip bomb included. An index of 100,000 files (SPEC §14)
# is ~8 MB gzip'd, ~16 MB as JSON; four times that is the most ever read or inflated.
MAX_INDEX_GZIP_BYTES = 32 << 20
MAX_INDEX_BYTES = 64 << 20
_GZIP_MAGIC = b"\x1f\x8b"


def _tail(schema: str) -> bytes:
    return f',"schema":"{schema}"}}'.encode()  # how a document we wrote ends


def _entries(files: Mapping[str, RemoteEntry]) -> dict[str, dict[str, Any]]:
    return {p: {"sha256": e.sha256, "size": e.size} for p, e in sorted(files.items())}


def encode_index(files: Mapping[str, RemoteEntry], pending: set[str]) -> bytes:
    """Compact, canonical JSON, gzip'd: 12,000 files are 0.6 MB, not 1.6."""
    return _encode({"files": _entries(files), "pending": sorted(pending)}, INDEX_SCHEMA)


def _encode(body: dict[str, Any], schema: str) -> bytes:
    canonical = _canonical(body)
    checksum = hashlib.sha256(canonical).hexdigest()
    # The document with its keys sorted: checksum, the body's keys, schema.
    document = b"".join([_head(checksum), canonical[1:-1], _tail(schema)])
    return gzip.compress(document, compresslevel=1, mtime=0)


def _decode(data: bytes, schema: str, keys: tuple[str, ...]) -> dict[str, Any] | None:
    """The body (`keys`) of a document _encode wrote, or None when anything is wrong."""
    if len(data) > MAX_INDEX_GZIP_BYTES:
        return None
    try:
        if data[:2] == _GZIP_MAGIC:
            data = _gunzip(data)
        document = json.loads(data)
        body = {key: document[key] for key in keys}
        if document["schema"] != schema or \
                not _checksum_holds(data, str(document["checksum"]), body, schema):
            return None
        return body
    except (ValueError, KeyError, TypeError, AttributeError, OSError, EOFError, zlib.error,
            RecursionError):
        return None


def _read_entries(raw: Any) -> dict[str, RemoteEntry]:
    return {str(p): RemoteEntry(size=int(e["size"]), sha256=str(e["sha256"]))
            for p, e in raw.items()}


def decode_index(data: bytes) -> tuple[dict[str, RemoteEntry], set[str]] | None:
    """The index's files and pending paths, or None when it is damaged in any way.
    Also reads the uncompressed, indented indexes earlier versions wrote."""
    body = _decode(data, INDEX_SCHEMA, ("files", "pending"))
    if body is None:
        return None
    try:
        return _read_entries(body["files"]), {str(p) for p in body["pending"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class IndexBase:
    """A base index as read or written: what a journal applies to."""

    sha256: str  # of the stored (gzip'd) bytes: the journal names its base by it
    files: Mapping[str, RemoteEntry]
    journal: str | None = None  # sha256 of the journal read with it, or last written on it


def base_of(data: bytes, files: Mapping[str, RemoteEntry], *,
            journal: str | None = None) -> IndexBase:
    return IndexBase(hashlib.sha256(data).hexdigest(), files, journal)


def encode_journal(base: IndexBase, files: Mapping[str, RemoteEntry], pending: set[str],
                   limit: int | None = None) -> bytes | None:
    """The journal that turns `base` into (files, pending); None when it would hold more
    than `limit` changes (then a new base is due)."""
    old = base.files
    # Two fields compared, not dataclass equality: at 110,000 paths this runs twice a publish.
    changed = {p: e for p, e in files.items()
               if (b := old.get(p)) is None or b.sha256 != e.sha256 or b.size != e.size}
    gone = frozenset(p for p in base.files if p not in files)
    return JournalOnly(base.sha256, changed, gone).encode(pending, limit)


@dataclass(frozen=True)
class JournalOnly:
    """A base index known by its sha256 alone, and what its journal and this publish changed
    on it: enough to write the next journal without reading the base (SPEC §14: a copy
    left as the last publish left it is brought up to date in O(changed) bytes)."""

    base: str  # sha256 of the base index
    files: Mapping[str, RemoteEntry]  # added or changed since the base
    gone: frozenset[str]  # left since the base
    journal: str | None = None  # sha256 of the journal last read or written

    @classmethod
    def read(cls, base: str, data: bytes | None) -> JournalOnly | None:
        """What the journal `data` says on the base `base`, when it has nothing pending;
        None when it is damaged, names another base or has paths pending (then the whole
        index must be read)."""
        if data is None:
            return cls(base, {}, frozenset())
        read = _read_journal(data)
        if read is None or read[0].base != base or read[1]:
            return None
        return read[0]

    def changed(self, files: Mapping[str, RemoteEntry], gone: set[str]) -> JournalOnly:
        """With `files` added or changed and `gone` removed as well."""
        kept = {p: e for p, e in self.files.items() if p not in gone}
        return JournalOnly(self.base, {**kept, **files},
                           frozenset((self.gone - set(files)) | gone), self.journal)

    def encode(self, pending: set[str], limit: int | None = None) -> bytes | None:
        """The journal with `pending` marked; None past `limit` changes (a new base due)."""
        if limit is not None and len(self.files) + len(self.gone) > limit:
            return None
        return _encode({"base": self.base, "files": _entries(self.files),
                        "gone": sorted(self.gone), "pending": sorted(pending)}, JOURNAL_SCHEMA)

    def on(self, base_files: Mapping[str, RemoteEntry]) -> dict[str, RemoteEntry]:
        """The whole state, given the base's files (read when a new base is due)."""
        files = {p: e for p, e in base_files.items() if p not in self.gone}
        files.update(self.files)
        return files


def apply_journal(base: IndexBase, base_pending: set[str], data: bytes | None
                  ) -> tuple[dict[str, RemoteEntry], set[str]] | None:
    """The state base + journal describe: (files, pending); None when the journal is damaged.
    No journal, or one written for another base: the base alone."""
    if data is None:
        return dict(base.files), set(base_pending)
    read = _read_journal(data)
    if read is None:
        return None
    journal, pending = read
    if journal.base != base.sha256:
        return dict(base.files), set(base_pending)
    return journal.on(base.files), pending


def _read_journal(data: bytes) -> tuple[JournalOnly, set[str]] | None:
    """The journal `data` and its pending paths; None when it is damaged in any way."""
    body = _decode(data, JOURNAL_SCHEMA, ("base", "files", "gone", "pending"))
    if body is None:
        return None
    try:
        journal = JournalOnly(str(body["base"]), _read_entries(body["files"]),
                              frozenset(str(p) for p in body["gone"]),
                              hashlib.sha256(data).hexdigest())
        return journal, {str(p) for p in body["pending"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _canonical(body: dict[str, Any]) -> bytes:
    """What the checksum covers: the files and pending paths as compact, sorted JSON."""
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _head(checksum: str) -> bytes:
    return f'{{"checksum":"{checksum}",'.encode()


def _checksum_holds(data: bytes, checksum: str, body: dict[str, Any], schema: str) -> bool:
    head, tail = _head(checksum), _tail(schema)
    if data.startswith(head) and data.endswith(tail):  # as _encode wrote it
        canonical = b"{" + data[len(head):-len(tail)] + b"}"
    else:
        canonical = _canonical(body)
    return hashlib.sha256(canonical).hexdigest() == checksum


def _gunzip(data: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    out = inflater.decompress(data, MAX_INDEX_BYTES)
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("index too large or cut short")
    return out
