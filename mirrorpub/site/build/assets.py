"""Static files beside the articles: copied when they changed, hashed as they are copied."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.content.scan import Scan
from mirrorpub.hashing import file_digests
from mirrorpub.model import FileEntry
from mirrorpub.site.build.cache import RenderCache, output_size
from mirrorpub.site.mediatypes import content_type


def copy_assets(scan: Scan, stats: dict[str, list[int]], output_dir: Path,
                 cache: RenderCache, files: dict[str, FileEntry]) -> None:
    kept: dict[str, dict[str, Any]] = {}
    for rel, output in sorted(scan.files.items()):
        source = scan.file_sources[rel]
        stat = stats[rel]
        hit = cache.assets.get(rel)
        if hit and hit["output"] == output and \
                output_size(output_dir / output) == hit["entry"]["size"] and \
                (cache.trusted(hit, stat) or asdict(_hash_file(source, output)) == hit["entry"]):
            record = hit if hit["stat"] == stat else {**hit, "stat": stat}
        else:
            fsatomic.copy_file(source, output_dir / output)
            record = {"stat": stat, "output": output,
                      "entry": asdict(_hash_file(output_dir / output, output))}
        cache.dirty = cache.dirty or record is not hit
        kept[rel] = record
        files[output] = FileEntry(**record["entry"])
    cache.dirty = cache.dirty or len(kept) != len(cache.assets)
    cache.assets = kept


def _hash_file(path: Path, site_path: str) -> FileEntry:
    sha256, md5, size = file_digests(path)
    return FileEntry(sha256=sha256, size=size, md5=md5, content_type=content_type(site_path))
