"""`mirrorpub publish`: build once, push to every mirror at once, one manifest (SPEC §7, §8).

    lock the site -> prepare mirrors (IPNS names) -> build -> plan every mirror
    -> apply all mirrors concurrently:
         content-addressed (IPFS): get their copy's manifest files at once, add, pin
         object stores: site files, then wait at the barrier for the final manifest
    -> barrier: when every mirror has sent its site files (or failed), the final manifest
       is made once, naming each mirror's status and the new IPFS CID (barrier.py); a
       copy readers fetch over the web is first read back (one site file), so only
       copies readers can really open are named to them
    -> object stores finish: mirrors.html, index.html, mirrors.json, .sig, deletes
    -> where readers fetch a copy over the web: its front page and mirrors.json read back
       anonymously (readback.py); a copy that refuses readers is a failed mirror
    -> follow-ups that may be slow and must not hold anyone up (IPNS)
    -> state saved

A failing mirror never stops the others; it is named with its reason and marked
`failed` in the manifest the others carry (if it ever completed a publish: until then it
is not named at all).

Pages and manifests name only copies that completed a publish before, or that proved
before the build that readers get them (copyfiles.known, probe.py: an object store read
over the web). When a publish completes the first one of a copy it could not prove (IPFS,
git, onion, a folder), or a proved copy fails, it runs once more at once, over the
mirrors that succeeded: so it ends with every page and every copy, the IPFS one included,
naming exactly the copies that work. That second round re-sends what names the copies
(pages that list them, the manifest files), and costs what the next publish would
otherwise have sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from mirrorpub import layout
from mirrorpub.config import Config, MirrorConfig
from mirrorpub.errors import Interrupted, MirrorError, PreflightError, UsageError
from mirrorpub.mirrors.plan import DEFAULT_MAX_DELETES
from mirrorpub.mirrors.protocol import (
    FinalFiles,
    LocalSite,
    Mirror,
    Outcome,
    Progress,
    SilentProgress,
)
from mirrorpub.mirrors.registry import backend_of, locate
from mirrorpub.model import FileEntry, MirrorStatus
from mirrorpub.publish import probe
from mirrorpub.publish.barrier import ManifestBarrier, RunFacts
from mirrorpub.publish.copyfiles import key_files, manifest_names, page_links, write_copy
from mirrorpub.publish.lock import site_lock
from mirrorpub.publish.opened import OpenMirrors
from mirrorpub.publish.readback import read_back
from mirrorpub.publish.report import MirrorReport, PublishReport
from mirrorpub.publish.state import FINAL_STAMP, SNAPSHOT_STAMP, load_state, save_state
from mirrorpub.site.build import build_site
from mirrorpub.site.mediatypes import entry_for_bytes
from mirrorpub.trust.signing import load_signer

log = logging.getLogger(__name__)

ProgressFactory = Callable[[str], Progress]


def selected_mirrors(config: Config, only: list[str] | None) -> list[MirrorConfig]:
    active = [m for m in config.mirrors if not m.retired]
    if not only:
        return active
    names = {m.name: m for m in config.mirrors}
    for name in only:
        if name not in names:
            raise UsageError(f"--mirror {name}: no such mirror in {config.path.name} "
                             f"(known: {', '.join(sorted(names)) or 'none'})")
        if names[name].retired:
            raise UsageError(f"--mirror {name}: that mirror is retired; it is no longer pushed")
    return [names[n] for n in dict.fromkeys(only)]


def publish(config: Config, *, only: list[str] | None = None, dry_run: bool = False,
            max_deletes: int = DEFAULT_MAX_DELETES,
            progress: ProgressFactory = lambda name: SilentProgress(),
            lock_wait: float = 0.0, mirrors: OpenMirrors | None = None,
            preflight: bool = False, stop: Callable[[], bool] = lambda: False
            ) -> PublishReport:
    """Publish the site. `mirrors` keeps mirrors open across calls (watch); without it,
    the mirrors this publish opens are closed when it ends. With `preflight`, every
    chosen mirror is first checked without sending anything; a problem there stops the
    publish before any mirror gets a file (PreflightError).

    `stop()` true (a signal arrived) before the first file is sent: Interrupted, nothing
    sent. Once sending began the publish is finished, because stopping a copy midway
    leaves files its manifest does not describe; only the second round (naming new
    copies everywhere, which the next publish does anyway) is left out."""
    chosen = selected_mirrors(config, only)
    options = _Options(dry_run, max_deletes, progress, stop)
    with site_lock(config.state_dir, wait=lock_wait):
        if preflight and not dry_run:
            check_mirrors(chosen)
        if mirrors is not None:
            return _publish(config, chosen, options, mirrors)
        with OpenMirrors() as opened:
            return _publish(config, chosen, options, opened)


def check_mirrors(chosen: list[MirrorConfig]) -> None:
    """Every mirror's preflight, at once (each waits a few seconds at most)."""
    def check(config: MirrorConfig) -> list[str]:
        backend_check = backend_of(config).preflight
        if backend_check is None:
            return []
        try:
            found = backend_check(config)
        except MirrorError as exc:
            found = [exc.message]
        return [f"mirror {config.name!r}: {problem}" for problem in found]

    with ThreadPoolExecutor(max_workers=max(1, len(chosen))) as pool:
        problems = [p for found in pool.map(check, chosen) for p in found]
    if problems:
        raise PreflightError(problems)


