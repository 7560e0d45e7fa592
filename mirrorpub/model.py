"""The values every layer shares: a built file, a published stamp, where a copy is, and
the small vocabularies of states (StrEnums, so they read and serialise as plain words)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class FileEntry:
    """One file of a built site as the build saw it."""

    sha256: str
    size: int
    md5: str
    content_type: str


def files_digest(files: Mapping[str, FileEntry]) -> str:
    """One digest of a site's files, their paths, hashes and sizes (in the given order:
    the build's, sorted): what a copy's plan compares before looking at any one file."""
    return rows_digest((path, entry.sha256, entry.size) for path, entry in files.items())


def rows_digest(rows: Iterable[tuple[str, str, int]]) -> str:
    """files_digest of (path, sha256, size) rows, for files not (yet) made FileEntry."""
    h = hashlib.sha256()
    for path, sha256, size in rows:
        h.update(f"{path}\0{sha256}\0{size}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


@dataclass(frozen=True)
class FilesDelta:
    """What turns the site files whose digest is `base` (the build before) into a build's:
    a copy left holding `base` is brought up to date from this alone (SPEC §14), without
    its whole index or the site's whole file list."""

    base: str  # files_digest of the files before
    changed: Mapping[str, FileEntry]  # new or changed files, sorted
    before: Mapping[str, tuple[str, int]]  # (sha256, size) before, of the changed and gone
    gone: tuple[str, ...]  # files that left, sorted

    def as_json(self) -> dict[str, Any]:
        return {"base": self.base, "gone": list(self.gone),
                "changed": {p: [e.sha256, e.size, e.md5, e.content_type]
                            for p, e in self.changed.items()},
                "before": {p: list(v) for p, v in self.before.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FilesDelta:
        """Raises KeyError, TypeError or ValueError when `data` is not one as_json made."""
        return cls(base=str(data["base"]), gone=tuple(str(p) for p in data["gone"]),
                   changed={str(p): FileEntry(str(sha), int(size), str(md5), str(kind))
                            for p, (sha, size, md5, kind) in data["changed"].items()},
                   before={str(p): (str(sha), int(size))
                           for p, (sha, size) in data["before"].items()})


@dataclass(frozen=True)
class Stamp:
    """When and as which version a manifest was published, and what it said."""

    version: int
    published_at: str
    expires_at: str
    digest: str


@dataclass(frozen=True)
class Location:
    """Where readers find one copy; made by its backend from its config and facts."""

    url: str | None  # the copy's front page, for the manifest; None when unknown yet
    page_base: str | None  # the same pages live at page_base + path; None if not stable
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. cid, ipns, gateway_urls
    bc2_type: str = "mirror"  # its kind in the Bypass Censorship list ("mirror", "ipfs")
    # Its protocol there, when not the URL's scheme (an onion: "tor" for an http:// URL).
    bc2_proto: str | None = None


class MirrorStatus(StrEnum):
    """A mirror's status in the manifest (SPEC §7)."""

    ACTIVE = "active"
    FAILED = "failed"
    RETIRED = "retired"


class UploadReason(StrEnum):
    """Why the planner sends a file."""

    NOT_AT_MIRROR = "not at the mirror"
    SIZE_DIFFERS = "size differs"
    SHA256_DIFFERS = "sha256 differs"
    MD5_DIFFERS = "md5 differs"
    NO_CHECKSUM = "no checksum at the mirror"
    UNFINISHED = "left unfinished by an interrupted publish"


class CopyState(StrEnum):
    """What `status` found at one address of a mirror; worst first."""

    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    UNPUBLISHED = "unpublished"
    BROKEN = "broken"
    STALE = "stale"
    OK = "ok"

    @property
    def rank(self) -> int:
        return list(CopyState).index(self)
