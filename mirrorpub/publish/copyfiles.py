"""What each copy says of the others: the copies every page names, and each copy's
manifest files (the copies pages, bc2.json, mirrors.json, its signature, the optional zip),
reused from the last publish when they would say the same.

Readers are told only of copies that completed a publish at least once (`known`): a
mistyped bucket that never took a file, or a private one readers cannot open, must not
send them to an address anyone could register and serve an impostor from. Pages and
manifests are made before a publish sends anything, so a new copy is named by the
publish after its first success, which run.py starts at once; or, when it could prove
itself before the pages were made (probe.py), by this one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic, layout
from mirrorpub.config import Config, MirrorConfig
from mirrorpub.mirrors.registry import locate
from mirrorpub.model import MirrorStatus, Stamp
from mirrorpub.publish import kept
from mirrorpub.publish.state import SiteState
from mirrorpub.site import bundle
from mirrorpub.site.build import BuildResult
from mirrorpub.site.pages import MirrorLink
from mirrorpub.trust import keys
from mirrorpub.trust.manifest import ManifestMirror, SiteInfo, render_files
from mirrorpub.trust.signing import Signer


def known(config: Config, state: SiteState,
          proved: frozenset[str] = frozenset()) -> list[MirrorConfig]:
    """The mirrors readers may be told about: those that completed a publish at least once,
    and those this publish `proved` before making its pages (probe.py)."""
    return [m for m in config.mirrors if state.has_published(m.name) or m.name in proved]


def page_links(config: Config, state: SiteState, facts: Mapping[str, Mapping[str, Any]],
               proved: frozenset[str] = frozenset()) -> tuple[MirrorLink, ...]:
    """The copies every page names: known ones with a stable address for each page."""
    links = []
    for mirror in known(config, state, proved):
        if mirror.retired:
            continue
        location = locate(mirror, facts.get(mirror.name, {}))
        if location.page_base:
            links.append(MirrorLink(mirror.name, mirror.type, location.page_base))
    return tuple(links)


def site_info(config: Config, signer: Signer | None) -> SiteInfo:
    published = key_files(config, signer)
    data = published.get(layout.KEYS)
    root = keys.parse(data).root if data else None
    return SiteInfo(title=config.site.title, language=config.site.language,
                    main_domain=config.site.main_domain, blocked_help=config.site.blocked_help,
                    public_key=signer.public_text if signer else None,
                    fingerprint=signer.fingerprint if signer else None,
                    root_key=root, root_fingerprint=keys.root_fingerprint(data) if data else None,
                    keys_sha256=hashlib.sha256(data).hexdigest() if data else None)


def key_files(config: Config, signer: Signer | None) -> dict[str, bytes]:
    """keys.json and its signature, as every copy carries them ({} without a root key).
    Raises SigningError when `signer` may not sign under that list."""
    return keys.site_key_files(config.site.keys_file, signer, datetime.now(UTC))


def manifest_files(config: Config, build: BuildResult, info: SiteInfo, stamp: Stamp,
                   mirrors: list[ManifestMirror], signer: Signer | None,
                   variant: str) -> dict[str, bytes]:
    """One copy's manifest files; the kept bytes when nothing they show has changed."""
    renderer = build.renderer
    mirrors = [_created(m, stamp) for m in mirrors]
    # `mirrorpub build` reuses the last publish's stamp for a site edited since: the site
    # files count on their own, not through the stamp's digest.
    inputs = [asdict(stamp), [_shown(m) for m in mirrors], asdict(info), build.files_digest,
              renderer.theme.digest, renderer.words.digest_all, renderer.site.digest(),
              config.site.bundle]
    return kept.rendered(config.state_dir, variant, inputs, lambda: render_files(
        site=info, renderer=renderer, stamp=stamp, mirrors=mirrors, files=build.files,
        signer=signer, bundler=_bundler(config, build, signer),
        published=key_files(config, signer), order=build.ranks()))


def _created(mirror: ManifestMirror, stamp: Stamp) -> ManifestMirror:
    """A mirror in its first publish is created at this stamp's time (bc2.json), as the
    next publish remembers it: shown so now, the kept files of that publish still match
    (else it made every manifest file again, to the same bytes: 3 s at 100,000 articles)."""
    return mirror if mirror.created_at else replace(mirror, created_at=stamp.published_at)


def _shown(mirror: ManifestMirror) -> dict[str, Any]:
    """A mirror as its manifest files show it: an active one is "updated" at the stamp's
    time, not at its last publish's (which moves on while the stamp is kept)."""
    if mirror.status == MirrorStatus.ACTIVE:
        mirror = replace(mirror, updated_at=None)
    return asdict(mirror)


def write_copy(output_dir: Path, files: Mapping[str, bytes]) -> None:
    """The manifest files into public/, which stays a complete copy: only the parts its
    mirrors.json names (nobody reads it mid-publish, so no older part is kept)."""
    for path, data in files.items():
        fsatomic.write_if_changed(output_dir / path, data)
    folder = output_dir / layout.PARTS_DIR
    for old in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if layout.is_part(f"{layout.PARTS_DIR}/{old.name}") and \
                f"{layout.PARTS_DIR}/{old.name}" not in files:
            old.unlink(missing_ok=True)


def manifest_names(config: Config, signer: Signer | None) -> frozenset[str]:
    """The per-copy files this site's publishes write (the others are left to be deleted)."""
    skip = set()
    if signer is None:
        skip.add(layout.SIGNATURE)
    if not config.site.bundle:
        skip.add(layout.BUNDLE)
    if not config.site.keys_file.exists():
        skip |= {layout.KEYS, layout.KEYS_SIGNATURE}
    return frozenset(layout.manifest_files(config.site.languages)) - skip


def _bundler(config: Config, build: BuildResult,
             signer: Signer | None) -> Callable[[Mapping[str, bytes]], bytes] | None:
    if not config.site.bundle:
        return None
    return bundle.bundler(config.site, build.output_dir, list(build.files),
                          signer.public_text if signer else None,
                          signer.fingerprint if signer else None)
