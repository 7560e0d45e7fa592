"""`mirrorpub bundle`: the built site as one zip, to read offline and hand on (SPEC §3);
`--car FILE`: the published IPFS copy as one CAR file, for services that take CARs (§9).

    build (manifest files included) -> the site's paths -> README in the site's language
    -> one deterministic zip (site/bundle.py), written beside the target and renamed over it
    car: the first mirror whose backend exports CARs and has published -> its node's
    dag/export of that root, written beside the target and renamed over it
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from mirrorpub import fsatomic, layout
from mirrorpub.config import Config, load_config
from mirrorpub.errors import BuildError, UsageError
from mirrorpub.mirrors.registry import backend_of
from mirrorpub.publish.local import build_only
from mirrorpub.publish.state import load_state
from mirrorpub.site.bundle import ZIP_FILE_MODE, folder_name, site_readme, write_zip
from mirrorpub.trust.signing import load_signer


@dataclass(frozen=True)
class BundleResult:
    path: Path
    size: int  # bytes of the zip
    files: int  # site files in it (README.txt not counted)
    folder: str  # the top folder the site unpacks into


def bundle(config_path: str, output: str | None = None) -> BundleResult:
    config = load_config(config_path)
    target = Path(output) if output else Path(f"{config.root.name or 'site'}-site.zip")
    return make_bundle(config, target)


@dataclass(frozen=True)
class CarResult:
    path: Path
    size: int
    root: str  # the copy's address, the CAR's only root
    mirror: str


def bundle_car(config_path: str, target: str) -> CarResult:
    config = load_config(config_path)
    state = load_state(config.state_dir)
    for mirror in config.mirrors:
        export = backend_of(mirror).export_car
        facts = state.mirrors[mirror.name].facts if mirror.name in state.mirrors else {}
        if export is not None and not mirror.retired and facts.get("cid"):
            path = Path(target)
            with _atomic_file(path) as handle:
                root = export(mirror, facts, handle.write)
            return CarResult(path=path, size=path.stat().st_size, root=root, mirror=mirror.name)
    raise UsageError(f"--car: {config.path.name} has no IPFS copy published from here yet "
                     "(run `mirrorpub publish` first)")


@contextlib.contextmanager
def _atomic_file(target: Path) -> Iterator[BinaryIO]:
    """A file written beside `target` and renamed over it once complete: never a
    half-written zip or CAR."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:40]}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise BuildError(f"bundle: cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, ZIP_FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        raise BuildError(f"bundle: cannot write {target}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def make_bundle(config: Config, target: Path) -> BundleResult:
    """Build the site and write it as one zip at `target` (atomically)."""
    build = build_only(config)
    folder = folder_name(config.site.title)
    published = build.output_dir / layout.BUNDLE
    if config.site.bundle and published.is_file():
        # The build already made the zip the mirrors carry: hand on the very same bytes.
        size, files = _copy_atomically(published, target)
        return BundleResult(path=target, size=size, files=files, folder=folder)
    signer = load_signer(config)
    paths = [*build.files, *layout.copies_pages(config.site.languages), layout.BC2,
             layout.MANIFEST]
    if signer is not None:  # a .sig left from an earlier key would fail every check
        paths.append(layout.SIGNATURE)
    readme = site_readme(config.site, folder, signer.public_text if signer else None,
                         signer.fingerprint if signer else None)
    size = _write_atomically(target, build.output_dir, paths, readme, folder)
    return BundleResult(path=target, size=size, files=len(paths), folder=folder)


def _copy_atomically(source: Path, target: Path) -> tuple[int, int]:
    """Copy a made zip to `target` atomically; its size and how many site files it holds."""
    try:
        fsatomic.copy_file(source, target, durable=True)
        os.chmod(target, ZIP_FILE_MODE)
        with zipfile.ZipFile(target) as archive:
            files = len(archive.namelist()) - 1  # README.txt is not a site file
    except (OSError, zipfile.BadZipFile) as exc:
        raise BuildError(f"bundle: cannot write {target}: {exc}") from None
    return target.stat().st_size, files


def _write_atomically(target: Path, output_dir: Path, paths: list[str], readme: str,
                      folder: str) -> int:
    """Write into a temporary file beside `target`, then rename: never a half-written zip."""
    with _atomic_file(target) as handle:
        write_zip(handle, output_dir, paths, readme, folder)
    return target.stat().st_size
