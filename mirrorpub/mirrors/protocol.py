"""The one face every mirror shows the publisher: locate, prepare, plan, apply.

    locate(facts)    pure: where readers find this copy (for pages and the manifest)
    prepare()        cheap talk with the service before the build (e.g. the IPNS name)
    plan(site)       read the remote state, decide what to send; `lines()` for --dry-run
    apply(plan, …)   carry the plan out; ask `final_files()` for the manifest files when
                     the site files are up; return an Outcome or raise MirrorError
    follow_up(…)     slow extras after the others were released (IPNS); returns warnings

Object stores (S3, a folder) share `objectstore.ObjectStoreMirror`; content-addressed
mirrors (IPFS) get their manifest files before anything is sent, because the copy's
address depends on every byte of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mirrorpub.plan import FileEntry

Facts = Mapping[str, Any]


@dataclass(frozen=True)
class Location:
    url: str | None  # the copy's front page, for the manifest; None when unknown yet
    page_base: str | None  # the same pages live at page_base + path; None if not stable
    extra: Mapping[str, Any] = field(default_factory=dict)  # e.g. cid, ipns, gateway_urls


@dataclass(frozen=True)
class LocalSite:
    output_dir: Path
    files: Mapping[str, FileEntry]  # the site files, without the manifest files
    manifest_names: frozenset[str]  # manifest files this publish will write


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
    content_addressed: bool

    def locate(self, facts: Facts) -> Location: ...

    def prepare(self, memory: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]: ...

    def plan(self, site: LocalSite, memory: Mapping[str, Any], *,
             max_deletes: int) -> MirrorPlan: ...

    def apply(self, plan: Any, final_files: FinalFiles, progress: Progress,
              memory: Mapping[str, Any]) -> Outcome: ...

    def follow_up(self, outcome: Outcome, progress: Progress) -> list[str]: ...
