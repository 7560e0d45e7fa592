"""`mirrorpub bundle`: the built site as one zip, to read offline and hand on (SPEC §3).

    build (manifest files included) -> the site's paths -> README in the site's language
    -> one deterministic zip, written beside the target and renamed over it

Layout of the zip:

    README.txt                  how to open the copy and how to check it
    <folder>/index.html …       the whole site, with mirrors.json (+ .sig)

README.txt stays outside the site folder, so `mirrorpub verify <folder>` sees exactly the
files the manifest lists.

Same site, same bytes: entries sorted, every timestamp 1980-01-01 (the earliest a zip can
hold), permissions 0644, deflate at zlib's default level (pictures stored as they are). A
bundle's checksum can then be published beside it, and re-making it changes nothing (zlib's
output is stable for a given zlib version).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mirrorpub import fsatomic, sitepaths
from mirrorpub.config import Config
from mirrorpub.errors import BuildError
from mirrorpub.signing import Signer, load_signer
from mirrorpub.slugs import slugify
from mirrorpub.theme import Theme

README = "README.txt"
DEFAULT_FOLDER = "site"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # a regular file, rw-r--r--
ZIP_FILE_MODE = 0o644  # of the zip itself: something to hand on, not a secret
_UNIX = 3  # ZipInfo.create_system: makes unzip honour FILE_MODE
# Already compressed: storing them is as small and much faster.
_STORED = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".mp3", ".ogg",
                     ".mp4", ".webm", ".zip", ".gz", ".woff2"})


@dataclass(frozen=True)
class BundleResult:
    path: Path
    size: int  # bytes of the zip
    files: int  # site files in it (README.txt not counted)
    folder: str  # the top folder the site unpacks into


def make_bundle(config: Config, target: Path) -> BundleResult:
    """Build the site and write it as one zip at `target` (atomically)."""
    # Imported here: the publisher may itself use bundle_bytes to put the zip on mirrors.
    from mirrorpub.publish import build_only

    build = build_only(config)
    folder = folder_name(config.site.title)
    published = build.output_dir / sitepaths.BUNDLE
    if config.site.bundle and published.is_file():
        # The build already made the zip the mirrors carry: hand on the very same bytes.
        size, files = _copy_atomically(published, target)
        return BundleResult(path=target, size=size, files=files, folder=folder)
    signer = load_signer(config)
    paths = [*build.files, sitepaths.MIRRORS_PAGE, sitepaths.BC2, sitepaths.MANIFEST]
    if signer is not None:  # a .sig left from an earlier key would fail every check
        paths.append(sitepaths.SIGNATURE)
    readme = readme_text(Theme(config.site.templates_dir).labels(config.site.language),
                         title=config.site.title, folder=folder,
                         key=signer.public_text if signer else None,
                         fingerprint=signer.fingerprint if signer else None)
    size = _write_atomically(target, build.output_dir, paths, readme, folder)
    return BundleResult(path=target, size=size, files=len(paths), folder=folder)


def bundle_bytes(output_dir: Path, paths: list[str], readme: str, *,
                 folder: str = DEFAULT_FOLDER, extra: Mapping[str, bytes] = {}) -> bytes:
    """The zip of `paths` (site-relative, under `output_dir`) plus `extra` files given as
    bytes, as bytes; pure, deterministic."""
    buffer = io.BytesIO()
    write_zip(buffer, output_dir, paths, readme, folder, extra)
    return buffer.getvalue()


def bundler(config: Config, output_dir: Path, site_paths: list[str],
            signer: Signer | None) -> Callable[[Mapping[str, bytes]], bytes]:
    """For `site.bundle`: makes the zip published on the mirrors, from the site files and
    one copy's manifest files (which cannot list the zip: it cannot contain itself)."""
    folder = folder_name(config.site.title)
    readme = readme_text(Theme(config.site.templates_dir).labels(config.site.language),
                         title=config.site.title, folder=folder,
                         key=signer.public_text if signer else None,
                         fingerprint=signer.fingerprint if signer else None)
    return lambda manifest_files: bundle_bytes(output_dir, site_paths, readme, folder=folder,
                                               extra=manifest_files)


def folder_name(title: str) -> str:
    """The folder a bundle unpacks into: the site's title as a slug (ASCII, stable)."""
    return slugify(title) or DEFAULT_FOLDER


def readme_text(labels: Mapping[str, str], *, title: str, folder: str, key: str | None,
                fingerprint: str | None) -> str:
    """README.txt in the site's language (labels fall back to English)."""
    verify = labels["readme_verify_signed" if key else "readme_verify_unsigned"]
    verify = _fill(verify, folder=folder, key=key or "", fingerprint=fingerprint or "")
    text = _fill(labels["readme"], title=title, folder=folder, verify=verify)
    return text.rstrip("\n") + "\n"


def _fill(template: str, **values: str) -> str:
    # Plain replacement, not str.format: a translator's stray brace must not break a build.
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def write_zip(handle: IO[bytes], output_dir: Path, paths: Iterable[str], readme: str,
              folder: str, extra: Mapping[str, bytes] = {}) -> None:
    entries = {README: None, **{f"{folder}/{p}": p for p in [*paths, *extra]}}
    with zipfile.ZipFile(handle, "w") as archive:
        for name in sorted(entries):
            site_path = entries[name]
            info = _entry(name)
            if site_path is None:
                archive.writestr(info, readme.encode("utf-8"))
                continue
            if site_path in extra:
                archive.writestr(info, extra[site_path])
                continue
            source = output_dir / site_path
            try:
                with source.open("rb") as src, archive.open(
                        info, "w", force_zip64=source.stat().st_size >= zipfile.ZIP64_LIMIT) \
                        as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
            except OSError as exc:
                raise BuildError(f"bundle: cannot read {source}: {exc.strerror}; "
                                 "run `mirrorpub build` and try again") from None


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.create_system = _UNIX
    info.external_attr = FILE_MODE << 16
    stored = os.path.splitext(name)[1].lower() in _STORED
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


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
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:40]}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise BuildError(f"bundle: cannot write {target}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w+b") as handle:
            write_zip(handle, output_dir, paths, readme, folder)
            handle.flush()
            os.fsync(handle.fileno())
            size = os.fstat(handle.fileno()).st_size
        os.chmod(tmp, ZIP_FILE_MODE)
        os.replace(tmp, target)
    except OSError as exc:
        raise BuildError(f"bundle: cannot write {target}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return size
