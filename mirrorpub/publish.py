"""`mirrorpub publish`: build once, push to every mirror at once, one manifest (SPEC §7, §8).

    lock the site -> prepare mirrors (IPNS names) -> build -> plan every mirror
    -> apply all mirrors concurrently:
         content-addressed (IPFS): get their copy's manifest files at once, add, pin
         object stores: site files, then wait at the barrier for the final manifest
    -> barrier: when every mirror has sent its site files (or failed), the final manifest
       is made once, naming each mirror's status and the new IPFS CID
    -> object stores finish: mirrors.html, index.html, mirrors.json, .sig, deletes
    -> follow-ups that may be slow and must not hold anyone up (IPNS)
    -> state saved

A failing mirror never stops the others; it is named with its reason and marked
`failed` in the manifest the others carry.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mirrorpub import fsatomic, manifestcache, sitepaths
from mirrorpub.build import BuildResult, build_site
from mirrorpub.config import Config
from mirrorpub.errors import EXIT_MIRROR_FAILED, EXIT_OK, EXIT_USAGE, MirrorError, MirrorpubError
from mirrorpub.lock import site_lock
from mirrorpub.manifest import ManifestMirror, SiteInfo, content_digest, next_stamp, render_files
from mirrorpub.mirrors.protocol import LocalSite, Mirror, Outcome, Progress, SilentProgress
from mirrorpub.mirrors.registry import MirrorConfig, locate, open_mirror
from mirrorpub.pages import MirrorLink
from mirrorpub.plan import DEFAULT_MAX_DELETES
from mirrorpub.signing import Signer, load_signer
from mirrorpub.state import SiteState, Stamp, load_state, save_state

log = logging.getLogger(__name__)


class UsageError(MirrorpubError):
    exit_code = EXIT_USAGE


@dataclass
class MirrorReport:
    name: str
    type: str
    ok: bool = False
    error: str | None = None
    seconds: float = 0.0
    plan: str = ""
    plan_lines: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)

    def as_json(self) -> dict[str, Any]:
        o = self.outcome
        return {"name": self.name, "type": self.type, "ok": self.ok and not o.problem,
                "error": self.error or o.problem, "seconds": round(self.seconds, 3),
                "plan": self.plan, "uploaded": o.uploaded, "bytes_sent": o.bytes_sent,
                "deleted": o.deleted, "requests": o.requests, "warnings": o.warnings,
                **{k: v for k, v in o.facts.items() if isinstance(v, str | int)}}


@dataclass
class PublishReport:
    version: int
    changed: bool
    dry_run: bool
    build: BuildResult
    mirrors: list[MirrorReport]

    @property
    def exit_code(self) -> int:
        bad = any(not m.ok or m.outcome.problem for m in self.mirrors)
        return EXIT_MIRROR_FAILED if bad and not self.dry_run else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "changed": self.changed, "dry_run": self.dry_run,
                "files": len(self.build.files), "mirrors": [m.as_json() for m in self.mirrors]}


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


def page_links(config: Config, facts: Mapping[str, Mapping[str, Any]]) -> tuple[MirrorLink, ...]:
    """The copies every page names: those with a stable address for each page."""
    links = []
    for mirror in config.mirrors:
        if mirror.retired:
            continue
        location = locate(mirror, facts.get(mirror.name, {}))
        if location.page_base:
            links.append(MirrorLink(mirror.name, mirror.type, location.page_base))
    return tuple(links)


def site_info(config: Config, signer: Signer | None) -> SiteInfo:
    return SiteInfo(title=config.site.title, language=config.site.language,
                    main_domain=config.site.main_domain, blocked_help=config.site.blocked_help,
                    public_key=signer.public_text if signer else None,
                    fingerprint=signer.fingerprint if signer else None)


def publish(config: Config, *, only: list[str] | None = None, dry_run: bool = False,
            max_deletes: int = DEFAULT_MAX_DELETES,
            progress: ProgressFactory = lambda name: SilentProgress(),
            lock_wait: float = 0.0) -> PublishReport:
    chosen = selected_mirrors(config, only)
    with site_lock(config.state_dir, wait=lock_wait):
        return _Run(config, chosen, dry_run, max_deletes, progress).run()


class _Run:
    def __init__(self, config: Config, chosen: list[MirrorConfig], dry_run: bool,
                 max_deletes: int, progress: ProgressFactory) -> None:
        self.config = config
        self.chosen = chosen
        self.dry_run = dry_run
        self.max_deletes = max_deletes
        self.progress = progress
        self.state = load_state(config.state_dir)
        self.signer = load_signer(config)
        self.reports = {m.name: MirrorReport(m.name, m.type) for m in chosen}
        # Opening does no I/O; every mirror is opened to know which are content-addressed.
        self.opened: dict[str, Mirror] = {m.name: open_mirror(m) for m in config.mirrors
                                          if not m.retired}
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
        manifests = _Manifests(self, build, facts, plans)
        with ThreadPoolExecutor(max_workers=max(1, len(plans))) as pool:
            for name, plan in plans.items():
                pool.submit(self._push, name, plan, manifests)
        final = manifests.final_stamp()
        for path, data in manifests.final_files().items():  # public/ = a complete copy too
            fsatomic.write_if_changed(build.output_dir / path, data)
        self._record(manifests, facts)
        return PublishReport(final.version, manifests.changed, False, build,
                             list(self.reports.values()))

    def _prepare(self) -> dict[str, dict[str, Any]]:
        facts = {m.name: dict(self.state.mirror(m.name).facts) for m in self.config.mirrors}
        for config in self.chosen:
            mirror = self.opened[config.name]
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

    def _push(self, name: str, plan: Any, manifests: _Manifests) -> None:
        report, mirror = self.reports[name], self.mirrors[name]
        started = time.monotonic()
        memory = self.state.mirror(name).memory
        try:
            files = manifests.snapshot if mirror.content_addressed else \
                (lambda: manifests.wait(name))
            report.outcome = mirror.apply(plan, files, self.progress(name), memory)
            report.ok = True
        except MirrorError as exc:
            report.error = exc.message
        except Exception as exc:  # a bug in one backend must not take the others down
            log.exception("mirror %s failed unexpectedly", name)
            report.error = f"unexpected error: {type(exc).__name__}: {exc}"
        finally:
            manifests.done(name, report.ok, report.outcome.facts)
        if report.ok:
            report.outcome.warnings.extend(mirror.follow_up(report.outcome, self.progress(name)))
        report.seconds += time.monotonic() - started

    def _record(self, manifests: _Manifests, facts: dict[str, dict[str, Any]]) -> None:
        final = manifests.final_stamp()
        for name, report in self.reports.items():
            mirror_state = self.state.mirror(name)
            if report.ok:
                mirror_state.status = "active"
                mirror_state.created_at = mirror_state.created_at or final.published_at
                mirror_state.updated_at = final.published_at
                mirror_state.facts = {**facts[name], **report.outcome.facts}
                mirror_state.memory = report.outcome.memory or mirror_state.memory
            else:
                mirror_state.status = "failed"
            mirror_state.last_result = report.as_json()
        self.state.stamps["final"] = final
        if manifests.ipfs_stamp is not None:
            self.state.stamps["ipfs"] = manifests.ipfs_stamp
        self.state.version = max(self.state.version, final.version)
        save_state(self.config.state_dir, self.state)


class _Manifests:
    """Makes each copy's manifest files, and holds object stores until all are ready."""

    def __init__(self, run: _Run, build: BuildResult, facts: dict[str, dict[str, Any]],
                 plans: Mapping[str, Any]) -> None:
        self.run = run
        self.build = build
        self.facts = facts
        self.now = datetime.now(UTC)
        self.info = site_info(run.config, run.signer)
        self.waiting = set(plans)  # mirrors that have not yet reached the barrier
        self.results: dict[str, tuple[bool, Mapping[str, Any]]] = {}
        self.lock = threading.Condition()
        self.ipfs_stamp: Stamp | None = None
        self._snapshot: dict[str, bytes] | None = None
        self._final: dict[str, bytes] | None = None
        self._final_stamp: Stamp | None = None
        self.changed = False

    # -- for content-addressed copies: made before anything is known of this run --------
    def snapshot(self) -> Mapping[str, bytes]:
        with self.lock:
            if self._snapshot is None:
                mirrors = self._mirrors(published={}, snapshot=True)
                digest = content_digest(self.info, mirrors, self.build.files)
                self.ipfs_stamp = self._stamp("ipfs", digest)
                self._snapshot = self._render("ipfs", self.ipfs_stamp, mirrors)
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
            failed |= {n for n, r in self.run.reports.items() if r.error and n not in
                       self.results}
            mirrors = self._mirrors(published=published, failed=failed)
            digest = content_digest(self.info, mirrors, self.build.files)
            fresh_ipfs = self.ipfs_stamp is not None and self.ipfs_stamp.version > \
                self.run.state.version
            if fresh_ipfs:  # the IPFS copy already took the new version: share it
                assert self.ipfs_stamp is not None
                self._final_stamp = Stamp(self.ipfs_stamp.version, self.ipfs_stamp.published_at,
                                          self.ipfs_stamp.expires_at, digest)
            else:
                self._final_stamp = self._stamp("final", digest)
            self.changed = self._final_stamp.version > self.run.state.version
            self._final = self._render("final", self._final_stamp, mirrors)
        return self._final

    # -- shared -----------------------------------------------------------------------------
    def _stamp(self, variant: str, digest: str) -> Stamp:
        state = self.run.state
        latest = max([state.version, *(s.version for s in (self.ipfs_stamp,) if s)])
        return next_stamp(state.stamps.get(variant), digest, now=self.now,
                          ttl_days=self.run.config.site.manifest_ttl_days, version=latest + 1)

    def _mirrors(self, *, published: Mapping[str, Mapping[str, Any]],
                 failed: set[str] | frozenset[str] = frozenset(),
                 snapshot: bool = False) -> list[ManifestMirror]:
        state: SiteState = self.run.state
        chosen = {m.name for m in self.run.chosen}
        out = []
        for config in self.run.config.mirrors:
            remembered = state.mirror(config.name)
            facts = dict(self.facts.get(config.name, {}))
            opened = self.run.opened.get(config.name)
            if snapshot and opened is not None and opened.content_addressed:
                # Made before this run's content-addressed copies exist: their new address
                # is unknown, and an old one would be stale in the copy that replaces it.
                facts = dict(self.run.prepared.get(config.name, {}))
            if config.name in published:
                facts.update(published[config.name])
            if config.retired:
                status = "retired"
            elif config.name in failed:
                status = "failed"
            elif config.name in chosen:
                status = "active"
            else:
                status = remembered.status
            out.append(ManifestMirror(
                name=config.name, type=config.type, status=status,
                location=locate(config, facts), updated_at=remembered.updated_at,
                created_at=remembered.created_at))
        return out

    def _render(self, variant: str, stamp: Stamp,
                mirrors: list[ManifestMirror]) -> dict[str, bytes]:
        return manifest_files(self.run.config, self.build, self.info, stamp, mirrors,
                              self.run.signer, variant)


