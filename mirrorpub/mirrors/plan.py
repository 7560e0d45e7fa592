"""The pure half of publishing to an object store: (local files, remote state) -> Plan.

No I/O here. The plan lists uploads in the order SPEC §8 asks for, each with the reason
it is needed, then the deletes (sorted, capped). Backends carry a plan out; tests check
plans without any server.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby

from mirrorpub.layout import FIRST_FINAL_RANK, upload_rank
from mirrorpub.model import FileEntry, UploadReason

DEFAULT_MAX_DELETES = 256  # like `hugo deploy --maxDeletes`; raise it with --max-deletes


@dataclass(frozen=True)
class RemoteEntry:
    """One object as the mirror's index or listing describes it.

    `sha256` comes from mirrorpub's own index; a bare listing only gives `md5` (the ETag of
    a single-part upload) or nothing comparable (multipart ETags), in which case we
    re-upload rather than guess.
    """

    size: int
    sha256: str | None = None
    md5: str | None = None


@dataclass(frozen=True)
class RemoteState:
    entries: Mapping[str, RemoteEntry]
    # Paths mirrorpub itself put there: only these may be deleted.
    owned: frozenset[str] = frozenset()
    # Paths an interrupted publish may have half-written: re-sent whatever they hold.
    pending: frozenset[str] = frozenset()
    source: str = "index"  # "index", "listing" or "empty"
    note: str = ""  # why the index was not used, when it was not
    # Paths the index or listing named that no site can hold (`safepath.is_site_path`):
    # left out of `entries`, so they are never written or deleted; noted for the editor.
    unsafe: tuple[str, ...] = ()

    @classmethod
    def empty(cls) -> RemoteState:
        return cls(entries={}, source="empty")


@dataclass(frozen=True)
class Upload:
    path: str
    entry: FileEntry
    reason: UploadReason
    rank: int


@dataclass(frozen=True)
class Plan:
    uploads: tuple[Upload, ...]
    deletes: tuple[str, ...]
    # Deletes held back because there were more than the cap allows.
    held_deletes: tuple[str, ...] = ()
    max_deletes: int = DEFAULT_MAX_DELETES
    # Objects under our prefix that mirrorpub did not put there: never touched.
    foreign: tuple[str, ...] = ()
    unchanged: int = 0
    remote_note: str = ""

    @property
    def upload_bytes(self) -> int:
        return sum(u.entry.size for u in self.uploads)

    @property
    def is_noop(self) -> bool:
        return not self.uploads and not self.deletes

    def groups(self, *, final: bool) -> Iterator[list[Upload]]:
        """Uploads grouped by rank, in order: site files (final=False) or the rest."""
        chosen = [u for u in self.uploads if (u.rank >= FIRST_FINAL_RANK) == final]
        for _, group in groupby(chosen, key=lambda u: u.rank):
            yield list(group)


def upload_reason(local: FileEntry, remote: RemoteEntry | None,
                  pending: bool) -> UploadReason | None:
    """Why `local` must be sent, or None when the mirror already holds these bytes."""
    if remote is None:
        return UploadReason.NOT_AT_MIRROR
    if remote.size != local.size:
        return UploadReason.SIZE_DIFFERS
    if remote.sha256 is not None:
        if remote.sha256 != local.sha256:
            return UploadReason.SHA256_DIFFERS
    elif remote.md5 is not None:
        if remote.md5 != local.md5:
            return UploadReason.MD5_DIFFERS
    else:
        return UploadReason.NO_CHECKSUM
    if pending:
        return UploadReason.UNFINISHED
    return None


def plan(
    local: Mapping[str, FileEntry],
    remote: RemoteState,
    *,
    max_deletes: int = DEFAULT_MAX_DELETES,
    keep: frozenset[str] = frozenset(),
) -> Plan:
    """Compare the site with the mirror. `keep` names remote paths never to delete."""
    uploads: list[Upload] = []
    unchanged = 0
    for path in sorted(local):
        entry = local[path]
        remote_entry = remote.entries.get(path)
        reason = upload_reason(entry, remote_entry, path in remote.pending)
        if reason is None:
            unchanged += 1
            continue
        rank = upload_rank(path, is_new=remote_entry is None)
        uploads.append(Upload(path=path, entry=entry, reason=reason, rank=rank))
    uploads.sort(key=lambda u: (u.rank, u.path))

    stale = sorted(set(remote.entries) - set(local) - keep)
    deletes = [p for p in stale if p in remote.owned]
    foreign = tuple(p for p in stale if p not in remote.owned)
    held: tuple[str, ...] = ()
    if max_deletes >= 0 and len(deletes) > max_deletes:
        held, deletes = tuple(deletes), []
    return Plan(
        uploads=tuple(uploads),
        deletes=tuple(deletes),
        held_deletes=held,
        max_deletes=max_deletes,
        foreign=foreign,
        unchanged=unchanged,
        remote_note=remote.note,
    )
