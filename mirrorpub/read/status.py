"""`mirrorpub status`: every mirror, fetched anonymously at its public URL as a reader would.

    for every configured mirror that is not retired, all at once, within the read limits
    of fetch.ReadLimits (each copy its own byte allowance, one deadline for the run):
      where readers find it   s3: its public_url; ipfs: every gateway URL of the CID last
                              published (from .mirrorpub/state.json) and the IPNS URL;
                              directory: its folder
      reachable?              mirrors.json answers; a 403 means readers are turned away
      which version, how old  the copy's own manifest (version, published_at)
      current?                its version against the one last published from here
      genuine?                its signature, when the site has a signing key here
      intact?                 every file's sha256 and size against the copy's own manifest
                              (one GET per file: the only way to see what readers get)
      vs the local build      which files its manifest lists differently from public/
                              (shown, not counted: it only means unpublished changes)

Exit code: 0 when every copy is current and intact; 3 when any is stale, broken,
unreachable, refuses readers or was never published. 3 is publish's "a mirror needs you",
so scripts and monitors treat both commands alike; 1 stays reserved for a wrong config.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mirrorpub import layout
from mirrorpub.config import Config, MirrorConfig
from mirrorpub.errors import (
    EXIT_MIRROR_FAILED,
    EXIT_OK,
    FetchError,
    NotFound,
    Refused,
    SigningError,
    Unreachable,
    VerifyError,
)
from mirrorpub.formats import iso, parse_iso
from mirrorpub.mirrors.protocol import Backend
from mirrorpub.mirrors.registry import backend_of
from mirrorpub.model import CopyState, Location, MirrorStatus
from mirrorpub.publish.state import SNAPSHOT_STAMP, SiteState, load_state
from mirrorpub.read.fetch import Copy, ReadLimits, open_copy
from mirrorpub.read.parts import listed_files
from mirrorpub.read.verify import (
    FileProblem,
    check_files,
    expiry_problem,
    extra_files,
    load_manifest,
    signature_status,
    stopped_problem,
)

log = logging.getLogger(__name__)

LIMITS = ReadLimits(timeout=15.0)
PARALLEL_COPIES = 8


@dataclass
class CopyStatus:
    """One address of one mirror, as a reader finds it."""

    mirror: str
    type: str
    url: str | None
    expected_version: int | None
    state: CopyState = CopyState.OK
    version: int | None = None
    published_at: str | None = None
    expires_at: str | None = None
    age_seconds: int | None = None
    signature: str = "unchecked"
    files_checked: int = 0
    problems: list[str] = field(default_factory=list)
    bad_files: list[FileProblem] = field(default_factory=list)
    local_diff: list[FileProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept_by: dict[str, str] = field(default_factory=dict)  # pin service -> state there

    @property
    def ok(self) -> bool:
        return self.state == CopyState.OK

    def fail(self, state: CopyState, problem: str) -> None:
        if state.rank < self.state.rank:  # a copy shows the worst thing found about it
            self.state = state
        self.problems.append(problem)

    def as_json(self) -> dict[str, Any]:
        return {
            "mirror": self.mirror, "type": self.type, "url": self.url, "state": self.state,
            "ok": self.ok, "version": self.version, "expected_version": self.expected_version,
            "current": self.version is not None and self.version == self.expected_version,
            "published_at": self.published_at, "expires_at": self.expires_at,
            "age_seconds": self.age_seconds, "signature": self.signature,
            "files_checked": self.files_checked, "problems": list(self.problems),
            "bad_files": [p.as_json() for p in self.bad_files],
            "differs_from_local_build": [p.as_json() for p in self.local_diff],
            "notes": list(self.notes), "pin_services": dict(self.kept_by),
        }


@dataclass
class StatusReport:
    site: str
    version: int  # the last version published from here (0: never)
    published_at: str | None
    checked_at: str
    copies: list[CopyStatus]
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if all(c.ok for c in self.copies) else EXIT_MIRROR_FAILED

    def as_json(self) -> dict[str, Any]:
        return {"site": self.site, "version": self.version, "published_at": self.published_at,
                "checked_at": self.checked_at, "ok": self.exit_code == EXIT_OK,
                "copies": [c.as_json() for c in self.copies], "notes": list(self.notes)}


@dataclass(frozen=True)
class _Context:
    """What every copy is compared with."""

    public_key: Any  # the site's Ed25519 public key, or None
    local_files: Mapping[str, Any] | None  # `files` of public/mirrors.json
    now: datetime
    limits: ReadLimits
    deadline: float  # time.monotonic() when the whole run must end


def check_all(config: Config, *, now: datetime | None = None,
              limits: ReadLimits = LIMITS) -> StatusReport:
    state = load_state(config.state_dir)
    notes: list[str] = []
    context = _Context(public_key=_public_key(config, notes),
                       local_files=_local_files(config, notes),
                       now=now or datetime.now(UTC), limits=limits,
                       deadline=time.monotonic() + limits.run_seconds)
    targets = [t for m in config.mirrors if not m.retired for t in _targets(m, state)]
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_COPIES, len(targets)))) as pool:
        copies = list(pool.map(lambda t: _check_target(*t, context), targets))
    _add_local_problems(config, state, copies)
    final = state.stamps.get("final")
    if not config.mirrors:
        notes.append(f"{config.path.name} lists no mirrors")
    return StatusReport(site=config.site.title, version=state.version,
                        published_at=final.published_at if final else None,
                        checked_at=iso(context.now), copies=copies, notes=notes)


def _targets(mirror: MirrorConfig, state: SiteState) -> list[tuple[MirrorConfig, str | None,
                                                                 int | None]]:
    """Every address readers are given for this mirror, with the version it should serve."""
    remembered = state.mirrors.get(mirror.name)
    backend = backend_of(mirror)
    facts = remembered.facts if remembered else {}
    urls = backend.check_addresses(mirror, facts) if backend.check_addresses else \
        _public_addresses(backend.locate(mirror, facts))
    # A content-addressed copy carries the manifest made for it, whose version may trail
    # the others' -- unless the last publish failed to update it: then it is behind the
    # version the editor last published, whatever it was given before.
    failed = remembered is not None and remembered.status == MirrorStatus.FAILED
    stamp = (state.stamps.get(SNAPSHOT_STAMP)
             if backend.content_addressed and not failed else None) or state.stamps.get("final")
    published_here = remembered is not None and remembered.updated_at is not None
    expected = stamp.version if stamp and published_here else None
    if not urls:
        return [(mirror, None, expected)]
    return [(mirror, url, expected) for url in urls]


def _public_addresses(location: Location) -> list[str]:
    urls = list(location.extra.get("gateway_urls") or ([location.url] if location.url else []))
    ipns_url = location.extra.get("ipns_url")
    if ipns_url and ipns_url not in urls:
        urls.append(ipns_url)
    return urls


def _public_key(config: Config, notes: list[str]) -> Any:
    from mirrorpub.trust.signing import load_signer

    try:
        signer = load_signer(config)
    except SigningError as exc:
        notes.append(f"signatures not checked: {exc}")
        return None
    if signer is None:
        notes.append("the site has no signing key: copies cannot be shown genuine (see "
                     "`mirrorpub keygen`)")
        return None
    return signer.public_key


def _local_files(config: Config, notes: list[str]) -> Mapping[str, Any] | None:
    """What public/mirrors.json lists (either format), or None with a note."""
    try:
        local = open_copy(str(config.site.output_dir))
        with closing(local):
            return listed_files(local, load_manifest(local)[1])
    except VerifyError:
        notes.append(f"no local build at {config.site.output_dir} to compare with (run "
                     "`mirrorpub build`)")
        return None


# --- one copy -------------------------------------------------------------------------------

def _check_target(mirror: MirrorConfig, url: str | None, expected: int | None,
                  context: _Context) -> CopyStatus:
    status = CopyStatus(mirror=mirror.name, type=mirror.type, url=url,
                        expected_version=expected)
    if url is None:
        status.fail(CopyState.UNPUBLISHED, "never published: no address known yet (run "
                                   "`mirrorpub publish`)")
        return status
    try:
        copy = open_copy(url, limits=context.limits, deadline=context.deadline)
    except VerifyError as exc:
        state = CopyState.UNREACHABLE if expected is not None else CopyState.UNPUBLISHED
        status.fail(state, str(exc))
        return status
    status.url = copy.root
    with closing(copy):
        try:
            _check_copy(copy, status, context, backend_of(mirror))
        except Exception as exc:  # one copy's surprise must not hide the others' results
            log.debug("checking %s failed", copy.root, exc_info=True)
            status.fail(CopyState.UNREACHABLE,
                        f"{copy.root}: unexpected error: {type(exc).__name__}")
    return status


def _add_local_problems(config: Config, state: SiteState, copies: list[CopyStatus]) -> None:
    """What only this machine can check (an onion's key against tor's files; which pin
    services keep an IPFS copy), once per mirror, on its first address."""
    for mirror in config.mirrors:
        backend = backend_of(mirror)
        first = next((c for c in copies if c.mirror == mirror.name), None)
        if first is None:
            continue
        remembered = state.mirrors.get(mirror.name)
        facts = remembered.facts if remembered else {}
        if backend.local_problems is not None:
            for problem in backend.local_problems(mirror, facts):
                first.fail(CopyState.BROKEN, problem)
        if backend.kept_elsewhere is not None:
            first.kept_by, problems = backend.kept_elsewhere(mirror, facts)
            first.notes += [f"pin service {n!r}: {s}" for n, s in sorted(first.kept_by.items())]
            for problem in problems:
                first.fail(CopyState.BROKEN, problem)


def _check_copy(copy: Copy, status: CopyStatus, context: _Context, backend: Backend) -> None:
    try:
        data, doc = load_manifest(copy)
    except Refused as exc:
        _refused(status, exc, backend)
        return
    except NotFound as exc:
        if status.expected_version is None:
            status.fail(CopyState.UNPUBLISHED, f"{exc}: never published here")
        else:
            status.fail(CopyState.BROKEN, f"{exc}: the manifest is gone; publish again")
        return
    except Unreachable as exc:
        status.fail(CopyState.UNREACHABLE, str(exc))
        return
    except VerifyError as exc:  # the manifest is there but unusable
        status.fail(CopyState.BROKEN, str(exc))
        return
    _describe_manifest(doc, status, context)
    if context.public_key is not None:
        status.signature, problem = signature_status(copy, data, context.public_key)
        if problem:
            status.fail(CopyState.BROKEN, problem)
    try:
        files = listed_files(copy, doc)
    except VerifyError as exc:  # a part missing, altered or hostile
        status.fail(CopyState.BROKEN, str(exc))
        return
    status.bad_files, unchecked = check_files(copy, files)
    status.files_checked = len(files) - unchecked
    stopped = stopped_problem(copy, unchecked, len(files))
    if stopped:
        status.fail(CopyState.UNREACHABLE, stopped)
    elif copy.is_local:
        try:
            status.bad_files += [FileProblem(path, "not in the manifest (not part of the site)")
                                 for path in extra_files(copy, files)]
        except FetchError as exc:
            status.fail(CopyState.UNREACHABLE, f"{exc}: the folder cannot be listed")
    if status.bad_files:
        count = len(status.bad_files)
        status.fail(CopyState.BROKEN,
                    f"{count} file{'s' if count != 1 else ''} missing, altered or not in the "
                    f"copy's own manifest ({len(files)} listed):")
    status.local_diff = _local_diff(files, context.local_files)


def _refused(status: CopyStatus, exc: Refused, backend: Backend) -> None:
    state = CopyState.REFUSED if status.expected_version is not None else CopyState.UNPUBLISHED
    status.fail(state, backend.refused_hint or f"{exc}: this copy refuses anonymous readers")
    if backend.refused_note:
        status.notes.append(f"{exc.url}: {backend.refused_note}")


def _describe_manifest(doc: Mapping[str, Any], status: CopyStatus, context: _Context) -> None:
    status.version = doc["version"]
    status.published_at = doc["published_at"]
    status.expires_at = doc["expires_at"]
    status.age_seconds = int((context.now - parse_iso(doc["published_at"])).total_seconds())
    expected = status.expected_version
    if expected is None:
        status.notes.append("this computer has no record of a publish to this mirror; "
                            "nothing to compare the version with")
    elif doc["version"] < expected:
        status.fail(CopyState.STALE, f"serves version {doc['version']}, the current one is "
                                     f"{expected}: publish again to update it")
    elif doc["version"] > expected:
        status.notes.append(f"serves version {doc['version']}, newer than {expected} "
                            "published from here (published from another computer?)")
    problem = expiry_problem(doc, context.now)
    if problem:
        status.fail(CopyState.STALE, problem)


def _local_diff(files: Mapping[str, Any], local: Mapping[str, Any] | None) -> list[FileProblem]:
    """Where the copy's manifest and the local build's disagree (per-copy files aside)."""
    if local is None:
        return []
    out = []
    for path in sorted(p for p in set(files) | set(local) if not layout.is_manifest_file(p)):
        theirs, ours = files.get(path), local.get(path)
        if ours is None:
            out.append(FileProblem(path, "on the copy, not in the local build"))
        elif theirs is None:
            out.append(FileProblem(path, "in the local build, not on the copy"))
        elif theirs.get("sha256") != ours.get("sha256"):
            out.append(FileProblem(path, "differs from the local build"))
    return out
