"""The site as one deterministic zip, with a README.txt in the site's language: what
`mirrorpub bundle` writes and what `site.bundle` publishes on every copy.

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

import io
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO

from mirrorpub.config import SiteConfig
from mirrorpub.content.slugs import slugify
from mirrorpub.errors import BuildError
from mirrorpub.site.readme import readme_text
from mirrorpub.site.words import Words

README = "README.txt"
DEFAULT_FOLDER = "site"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # a regular file, rw-r--r--
ZIP_FILE_MODE = 0o644  # of the zip itself: something to hand on, not a secret
_UNIX = 3  # ZipInfo.create_system: makes unzip honour FILE_MODE
# Already compressed: storing them is as small and much faster.
_STORED = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".mp3", ".ogg",
                     ".mp4", ".webm", ".zip", ".gz", ".woff2"})



def bundle_bytes(output_dir: Path, paths: list[str], readme: str, *,
                 folder: str = DEFAULT_FOLDER, extra: Mapping[str, bytes] = {}) -> bytes:
    """The zip of `paths` (site-relative, under `output_dir`) plus `extra` files given as
    bytes, as bytes; pure, deterministic."""
    buffer = io.BytesIO()
    write_zip(buffer, output_dir, paths, readme, folder, extra)
    return buffer.getvalue()


def bundler(site: SiteConfig, output_dir: Path, site_paths: list[str], key: str | None,
            fingerprint: str | None) -> Callable[[Mapping[str, bytes]], bytes]:
    """For `site.bundle`: makes the zip published on the mirrors, from the site files and
    one copy's manifest files (which cannot list the zip: it cannot contain itself)."""
    folder = folder_name(site.title)
    readme = site_readme(site, folder, key, fingerprint)
    return lambda manifest_files: bundle_bytes(output_dir, site_paths, readme, folder=folder,
                                               extra=manifest_files)


def folder_name(title: str) -> str:
    """The folder a bundle unpacks into: the site's title as a slug (ASCII, stable)."""
    return slugify(title) or DEFAULT_FOLDER


def site_readme(site: SiteConfig, folder: str, key: str | None,
                fingerprint: str | None) -> str:
    """README.txt for this site, in its language."""
    words = Words(site.templates_dir).language(site.language)
    return readme_text(words, title=site.title, folder=folder, key=key,
                       fingerprint=fingerprint)


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
