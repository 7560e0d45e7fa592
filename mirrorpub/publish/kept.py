"""The manifest files of the last publish, kept in `.mirrorpub/manifests/<variant>/`.

A publish whose manifest says what the last one said (same stamp, mirrors, site files,
theme, key and code) reuses the bytes it wrote then, instead of rendering mirrors.html,
encoding a manifest that lists every file and signing it again: a tenth of a second of a
no-op publish at 10,000 files, and the whole zip when `site.bundle` is set. Kept bytes
are checked against their recorded sha256 before they are used; anything missing,
damaged or different is simply rendered again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mirrorpub import __version__, fsatomic
from mirrorpub.hashing import stable_digest

FORMAT = 1
INDEX = "index.json"

log = logging.getLogger(__name__)


def rendered(state_dir: Path, variant: str, inputs: list[Any],
             render: Callable[[], Mapping[str, bytes]]) -> dict[str, bytes]:
    """`render()`'s files, or the kept ones when `inputs` are those they were made from.
    `inputs` must name everything the files depend on (JSON-able)."""
    folder = state_dir / "manifests" / variant
    key = stable_digest(FORMAT, __version__, *inputs)
    kept = _load(folder, key)
    if kept is not None:
        return kept
    files = dict(render())
    _save(folder, key, files)
    return files


def _load(folder: Path, key: str) -> dict[str, bytes] | None:
    try:
        index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
        if index["key"] != key:
            return None
        files = {name: (folder / name).read_bytes() for name in index["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if any(hashlib.sha256(data).hexdigest() != index["files"][name]
           for name, data in files.items()):
        return None
    return files


def _save(folder: Path, key: str, files: Mapping[str, bytes]) -> None:
    index = {"key": key, "files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
    try:  # the index goes last: a crash before it leaves one that no longer matches
        for name, data in files.items():
            fsatomic.write_if_changed(folder / name, data)
        fsatomic.write_bytes(folder / INDEX, json.dumps(index, indent=1).encode())
    except OSError as exc:  # only a lost shortcut: the next publish renders them again
        log.debug("cannot keep the manifest files in %s: %s", folder, exc)
