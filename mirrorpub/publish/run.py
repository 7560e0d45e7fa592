"""`mirrorpub publish`: build once, push to every mirror at once, one manifest (SPEC §7, §8).

    lock the site -> prepare mirrors (IPNS names) -> build -> plan every mirror
    -> apply all mirrors concurrently:
         content-addressed (IPFS): get their copy's manifest files at once, add, pin
         object stores: site files, then wait at the barrier for the final manifest
    -> barrier: when every mirror has sent its site files (or failed), the final manifest
       is made once, naming each mirror's status and the new IPFS CID (barrier.py)
    -> object stores finish: mirrors.html, index.html, mirrors.json, .sig, deletes
    -> follow-ups that may be slow and must not hold anyone up (IPNS)
    -> state saved

A failing mirror never stops the others; it is named with its reason and marked
`failed` in the manifest the others carry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.config import Config, MirrorConfig
from mirrorpub.errors import MirrorError, UsageError
from mirrorpub.mirrors.plan import DEFAULT_MAX_DELETES
from mirrorpub.mirrors.protocol import LocalSite, Mirror, Progress, SilentProgress
from mirrorpub.mirrors.registry import backend_of
from mirrorpub.model import MirrorStatus
from mirrorpub.publish.barrier import ManifestBarrier, RunFacts
from mirrorpub.publish.copyfiles import manifest_names, page_links
from mirrorpub.publish.lock import site_lock
from mirrorpub.publish.opened import OpenMirrors
from mirrorpub.publish.report import MirrorReport, PublishReport
from mirrorpub.publish.state import FINAL_STAMP, SNAPSHOT_STAMP, load_state, save_state
from mirrorpub.site.build import build_site
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
            lock_wait: float = 0.0, mirrors: OpenMirrors | None = None) -> PublishReport:
    """Publish the site. `mirrors` keeps mirrors open across calls (watch); without it,
    the mirrors this publish opens are closed when it ends."""
    chosen = selected_mirrors(config, only)
    options = _Options(dry_run, max_deletes, progress)
    with site_lock(config.state_dir, wait=lock_wait):
        if mirrors is not None:
            return _Run(config, chosen, options, mirrors).run()
        with OpenMirrors() as opened:
            return _Run(config, chosen, options, opened).run()


@dataclass(frozen=True)
class _Options:
    dry_run: bool
    max_deletes: int
    progress: ProgressFactory


class _Run:
    def __init__(self, config: Config, chosen: list[MirrorConfig], options: _Options,
                 opened: OpenMirrors) -> None:
        self.config = config
        self.chosen = chosen
        self.dry_run = options.dry_run
        self.max_deletes = options.max_deletes
        self.progress = options.progress
        self.opened = opened
        self.state = load_state(config.state_dir)
        self.signer = load_signer(config)
        self.reports = {m.name: MirrorReport(m.name, m.type) for m in chosen}
        self.mirrors: dict[str, Mirror] = {}  # the chosen ones that are ready to push
        self.prepared: dict[str, dict[str, Any]] = {}

    def run(self) -> PublishReport:
        facts = self._prepare()
        build = build_site(self.config, mirror_links=page_links(self.config, facts),
                           fingerprint=self.signer.fingerprint if self.signer else None)
        site = LocalSite(output_dir=build.output_dir, files=build.files,
                         manifest_names=manifest_names(self.config, self.signer))
        plans = self._plan_all(site)
        if self.dry_run:
            return PublishReport(self.state.version, False, True, build,
                                 list(self.reports.values()))
        barrier = ManifestBarrier(RunFacts(
            config=self.config, state=self.state, signer=self.signer, build=build,
            facts=facts, prepared=self.prepared, chosen=frozenset(self.reports),
            failed_early=frozenset(n for n, r in self.reports.items() if r.error)), set(plans))
        with ThreadPoolExecutor(max_workers=max(1, len(plans))) as pool:
            for name, plan in plans.items():
                pool.submit(self._push, name, plan, barrier)
        final = barrier.final_stamp()
        for path, data in barrier.final_files().items():  # public/ = a complete copy too
            fsatomic.write_if_changed(build.output_dir / path, data)
        self._record(barrier, facts)
        return PublishReport(final.version, barrier.changed, False, build,
                             list(self.reports.values()))

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
        try:
            content_addressed = backend_of(self.config.mirror(name)).content_addressed
            files = barrier.snapshot if content_addressed else (lambda: barrier.wait(name))
            report.outcome = mirror.apply(plan, files, self.progress(name), memory)
            report.ok = True
        except MirrorError as exc:
            report.error = exc.message
        except Exception as exc:  # a bug in one backend must not take the others down
            log.exception("mirror %s failed unexpectedly", name)
            report.error = f"unexpected error: {type(exc).__name__}: {exc}"
        finally:
            barrier.done(name, report.ok, report.outcome.facts)
        if report.ok:
            report.outcome.warnings.extend(mirror.follow_up(report.outcome, self.progress(name)))
        report.seconds += time.monotonic() - started

    def _record(self, barrier: ManifestBarrier, facts: dict[str, dict[str, Any]]) -> None:
        final = barrier.final_stamp()
        for name, report in self.reports.items():
            mirror_state = self.state.mirror(name)
            if report.ok:
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
