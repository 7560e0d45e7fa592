"""The publishing logic shared by mirrors that store named objects (S3, a folder).

A backend supplies a `Store` (a handful of I/O calls); this module reads the remote
state cheaply, asks the pure planner what to do, and carries the plan out:

    the same site files as the copy was left with (asleft.py): its journal (1 GET), its
    index's and mirrors.json's marks (2 HEADs) say whether it still is -- then nothing
    is sent, unless the manifest files changed
    or the build's delta starts from the files the copy was left with: the same three
    requests, then the planner runs on what the delta touches, and the index is written
    as its journal grown by what was sent (remoteindex.JournalOnly), the base unread
    else: read index and its journal (2 GETs) + check against mirrors.json (1 HEAD) --
    else list
    write the journal with the planned paths marked pending        -- crash safety
    site files, rank by rank (assets … listings), in parallel within a rank
    wait for the manifest files; then mirrors.html, index.html, the manifest's new
    parts, mirrors.json, .sig
    deletes (only paths mirrorpub put there; capped), and the parts no longer named by
    the new mirrors.json nor by the one it replaced (kept one publish more, for readers
    who fetched that one a moment before)
    write the final journal (now and then a new base index instead: remoteindex.py)

A publish killed anywhere leaves the old pages (or the new) pointing at files that are
there, and an index whose `pending` list tells the next run what to re-check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from mirrorpub.errors import MirrorError
from mirrorpub.formats import human_bytes
from mirrorpub.layout import MANIFEST, PARTS_DIR, is_part, upload_rank
from mirrorpub.mirrors.asleft import MEMORY, AsLeft, digest
from mirrorpub.mirrors.plan import Plan, RemoteEntry, RemoteState, Upload, plan, upload_reason
from mirrorpub.mirrors.protocol import FinalFiles, LocalSite, MirrorBase, Outcome, Progress
from mirrorpub.mirrors.remoteindex import (
    INDEX_NAME,
    JOURNAL_LIMIT,
    JOURNAL_NAME,
    IndexBase,
    JournalOnly,
    apply_journal,
    base_of,
    decode_index,
    encode_index,
    encode_journal,
)
from mirrorpub.model import FileEntry, FilesDelta
from mirrorpub.safepath import is_site_path, shown_path
from mirrorpub.site.mediatypes import entry_for_bytes


class Store(Protocol):
    """The I/O an object-store mirror needs. Errors are raised as MirrorError."""

    def read_index(self, name: str = INDEX_NAME) -> bytes | None:
        """The index object `name` (INDEX_NAME or JOURNAL_NAME), None when there is none."""
    def recorded_sha256(self, path: str) -> str | None: ...
    def listing(self) -> Iterator[tuple[str, RemoteEntry]]: ...
    def is_ours(self, path: str) -> bool: ...
    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        """Store every item (they may go up in any order or at once); call `sent` as each
        is done; raise on the first failure."""
    def delete(self, paths: list[str]) -> None: ...
    def write_index(self, data: bytes, name: str = INDEX_NAME) -> None: ...
    def begin_writes(self, *, as_left: bool = False) -> None:
        """Called once per publish, before its first write (a folder sweeps what a killed
        publish left half-written). `as_left`: the copy is as a whole publish left it, so
        only the index's own writes can have been cut off since."""
    def requests(self) -> int:
        """Requests (or file operations) made so far, over this store's whole life."""
    def close(self) -> None: ...


@dataclass(frozen=True)
class Put:
    """One object to store: a site file read from `source`, or manifest bytes in `data`."""

    path: str
    entry: FileEntry
    source: Path | None
    data: bytes | None


def put_concurrently(put: Callable[[Put], None], items: list[Put], workers: int,
                     sent: Callable[[Put], None]) -> None:
    """The common way to store a group: a bounded thread pool, stopping at a failure."""
    def one(item: Put) -> None:
        put(item)
        sent(item)

    if len(items) == 1:
        one(items[0])
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, item) for item in items]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            future.result()  # re-raises the first failure