def manifest_files(config: Config, build: BuildResult, info: SiteInfo, stamp: Stamp,
                   mirrors: list[ManifestMirror], signer: Signer | None,
                   variant: str) -> dict[str, bytes]:
    """One copy's manifest files; the kept bytes when nothing they show has changed."""
    renderer = build.renderer
    # `mirrorpub build` reuses the last publish's stamp for a site edited since: the site
    # files count on their own, not through the stamp's digest.
    files = hashlib.sha256("".join(f"{p}\0{e.sha256}\0{e.size}\n"
                                   for p, e in build.files.items()).encode()).hexdigest()
    inputs = [asdict(stamp), [asdict(m) for m in mirrors], asdict(info), files,
              renderer.theme.digest, renderer.site.digest(), config.site.bundle]
    return manifestcache.rendered(config.state_dir, variant, inputs, lambda: render_files(
        site=info, renderer=renderer, stamp=stamp, mirrors=mirrors, files=build.files,
        signer=signer, bundler=_bundler(config, build, signer)))


def manifest_names(config: Config, signer: Signer | None) -> frozenset[str]:
    """The per-copy files this site's publishes write (the others are left to be deleted)."""
    skip = set()
    if signer is None:
        skip.add(sitepaths.SIGNATURE)
    if not config.site.bundle:
        skip.add(sitepaths.BUNDLE)
    return frozenset(sitepaths.MANIFEST_FILES) - skip