def _publish(config: Config, chosen: list[MirrorConfig], options: _Options,
             opened: OpenMirrors) -> PublishReport:
    shown: dict[str, Progress] = {}  # one progress per mirror, over both rounds

    def progress(name: str) -> Progress:
        if name not in shown:
            shown[name] = options.progress(name)
        return shown[name]

    first = _Run(config, chosen, replace(options, progress=progress), opened)
    report = first.run()
    misnamed = first.newly_published ^ first.proved  # new copies the pages got wrong
    sent = {m.name: m.outcome for m in report.mirrors if m.ok}
    if options.dry_run or not misnamed or not sent or options.stop():
        return report
    log.info("first publish of %s: once more, so every copy names exactly the copies "
             "that work", ", ".join(sorted(misnamed)))
    again = _Run(config, [m for m in chosen if m.name in sent], replace(
        options, progress=lambda name: _Continued(progress(name), sent[name])), opened)
    return report.then(again.run())


class _Continued:
    """A mirror's progress in the second round, counting on from the first."""

    def __init__(self, progress: Progress, before: Outcome) -> None:
        self.progress, self.before = progress, before

    def planned(self, files: int, nbytes: int) -> None:
        self.progress.planned(self.before.uploaded + files, self.before.bytes_sent + nbytes)

    def sent(self, path: str, nbytes: int) -> None:
        self.progress.sent(path, nbytes)

    def stage(self, text: str) -> None:
        self.progress.stage(text)


@dataclass(frozen=True)
class _Options:
    dry_run: bool
    max_deletes: int
    progress: ProgressFactory
    stop: Callable[[], bool] = lambda: False