def read_remote_state(store: Store, local_paths: set[str],
                      journal_read: tuple[bytes | None] | None = None
                      ) -> tuple[RemoteState, IndexBase | None]:
    """The mirror's state, and the base index it was read from (None: it was listed).
    `journal_read`: the journal's bytes (None: there is none), when read already."""
    data = store.read_index()
    if data is None:
        return _from_listing(store, local_paths, "no index at the mirror yet"), None
    decoded = decode_index(data)
    if decoded is None:
        return _from_listing(store, local_paths, "the mirror's index is damaged"), None
    (journal,) = journal_read or (store.read_index(JOURNAL_NAME),)
    base = base_of(data, decoded[0], journal=digest(journal))
    state = apply_journal(base, decoded[1], journal)
    if state is None:
        return _from_listing(store, local_paths, "the mirror's index journal is damaged"), None
    files, unsafe = _site_paths_only(state[0])
    pending = {p for p in state[1] if is_site_path(p)}
    if PARTS_PENDING in pending:
        # Cut off after the barrier: parts it sent have names the index never learnt.
        # Only mirrorpub names files so (layout.is_part): they are ours, found once by a
        # listing, and go the way of any part no manifest names.
        pending.discard(PARTS_PENDING)
        pending |= {p for p, _ in store.listing() if is_part(p) and p not in files}
    unsafe += tuple(sorted(p for p in state[1] if not is_site_path(p)))
    # One HEAD tells whether someone else changed the copy since our last publish.
    if (MANIFEST in files and MANIFEST not in pending
            and store.recorded_sha256(MANIFEST) != files[MANIFEST].sha256):
        return _from_listing(store, local_paths, "the mirror's index does not match "
                             "its mirrors.json (changed by another tool?)"), None
    entries = {p: e for p, e in files.items() if p not in pending}
    pending_entries = {p: RemoteEntry(size=-1) for p in pending}
    remote = RemoteState(entries={**pending_entries, **entries},
                         owned=frozenset(files) | pending, pending=frozenset(pending),
                         source="index", unsafe=unsafe)
    return remote, base


# In the pending list of an index written before the manifest is known, for the new
# parts whose names are not known yet: after a publish cut off, one listing finds them.
PARTS_PENDING = f"{PARTS_DIR}/new-parts.pending"
# Stored for a moment before a copy's first publish and read back (publish/probe.py).
# Uploaded with its sha256 like any file, so a copy a publish left it on deletes it next.
PROBE_NAME = ".mirrorpub-probe.txt"


def _site_paths_only(entries: Mapping[str, RemoteEntry]
                     ) -> tuple[dict[str, RemoteEntry], tuple[str, ...]]:
    """The entries whose paths a site could hold, and (sorted) the paths of the others:
    an index or a listing may be forged, and such a path is never written or deleted."""
    good = {p: e for p, e in entries.items() if is_site_path(p)}
    return good, tuple(sorted(p for p in entries if p not in good))


def _from_listing(store: Store, local_paths: set[str], note: str) -> RemoteState:
    entries, unsafe = _site_paths_only(dict(store.listing()))
    stale = [p for p in entries if p not in local_paths]
    # A folder holding an index of its own is another mirrorpub site (say, prefix "ru/"
    # in the same bucket): its objects carry our mark too, but none of them is ours.
    others = tuple(p[: -len(INDEX_NAME)] for p in entries if p.endswith("/" + INDEX_NAME))
    owned = frozenset(p for p in stale if not p.startswith(others) and store.is_ours(p))
    return RemoteState(entries=entries, owned=owned, source="listing" if entries else "empty",
                       note=note, unsafe=unsafe)


def unsafe_note(paths: tuple[str, ...]) -> str:
    return (f"the mirror's index or listing names {len(paths)} paths no site can hold (such "
            f"as {shown_path(paths[0])}: absolute, with '..', or odd characters); they were "
            "left alone, neither written nor deleted. Has someone tampered with the copy?")


# --- the mirror -------------------------------------------------------------------------