def _bundler(config: Config, build: BuildResult, signer: Signer | None) -> Any:
    if not config.site.bundle:
        return None
    from mirrorpub.bundle import bundler

    return bundler(config, build.output_dir, list(build.files), signer)


BUILD_LOCK_WAIT = 60.0


def build_only(config: Config) -> BuildResult:
    """`mirrorpub build`: the site plus manifest files saying what the last publish said.

    Holds the site lock: a build must not rewrite public/ under a running publish, which
    would send files whose bytes no longer match the hashes it planned with."""
    with site_lock(config.state_dir, wait=BUILD_LOCK_WAIT):
        return _build_only(config)


def _build_only(config: Config) -> BuildResult:
    state = load_state(config.state_dir)
    signer = load_signer(config)
    facts = {m.name: dict(state.mirror(m.name).facts) for m in config.mirrors}
    links = page_links(config, facts)
    fingerprint = signer.fingerprint if signer else None
    build = build_site(config, mirror_links=links, fingerprint=fingerprint)
    mirrors = [ManifestMirror(
        name=m.name, type=m.type, status="retired" if m.retired else state.mirror(m.name).status,
        location=locate(m, facts[m.name]), updated_at=state.mirror(m.name).updated_at,
        created_at=state.mirror(m.name).created_at) for m in config.mirrors]
    stamp = state.stamps.get("final") or _unpublished_stamp(build, config.site.manifest_ttl_days)
    files = manifest_files(config, build, site_info(config, signer), stamp, mirrors, signer,
                           "build")
    for path, data in files.items():
        fsatomic.write_if_changed(build.output_dir / path, data)
    return build


def _unpublished_stamp(build: BuildResult, ttl_days: int) -> Stamp:
    # Never published: date it by the newest article, so two builds stay byte-identical.
    newest = max((datetime.fromisoformat(e.updated or e.date) for e in build.entries),
                 default=datetime(1970, 1, 1, tzinfo=UTC))
    return next_stamp(None, "", now=newest, ttl_days=ttl_days, version=0)