class _Run:
    def __init__(self, config: Config, chosen: list[MirrorConfig], options: _Options,
                 opened: OpenMirrors) -> None:
        self.config = config
        self.chosen = chosen
        self.dry_run = options.dry_run
        self.max_deletes = options.max_deletes
        self.progress = options.progress
        self.stop = options.stop
        self.opened = opened
        self.state = load_state(config.state_dir)
        self.signer = load_signer(config)
        self.reports = {m.name: MirrorReport(m.name, m.type) for m in chosen}
        self.mirrors: dict[str, Mirror] = {}  # the chosen ones that are ready to push
        self.prepared: dict[str, dict[str, Any]] = {}
        self.facts: dict[str, dict[str, Any]] = {}
        self.newly_published: set[str] = set()  # mirrors whose first publish this was
        self.proved: set[str] = set()  # new ones the pages name already (probe.py)
        self.read_backs: dict[str, list[str]] = {}  # per mirror: the paths read back
        self.site_files: Mapping[str, FileEntry] = {}

    def run(self) -> PublishReport:
        key_files(self.config, self.signer)  # a key the root does not let sign: stop here
        facts = self.facts = self._prepare()
        if not self.dry_run:
            self._prove_new_copies()
        links = page_links(self.config, self.state, facts, frozenset(self.proved))
        build = build_site(self.config, mirror_links=links,
                           fingerprint=self.signer.fingerprint if self.signer else None)
        site = LocalSite(output_dir=build.output_dir, files=build.files,
                         manifest_names=manifest_names(self.config, self.signer),
                         files_digest=build.files_digest, delta=build.delta)
        self.site_files = build.files
        plans = self._plan_all(site)
        if self.dry_run:
            return PublishReport(self.state.version, False, True, build,
                                 list(self.reports.values()), signed=self.signer is not None)
        if self.stop():  # the last moment at which nothing has been sent
            raise Interrupted("stopped before anything was sent: every copy is as it was")
        barrier = ManifestBarrier(RunFacts(
            config=self.config, state=self.state, signer=self.signer, build=build,
            facts=facts, prepared=self.prepared, chosen=frozenset(self.reports),
            failed_early=frozenset(n for n, r in self.reports.items() if r.error),
            proved=frozenset(self.proved)), set(plans))
        with ThreadPoolExecutor(max_workers=max(1, len(plans))) as pool:
            for name, plan in plans.items():
                pool.submit(self._push, name, plan, barrier)
        final = barrier.final_stamp()
        write_copy(build.output_dir, barrier.final_files())  # public/: a complete copy too
        notes = self._dropped_notes()
        self._record(barrier, facts)
        return PublishReport(final.version, barrier.changed, False, build,
                             list(self.reports.values()), signed=self.signer is not None,
                             notes=notes)

    def _prepare(self) -> dict[str, dict[str, Any]]:
        facts = {m.name: dict(self.state.mirror(m.name).facts) for m in self.config.mirrors}
        for config in self.chosen:
            mirror = self.opened.get(config)
            try:
                prepared = mirror.prepare(self.state.mirror(config.name).memory,
                                          dry_run=self.dry_run)
            except MirrorError as exc:
                self.reports[config.name].error = exc.message
                continue
            self.prepared[config.name] = prepared
            facts[config.name].update(prepared)
            self.mirrors[config.name] = mirror
        return facts

    def _prove_new_copies(self) -> None:
        """New copies that can show before the build that readers get them (probe.py);
        one that cannot be read as a reader would fails here, before it is sent a page."""
        configs = {name: self.config.mirror(name) for name in self.mirrors
                   if not self.state.has_published(name)}
        new = {name: (config, self.mirrors[name]) for name, config in configs.items()
               if probe.can_prove(config, self.facts.get(name, {}))}
        if not new:
            return
        proofs = probe.prove(new, self.facts)
        for name, asked in proofs.asked.items():
            self.read_backs.setdefault(name, []).extend(asked)
        for name, problem in proofs.failed.items():
            self.reports[name].error = problem
            del self.mirrors[name]
        self.proved = proofs.proved

    def _plan_all(self, site: LocalSite) -> dict[str, Any]:
        plans: dict[str, Any] = {}

        def plan_one(name: str) -> None:
            report = self.reports[name]
            started = time.monotonic()
            try:
                plan = self.mirrors[name].plan(site, self.state.mirror(name).memory,
                                               max_deletes=self.max_deletes)
                report.plan, report.plan_lines = plan.summary(), plan.lines()
                plans[name] = plan
            except MirrorError as exc:
                report.error = exc.message
            report.seconds += time.monotonic() - started

        with ThreadPoolExecutor(max_workers=max(1, len(self.mirrors))) as pool:
            list(pool.map(plan_one, list(self.mirrors)))
        return {name: plans[name] for name in self.mirrors if name in plans}

    def _push(self, name: str, plan: Any, barrier: ManifestBarrier) -> None:
        report, mirror = self.reports[name], self.mirrors[name]
        started = time.monotonic()
        memory = self.state.mirror(name).memory
        received: dict[str, bytes] = {}  # the manifest files this copy got
        try:
            report.outcome = mirror.apply(plan, self._final_files(name, plan, barrier, received),
                                          self.progress(name), memory)
            problem = self._read_back_copy(name, report.outcome, received)
            if problem:
                raise MirrorError(name, problem)
            report.ok = True
        except MirrorError as exc:
            report.error = exc.message
        except Exception as exc:  # a bug in one backend must not take the others down
            log.exception("mirror %s failed unexpectedly", name)
            report.error = f"unexpected error: {type(exc).__name__}: {exc}"
        finally:
            report.outcome.requests += len(self.read_backs.get(name, []))
            barrier.done(name, report.ok, report.outcome.facts)
        if report.ok:
            report.outcome.warnings.extend(mirror.follow_up(report.outcome, self.progress(name)))
        report.seconds += time.monotonic() - started

    def _final_files(self, name: str, plan: Any, barrier: ManifestBarrier,
                     received: dict[str, bytes]) -> FinalFiles:
        """What the mirror calls for its manifest files: a content-addressed copy gets the
        snapshot at once; an object store meets the barrier once readers can read what it
        sent (checked for a copy never published before, or one with changes)."""
        def files() -> Any:
            if backend_of(self.config.mirror(name)).content_addressed:
                got = barrier.snapshot()
            else:
                if not self.state.has_published(name) or not plan.is_noop:
                    problem = self._read_back(name, {layout.FEED: self._site_entry(layout.FEED)})
                    if problem:
                        raise MirrorError(name, problem)
                got = barrier.wait(name)
            received.update(got)
            return got
        return files

    def _read_back_copy(self, name: str, outcome: Any, received: Mapping[str, bytes]) -> str | None:
        """Once the copy is complete: its front page and mirrors.json, as readers get them
        (for a copy never published before, or one this publish changed)."""
        if self.state.has_published(name) and not (outcome.uploaded or outcome.deleted):
            return None
        expected = {layout.INDEX: self._site_entry(layout.INDEX)}
        if layout.MANIFEST in received:
            expected[layout.MANIFEST] = entry_for_bytes(layout.MANIFEST,
                                                        received[layout.MANIFEST])
        return self._read_back(name, expected)

    def _read_back(self, name: str, expected: Mapping[str, FileEntry | None]) -> str | None:
        config = self.config.mirror(name)
        backend = backend_of(config)
        if not backend.public_reads:
            return None
        url = locate(config, self.facts.get(name, {})).url
        if url is None:
            return None
        return read_back(url, {p: e for p, e in expected.items() if e is not None},
                         backend.refused_hint, exact=not self.state.has_published(name),
                         asked=self.read_backs.setdefault(name, []))

    def _site_entry(self, path: str) -> FileEntry | None:
        return self.site_files.get(path)

    def _dropped_notes(self) -> list[str]:
        """A mirror removed from the config vanishes from every page and manifest without
        a word to readers; say once how to tell them instead."""
        notes = []
        for name in self.state.dropped({m.name for m in self.config.mirrors}):
            self.state.mirror(name).dropped_told = True
            notes.append(f"mirror {name!r} is no longer in {self.config.path.name}: pages and "
                         "manifests stop naming it, and readers are not told it is gone. To "
                         f"tell them, put its entry back with retired = true")
        return notes

    def _record(self, barrier: ManifestBarrier, facts: dict[str, dict[str, Any]]) -> None:
        final = barrier.final_stamp()
        for name, report in self.reports.items():
            mirror_state = self.state.mirror(name)
            mirror_state.dropped_told = False  # in the config again: told again if it leaves
            if report.ok:
                if not mirror_state.has_published:
                    self.newly_published.add(name)
                mirror_state.status = MirrorStatus.ACTIVE
                mirror_state.created_at = mirror_state.created_at or final.published_at
                mirror_state.updated_at = final.published_at
                mirror_state.facts = {**facts[name], **report.outcome.facts}
                mirror_state.memory = report.outcome.memory or mirror_state.memory
            else:
                mirror_state.status = MirrorStatus.FAILED
            mirror_state.last_result = report.as_json()
        self.state.stamps[FINAL_STAMP] = final
        if barrier.snapshot_stamp is not None:
            self.state.stamps[SNAPSHOT_STAMP] = barrier.snapshot_stamp
        self.state.version = max(self.state.version, final.version)
        save_state(self.config.state_dir, self.state)