@dataclass
class StorePlan:
    plan: Plan
    remote: RemoteState
    site: LocalSite
    requests_before: int = 0  # the store's count when this run began
    # The base index the journal applies to; None when the mirror was listed (its first
    # index write is then a whole base) or once a publish folded the journal into a new one.
    base: IndexBase | None = None
    # Set when the copy is as the last publish left it (asleft.py) with the same site
    # files: `remote` then holds only the manifest files' and parts' entries, and nothing
    # is sent unless they change.
    quick: AsLeft | None = None
    # Set when the copy is as left and this plan came from the build's delta: `remote`
    # holds only what the delta and the manifest touch, and the index is written as a
    # journal on this (remoteindex.JournalOnly), its base unread unless a new one is due.
    journal: JournalOnly | None = None

    @property
    def is_noop(self) -> bool:
        return self.plan.is_noop

    def summary(self) -> str:
        p = self.plan
        parts = [f"{len(p.uploads)} to upload ({human_bytes(p.upload_bytes)})",
                 f"{len(p.deletes)} to delete", f"{p.unchanged} unchanged"]
        if p.held_deletes:
            parts.append(f"{len(p.held_deletes)} deletes held back (cap {p.max_deletes})")
        if p.foreign:
            parts.append(f"{len(p.foreign)} objects not ours, left alone")
        if self.remote.unsafe:
            parts.append(f"{len(self.remote.unsafe)} unsafe paths ignored")
        return ", ".join(parts)

    def lines(self) -> list[str]:
        out = []
        if self.plan.remote_note:
            out.append(f"note: {self.plan.remote_note}; compared against a listing")
        if self.remote.unsafe:
            out.append(f"note: {unsafe_note(self.remote.unsafe)}")
        for upload in self.plan.uploads:
            e = upload.entry
            out.append(f"upload {upload.path} ({human_bytes(e.size)}, {e.content_type}): "
                       f"{upload.reason}")
        names = ", ".join(sorted(self.site.manifest_names))
        out.append(f"then, if they changed: {names}")
        out.extend(f"delete {path}: no longer in the site" for path in self.plan.deletes)
        if self.plan.held_deletes:
            out.append(f"hold back {len(self.plan.held_deletes)} deletes: more than the cap of "
                       f"{self.plan.max_deletes} (raise it with --max-deletes)")
        return out


PARTS_MEMORY = "manifest_parts"  # the parts named by the mirrors.json the copy last got


def _old_parts(remote: RemoteState, memory: Mapping[str, Any]) -> list[str]:
    """Parts of manifests older than the one the copy serves: deleted once the new one is
    up, unless it names them. Pending until then, so a part deleted by a publish cut
    short is sent again should a manifest name it."""
    previous = set(memory.get(PARTS_MEMORY, ()))
    return sorted(p for p in remote.entries
                  if is_part(p) and p in remote.owned and p not in previous)


def _held_problem(the_plan: Plan) -> str | None:
    if not the_plan.held_deletes:
        return None
    return (f"{len(the_plan.held_deletes)} files left the site but were not deleted: more "
            f"than the cap of {the_plan.max_deletes}; rerun with --max-deletes "
            f"{len(the_plan.held_deletes)} if that is expected")


