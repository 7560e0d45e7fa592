"""`mirrorpub build`: public/ as a complete copy, its manifest files saying what the last
publish said (or, before any publish, dated by the newest article: deterministic)."""

from __future__ import annotations

from datetime import UTC, datetime

from mirrorpub.config import Config
from mirrorpub.mirrors.registry import locate
from mirrorpub.model import MirrorStatus, Stamp
from mirrorpub.publish.copyfiles import known, manifest_files, page_links, site_info, write_copy
from mirrorpub.publish.lock import site_lock
from mirrorpub.publish.state import FINAL_STAMP, load_state
from mirrorpub.site.build import BuildResult, build_site
from mirrorpub.trust.manifest import ManifestMirror, next_stamp
from mirrorpub.trust.signing import load_signer

BUILD_LOCK_WAIT = 60.0


def build_only(config: Config, *, drafts: bool = False) -> BuildResult:
    """The site plus manifest files saying what the last publish said.

    Holds the site lock: a build must not rewrite public/ under a running publish, which
    would send files whose bytes no longer match the hashes it planned with."""
    with site_lock(config.state_dir, wait=BUILD_LOCK_WAIT):
        return _build_only(config, drafts)


def _build_only(config: Config, drafts: bool) -> BuildResult:
    state = load_state(config.state_dir)
    signer = load_signer(config)
    facts = {m.name: dict(state.mirror(m.name).facts) for m in config.mirrors}
    links = page_links(config, state, facts)
    fingerprint = signer.fingerprint if signer else None
    build = build_site(config, mirror_links=links, fingerprint=fingerprint, drafts=drafts)
    mirrors = [ManifestMirror(
        name=m.name, type=m.type,
        status=MirrorStatus.RETIRED if m.retired else state.mirror(m.name).status,
        location=locate(m, facts[m.name]), updated_at=state.mirror(m.name).updated_at,
        created_at=state.mirror(m.name).created_at) for m in known(config, state)]
    stamp = state.stamps.get(FINAL_STAMP) or _unpublished_stamp(build,
                                                                config.site.manifest_ttl_days)
    files = manifest_files(config, build, site_info(config, signer), stamp, mirrors, signer,
                           "build")
    write_copy(build.output_dir, files)
    return build


def _unpublished_stamp(build: BuildResult, ttl_days: int) -> Stamp:
    # Never published: date it by the newest article, so two builds stay byte-identical.
    newest = max((datetime.fromisoformat(e.updated or e.date) for e in build.entries),
                 default=datetime(1970, 1, 1, tzinfo=UTC))
    return next_stamp(None, "", now=newest, ttl_days=ttl_days, version=0)
