"""The barrier every mirror meets: one manifest naming each mirror's status and the new
address of each content-addressed copy, made once, when every mirror has sent its site
files (or failed).

A content-addressed copy (IPFS) gets its manifest files first, before anything of this
run is known (`snapshot`): its address depends on every byte of it. The object stores
wait in `wait()` until all the others are done, then all get the same final files.

Both name only copies that completed a publish before this one, or that proved
themselves before its build (copyfiles.known, probe.py): another copy proving itself now
is named by the publish that follows (run.py runs it at once).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mirrorpub.config import Config
from mirrorpub.mirrors.registry import backend_of, locate
from mirrorpub.model import MirrorStatus, Stamp
from mirrorpub.publish.copyfiles import known, manifest_files, site_info
from mirrorpub.publish.state import FINAL_STAMP, SNAPSHOT_STAMP, SiteState
from mirrorpub.site.build import BuildResult
from mirrorpub.trust.manifest import ManifestMirror, content_digest, next_stamp
from mirrorpub.trust.signing import Signer


@dataclass(frozen=True)
class RunFacts:
    """What the barrier knows of the run before any mirror is pushed."""

    config: Config
    state: SiteState
    signer: Signer | None
    build: BuildResult
    facts: Mapping[str, Mapping[str, Any]]  # per mirror: remembered facts + prepared ones
    prepared: Mapping[str, Mapping[str, Any]]  # per mirror: what prepare() found this run
    chosen: frozenset[str]  # the mirrors this publish pushes
    failed_early: frozenset[str]  # chosen ones that failed before pushing (prepare, plan)
    proved: frozenset[str] = frozenset()  # new copies proved before the build (probe.py)


class ManifestBarrier:
    """Makes each copy's manifest files, and holds object stores until all are ready."""

    def __init__(self, run: RunFacts, pushing: set[str]) -> None:
        self.run = run
        self.now = datetime.now(UTC)
        self.info = site_info(run.config, run.signer)
        self.waiting = set(pushing)  # mirrors that have not yet reached the barrier
        self.results: dict[str, tuple[bool, Mapping[str, Any]]] = {}
        self.lock = threading.Condition()
        self.snapshot_stamp: Stamp | None = None
        self._snapshot: dict[str, bytes] | None = None
        self._final: dict[str, bytes] | None = None
        self._final_stamp: Stamp | None = None
        self.changed = False

    # -- for content-addressed copies: made before anything is known of this run --------
    def snapshot(self) -> Mapping[str, bytes]:
        with self.lock:
            if self._snapshot is None:
                mirrors = self._mirrors(published={}, snapshot=True)
                digest = content_digest(self.info, mirrors, self.run.build.files_digest)
                self.snapshot_stamp = self._stamp(SNAPSHOT_STAMP, digest)
                self._snapshot = self._render(SNAPSHOT_STAMP, self.snapshot_stamp, mirrors)
            return self._snapshot

    # -- the barrier ----------------------------------------------------------------------
    def wait(self, name: str) -> Mapping[str, bytes]:
        with self.lock:
            self.waiting.discard(name)
            self.lock.notify_all()
            self.lock.wait_for(lambda: not self.waiting)
            return self._make_final()

    def done(self, name: str, ok: bool, facts: Mapping[str, Any]) -> None:
        with self.lock:
            self.results[name] = (ok, facts)
            self.waiting.discard(name)
            self.lock.notify_all()

    def final_files(self) -> Mapping[str, bytes]:
        with self.lock:
            return self._make_final()

    def final_stamp(self) -> Stamp:
        self.final_files()
        assert self._final_stamp is not None
        return self._final_stamp

    def _make_final(self) -> dict[str, bytes]:
        if self._final is None:
            published = {n: f for n, (ok, f) in self.results.items() if ok and f}
            failed = {n for n, (ok, _) in self.results.items() if not ok}
            failed |= self.run.failed_early - set(self.results)
            mirrors = self._mirrors(published=published, failed=failed)
            digest = content_digest(self.info, mirrors, self.run.build.files_digest)
            early = self.snapshot_stamp
            if early is not None and early.version > self.run.state.version:
                # The content-addressed copy already took the new version: share it.
                self._final_stamp = Stamp(early.version, early.published_at, early.expires_at,
                                          digest)
            else:
                self._final_stamp = self._stamp(FINAL_STAMP, digest)
            self.changed = self._final_stamp.version > self.run.state.version
            self._final = self._render(FINAL_STAMP, self._final_stamp, mirrors)
        return self._final

    # -- shared -----------------------------------------------------------------------------
    def _stamp(self, variant: str, digest: str) -> Stamp:
        state = self.run.state
        latest = max([state.version, *(s.version for s in (self.snapshot_stamp,) if s)])
        return next_stamp(state.stamps.get(variant), digest, now=self.now,
                          ttl_days=self.run.config.site.manifest_ttl_days, version=latest + 1)

    def _mirrors(self, *, published: Mapping[str, Mapping[str, Any]],
                 failed: set[str] | frozenset[str] = frozenset(),
                 snapshot: bool = False) -> list[ManifestMirror]:
        out = []
        for config in known(self.run.config, self.run.state, self.run.proved):
            remembered = self.run.state.mirror(config.name)
            facts = dict(self.run.facts.get(config.name, {}))
            if snapshot and not config.retired and backend_of(config).content_addressed:
                # Made before this run's content-addressed copies exist: their new address
                # is unknown, and an old one would be stale in the copy that replaces it.
                facts = dict(self.run.prepared.get(config.name, {}))
            if config.name in published:
                facts.update(published[config.name])
            if config.retired:
                status = MirrorStatus.RETIRED
            elif config.name in failed:
                status = MirrorStatus.FAILED
            elif config.name in self.run.chosen:
                status = MirrorStatus.ACTIVE
            else:
                status = remembered.status
            out.append(ManifestMirror(
                name=config.name, type=config.type, status=status,
                location=locate(config, facts), updated_at=remembered.updated_at,
                created_at=remembered.created_at))
        return out

    def _render(self, variant: str, stamp: Stamp,
                mirrors: list[ManifestMirror]) -> dict[str, bytes]:
        return manifest_files(self.run.config, self.run.build, self.info, stamp, mirrors,
                              self.run.signer, variant)