class ObjectStoreMirror(MirrorBase):
    """One object store as a mirror; stays open across publishes (`watch`)."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self.store = store
        self._probed_from: int | None = None  # the store's count before this run's probe

    def close(self) -> None:
        self.store.close()

    def place_probe(self, data: bytes) -> str:
        # Read first, so a missing bucket is reported as missing: some servers (SeaweedFS)
        # make one on a first PUT, and a mistyped name would then become a real bucket.
        self._probed_from = self.store.requests()
        self.store.read_index()
        self.store.put_all([Put(PROBE_NAME, entry_for_bytes(PROBE_NAME, data), None, data)],
                           lambda item: None)
        return PROBE_NAME

    def remove_probe(self, path: str) -> None:
        self.store.delete([path])

    def plan(self, site: LocalSite, memory: Mapping[str, Any], *, max_deletes: int) -> StorePlan:
        # A probe just before (publish/probe.py) is part of this run's requests.
        requests_before = self.store.requests() if self._probed_from is None \
            else self._probed_from
        self._probed_from = None
        left = AsLeft.from_memory(memory)
        journal_read: tuple[bytes | None] | None = None
        delta = _delta_for(left, site, max_deletes)
        if left is not None and (left.files == site.files_digest or delta is not None):
            journal_read = (self.store.read_index(JOURNAL_NAME),)
            if self._as_left(left, journal_read[0]):
                journal = JournalOnly.read(left.index, journal_read[0])
                if left.files == site.files_digest:
                    return StorePlan(plan=Plan(uploads=(), deletes=(), max_deletes=max_deletes,
                                               unchanged=len(site.files)),
                                     remote=RemoteState(entries=dict(left.kept),
                                                        owned=frozenset(left.kept)),
                                     site=site, requests_before=requests_before, quick=left,
                                     journal=journal)
                if delta is not None and journal is not None:
                    return _delta_plan(site, left, delta, journal, max_deletes, requests_before)
        return self._full_plan(site, max_deletes, requests_before, journal_read)

    def _as_left(self, left: AsLeft, journal: bytes | None) -> bool:
        """Whether the copy is as the last publish left it: its journal, its index and its
        mirrors.json (one GET, two HEADs)."""
        manifest = left.kept.get(MANIFEST)
        return (digest(journal) == left.journal and manifest is not None
                and self.store.recorded_sha256(INDEX_NAME) == left.index
                and self.store.recorded_sha256(MANIFEST) == manifest.sha256)

    def _full_plan(self, site: LocalSite, max_deletes: int, requests_before: int,
                   journal_read: tuple[bytes | None] | None) -> StorePlan:
        local_paths = set(site.files) | set(site.manifest_names)
        remote, base = read_remote_state(self.store, local_paths, journal_read)
        parts = frozenset(p for p in remote.entries if is_part(p))  # apply() decides on them
        the_plan = plan(site.files, remote, max_deletes=max_deletes,
                        keep=site.manifest_names | parts)
        return StorePlan(plan=the_plan, remote=remote, site=site,
                         requests_before=requests_before, base=base)

    def apply(self, store_plan: StorePlan, final_files: FinalFiles, progress: Progress,
              memory: Mapping[str, Any]) -> Outcome:
        if store_plan.quick is not None:
            manifest = final_files()
            if not self._manifest_uploads(manifest, store_plan.remote):
                progress.planned(0, 0)
                return Outcome(memory=dict(memory),
                               requests=self.store.requests() - store_plan.requests_before)
            # The manifest files changed: sent, with the index's journal, as a delta of none.
            site, quick, journal = store_plan.site, store_plan.quick, store_plan.journal
            max_deletes = store_plan.plan.max_deletes
            if journal is not None:
                store_plan = _delta_plan(site, quick, FilesDelta(quick.files, {}, {}, ()),
                                         journal, max_deletes, store_plan.requests_before)
            else:
                store_plan = self._full_plan(site, max_deletes, store_plan.requests_before,
                                             None)
            return self.apply(store_plan, lambda: manifest, progress, memory)
        the_plan, remote, site = store_plan.plan, store_plan.remote, store_plan.site
        outcome = Outcome()
        if remote.unsafe:
            outcome.warnings.append(unsafe_note(remote.unsafe))
        progress.planned(len(the_plan.uploads), the_plan.upload_bytes)
        self.store.begin_writes(as_left=store_plan.journal is not None)
        old_parts = _old_parts(remote, memory)
        touched = {u.path for u in the_plan.uploads} | set(the_plan.deletes)
        if touched:
            touched |= {*old_parts, PARTS_PENDING}
            self._write_index(store_plan, pending=touched | set(site.manifest_names))
        for group in the_plan.groups(final=False):
            self._send(group, site.output_dir, {}, progress, outcome)

        progress.stage("waiting for the manifest")
        manifest = final_files()
        final_uploads = list(the_plan.groups(final=True))
        extra = self._manifest_uploads(manifest, remote)
        if extra:  # the plan grows by the manifest files that changed
            progress.planned(len(the_plan.uploads) + len(extra),
                             the_plan.upload_bytes + sum(u.entry.size for u in extra))
        if extra and not touched:
            touched = {*site.manifest_names, *old_parts, PARTS_PENDING}
            self._write_index(store_plan, pending=touched)
        merged = sorted([u for g in final_uploads for u in g] + extra,
                        key=lambda u: (u.rank, u.path))
        for rank in sorted({u.rank for u in merged}):
            self._send([u for u in merged if u.rank == rank], site.output_dir, manifest,
                       progress, outcome)
        gone_parts = [p for p in old_parts if p not in manifest] if touched else []
        deletes = [*the_plan.deletes, *gone_parts]
        if deletes:
            progress.stage(f"deleting {len(deletes)}")
            self.store.delete(deletes)
            outcome.deleted = len(deletes)
        indexed: Mapping[str, RemoteEntry] = remote.entries  # what the index now says
        if touched or extra or remote.unsafe:  # an index naming unsafe paths is rewritten
            kept_parts = {p: remote.entries[p] for p in remote.entries
                          if is_part(p) and p not in manifest and p not in gone_parts}
            indexed = self._write_final_index(store_plan, manifest, kept_parts)
        elif remote.source != "index" or remote.pending:
            indexed = {}  # no index written, none read whole: nothing to remember it by
        outcome.memory = {**memory, PARTS_MEMORY: sorted(p for p in manifest if is_part(p))}
        outcome.memory.pop(MEMORY, None)
        left = _leaving(store_plan, indexed)
        if left is not None:
            outcome.memory[MEMORY] = left.as_memory()
        outcome.problem = _held_problem(the_plan)
        outcome.requests = self.store.requests() - store_plan.requests_before
        return outcome

    def _manifest_uploads(self, manifest: Mapping[str, bytes],
                          remote: RemoteState) -> list[Upload]:
        uploads = []
        for path, data in sorted(manifest.items()):
            entry = entry_for_bytes(path, data)
            remote_entry = remote.entries.get(path)
            reason = upload_reason(entry, remote_entry, path in remote.pending)
            if reason:
                uploads.append(Upload(path, entry, reason,
                                      upload_rank(path, is_new=remote_entry is None)))
        return uploads

    def _send(self, group: list[Upload], output_dir: Path, manifest: Mapping[str, bytes],
              progress: Progress, outcome: Outcome) -> None:
        items = [Put(u.path, u.entry, None if u.path in manifest else output_dir / u.path,
                     manifest.get(u.path)) for u in group]
        self.store.put_all(items, lambda item: progress.sent(item.path, item.entry.size))
        outcome.uploaded += len(group)
        outcome.bytes_sent += sum(u.entry.size for u in group)

    def _write_index(self, store_plan: StorePlan, *, pending: set[str]) -> None:
        if store_plan.journal is not None:
            self._store_journal(store_plan, store_plan.journal, pending, limit=None)
            return
        remote = store_plan.remote
        # From a listing, only what we own goes in: a foreign file listed here would count
        # as ours on the next run (say, after a crash) and be deleted.
        known = {p: e for p, e in remote.entries.items()
                 if e.sha256 is not None and p not in remote.pending and p not in pending
                 and (remote.source == "index" or p in remote.owned)}
        self._store_index(store_plan, known, pending | (set(remote.owned) - set(known)),
                          limit=None)

    def _store_index(self, store_plan: StorePlan, files: Mapping[str, RemoteEntry],
                     pending: set[str], *, limit: int | None) -> None:
        """Write (files, pending) as a journal on the base index, which costs what changed;
        or, with no base or more than `limit` changes, as a new base and an empty journal.
        The base goes first: cut off between the two, the old journal names the old base,
        so it is ignored and the new base alone is read."""
        base = store_plan.base
        journal = encode_journal(base, files, pending, limit) if base is not None else None
        if journal is None:
            data = encode_index(files, pending)
            self.store.write_index(data)
            store_plan.base = base = base_of(data, dict(files))
            journal = encode_journal(base, files, pending)
        assert journal is not None
        self.store.write_index(journal, JOURNAL_NAME)
        store_plan.base = replace(base, journal=digest(journal))

    def _store_journal(self, store_plan: StorePlan, journal: JournalOnly, pending: set[str],
                       *, limit: int | None) -> None:
        """Write the journal of a delta plan; past `limit` changes, fold it into a new base
        instead, which needs the base read (once per JOURNAL_LIMIT changed files)."""
        data = journal.encode(pending, limit)
        if data is None:
            self._fold(store_plan, journal, pending)
            return
        self.store.write_index(data, JOURNAL_NAME)
        store_plan.journal = replace(journal, journal=digest(data))

    def _fold(self, store_plan: StorePlan, journal: JournalOnly, pending: set[str]) -> None:
        data = self.store.read_index()
        decoded = decode_index(data) if data is not None else None
        if data is None or decoded is None or digest(data) != journal.base:
            raise MirrorError(self.name, "the copy's index changed while this publish ran "
                              "(another publisher?); publish again")
        store_plan.journal = None
        store_plan.base = IndexBase(journal.base, decoded[0])
        self._store_index(store_plan, journal.on(decoded[0]), pending, limit=0)

    def _write_final_journal(self, store_plan: StorePlan, manifest: Mapping[str, bytes],
                             kept_parts: Mapping[str, RemoteEntry]) -> dict[str, RemoteEntry]:
        """The final index of a delta plan: its journal gains what was sent and deleted.
        Returns the entries it holds for the manifest files and parts (for _leaving)."""
        assert store_plan.journal is not None
        remote, the_plan = store_plan.remote, store_plan.plan
        files = {u.path: RemoteEntry(size=u.entry.size, sha256=u.entry.sha256)
                 for u in the_plan.uploads}
        for path, data in manifest.items():
            entry = entry_for_bytes(path, data)
            files[path] = RemoteEntry(size=entry.size, sha256=entry.sha256)
        gone = set(the_plan.deletes) | {p for p in remote.entries if is_part(p)
                                         and p not in manifest and p not in kept_parts}
        self._store_journal(store_plan, store_plan.journal.changed(files, gone), set(),
                            limit=JOURNAL_LIMIT)
        indexed = {p: e for p, e in remote.entries.items() if p not in gone}
        indexed.update({p: e for p, e in files.items() if p in manifest})
        return indexed

    def _write_final_index(self, store_plan: StorePlan, manifest: Mapping[str, bytes],
                           kept_parts: Mapping[str, RemoteEntry]) -> dict[str, RemoteEntry]:
        if store_plan.journal is not None:
            return self._write_final_journal(store_plan, manifest, kept_parts)
        site, remote, the_plan = store_plan.site, store_plan.remote, store_plan.plan
        files = {p: e for p, e in kept_parts.items() if e.sha256}
        files.update({p: RemoteEntry(size=e.size, sha256=e.sha256)
                      for p, e in site.files.items()})
        for path, data in manifest.items():
            entry = entry_for_bytes(path, data)
            files[path] = RemoteEntry(size=entry.size, sha256=entry.sha256)
        for path in the_plan.held_deletes:
            old = remote.entries.get(path)
            files[path] = old if old and old.sha256 else RemoteEntry(size=-1, sha256="")
        self._store_index(store_plan, files, set(), limit=JOURNAL_LIMIT)
        return files


def _leaving(store_plan: StorePlan, indexed: Mapping[str, RemoteEntry]) -> AsLeft | None:
    """How this publish leaves the copy, when it leaves it complete and its index says so
    (`indexed`: the index's entries, at least for the manifest files and parts); None
    when the next publish must look at it whole."""
    base, journal, the_plan = store_plan.base, store_plan.journal, store_plan.plan
    if journal is not None:
        marks = (journal.base, journal.journal)
    elif base is not None:
        marks = (base.sha256, base.journal)
    else:
        return None
    if not indexed or the_plan.held_deletes or store_plan.remote.unsafe:
        return None
    names = store_plan.site.manifest_names
    kept = {p: e for p, e in indexed.items() if (p in names or is_part(p)) and e.sha256}
    return AsLeft(store_plan.site.files_digest, *marks, kept)


def _delta_for(left: AsLeft | None, site: LocalSite, max_deletes: int) -> FilesDelta | None:
    """The build's delta, when it starts from the files the copy was left with and stays
    within the delete cap (else the whole copy is compared, and held deletes reported)."""
    delta = site.delta
    if left is None or delta is None or delta.base != left.files:
        return None
    if 0 <= max_deletes < len(delta.gone):
        return None
    return delta


def _delta_plan(site: LocalSite, left: AsLeft, delta: FilesDelta, journal: JournalOnly,
                max_deletes: int, requests_before: int) -> StorePlan:
    """The plan for a copy as left holding the files `delta` starts from: the planner run
    on what the delta touches (and the manifest files), not on the whole site."""
    before = {p: RemoteEntry(size=size, sha256=sha) for p, (sha, size) in delta.before.items()}
    entries = {**left.kept, **before}
    remote = RemoteState(entries=entries, owned=frozenset(entries))
    parts = frozenset(p for p in left.kept if is_part(p))
    the_plan = plan(delta.changed, remote, max_deletes=max_deletes,
                    keep=site.manifest_names | parts)
    the_plan = replace(the_plan, unchanged=len(site.files) - len(the_plan.uploads))
    return StorePlan(plan=the_plan, remote=remote, site=site, requests_before=requests_before,
                     journal=journal)
