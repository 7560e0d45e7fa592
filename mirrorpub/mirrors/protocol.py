"""The seam between the publisher and every kind of copy.

A mirror type is one `Backend` (registered through the `mirrorpub.mirrors` entry point,
see registry.py): its config class, `locate`, `open`, and what it can do. An open
`Mirror` is what the publisher drives, one run after another:

    locate(facts)    pure: where readers find this copy (for pages and the manifest)
    preflight(cfg)   before anything is sent to any mirror: what can be checked without an
                     upload (credentials present, a key loadable, the service answering
                     within a few seconds, the bucket there); a problem stops the publish
    prepare()        cheap talk with the service before the build (e.g. the IPNS name)
    plan(site)       read the remote state, decide what to send; `lines()` for --dry-run
    apply(plan, …)   carry the plan out; ask `final_files()` for the manifest files when
                     the site files are up; return an Outcome or raise MirrorError
    follow_up(…)     slow extras after the others were released (IPNS); returns warnings
    place_probe(…)   before a first publish, one small file readers could fetch, so the
                     copy proves itself before pages name it (publish/probe.py)
    close()          let go of connections (a Mirror is also a context manager)

Object stores (S3, a folder) share `objectstore.ObjectStoreMirror`; a content-addressed
backend (IPFS) gets its manifest files before anything is sent, because the copy's
address depends on every byte of it, and cannot name its own address.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.model import FileEntry, FilesDelta, Location


@dataclass(frozen=True)
class LocalSite:
    output_dir: Path
    files: Mapping[str, FileEntry]  # the site files, without the manifest files
    manifest_names: frozenset[str]  # manifest files this publish will write
    files_digest: str  # model.files_digest(files): compared before any one file is
    # From the build before: a copy left holding those files needs only this (SPEC §14).
    delta: FilesDelta | None = None


class Progress(Protocol):
    def planned(self, files: int, nbytes: int) -> None:
        """What this mirror will send in all; said again when that grows (the manifest
        files that changed are known only at the barrier)."""
    def sent(self, path: str, nbytes: int) -> None: ...
    def stage(self, text: str) -> None: ...


class SilentProgress:
    def planned(self, files: int, nbytes: int) -> None:
        pass

    def sent(self, path: str, nbytes: int) -> None:
        pass

    def stage(self, text: str) -> None:
        pass


@dataclass
class Outcome:
    uploaded: int = 0
    bytes_sent: int = 0
    deleted: int = 0
    requests: int = 0
    facts: dict[str, Any] = field(default_factory=dict)  # what readers need: e.g. the CID
    memory: dict[str, Any] = field(default_factory=dict)  # kept for this mirror's next run
    warnings: list[str] = field(default_factory=list)  # reported apart; copy still current
    problem: str | None = None  # copy is current but something needs the editor (exit 3)


class MirrorPlan(Protocol):
    @property
    def is_noop(self) -> bool: ...

    def lines(self) -> list[str]: ...

    def summary(self) -> str: ...


FinalFiles = Callable[[], Mapping[str, bytes]]


class Mirror(Protocol):
    name: str

    def prepare(self, memory: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]: ...

    def plan(self, site: LocalSite, memory: Mapping[str, Any], *,
             max_deletes: int) -> MirrorPlan: ...

    def apply(self, plan: Any, final_files: FinalFiles, progress: Progress,
              memory: Mapping[str, Any]) -> Outcome: ...

    def follow_up(self, outcome: Outcome, progress: Progress) -> list[str]: ...

    def place_probe(self, data: bytes) -> str | None:
        """Before a copy's first publish: store `data` as one file readers could fetch,
        and say at which site path (None: this copy cannot; it is named from the publish
        after its first, publish/probe.py)."""

    def remove_probe(self, path: str) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Mirror: ...

    def __exit__(self, *exc: object) -> None: ...


class MirrorBase:
    """Defaults for the optional steps, and the context manager around close()."""

    name: str

    def prepare(self, memory: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
        return {}

    def follow_up(self, outcome: Outcome, progress: Progress) -> list[str]:
        return []

    def place_probe(self, data: bytes) -> str | None:
        return None

    def remove_probe(self, path: str) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> MirrorBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Backend:
    """One mirror type, as its entry point registers it."""

    type: str  # what `type = "…"` in mirrorpub.toml names
    config: type[MirrorConfig]  # its options, declared once (see config/options.py)
    locate: Callable[[Any, Mapping[str, Any]], Location]  # (config, facts): pure, no I/O
    open: Callable[[Any], Mirror]  # (config): no I/O until the mirror is used
    # The copy's address is its content: it is sent its manifest files before anything
    # else, cannot carry its own address, and keeps the manifest version made for it.
    content_addressed: bool = False
    # Readers fetch the copy anonymously over the web at Location.url: publish reads back
    # what it sent from there, as a reader would, before the copy counts as published
    # (a mistyped or private bucket takes uploads, or refuses them, unseen by readers).
    # Off for copies without such an address (a folder) or whose address is their content
    # (IPFS: nothing could pose as it, and gateways find a new CID only in their own time).
    public_reads: bool = False
    # What `status` tells the editor when the copy turns anonymous readers away, and what
    # such a refusal may also mean.
    refused_hint: str | None = None
    refused_note: str | None = None
    # A commented `[[mirrors]]` entry for `mirrorpub init` to write (every line a comment).
    example: str | None = None
    # (config, facts) -> where `status` reads the copy, instead of its location's URLs: a
    # folder copy is read in its folder here, not only where a web server may serve it.
    check_addresses: Callable[[Any, Mapping[str, Any]], list[str]] | None = None
    # (config, facts) -> problems only this machine can see, for `status` (an onion copy:
    # its key against the files tor reads).
    local_problems: Callable[[Any, Mapping[str, Any]], list[str]] | None = None
    # (config, facts) -> (per other machine keeping the copy: its state there, e.g.
    # {"cluster": "pinned"}; problems), for `status` (an IPFS copy's pin services).
    kept_elsewhere: Callable[[Any, Mapping[str, Any]],
                             tuple[dict[str, str], list[str]]] | None = None
    # (config, facts, sink) -> the published copy as one deterministic CAR file, written to
    # sink piece by piece; its root is the copy's address (`bundle --car`).
    export_car: Callable[[Any, Mapping[str, Any], Callable[[bytes], object]], str] | None = None
    # (config) -> problems found before anything is sent anywhere, each one line naming
    # the key or service to fix (credentials present, the service answering within
    # PREFLIGHT_TIMEOUT, the bucket there). None: nothing to check before sending.
    preflight: Callable[[Any], list[str]] | None = None


# Seconds a preflight check may wait for a service: long enough for a far-away endpoint,
# short enough that a wrong address is reported before the editor wonders.
PREFLIGHT_TIMEOUT = 8.0
