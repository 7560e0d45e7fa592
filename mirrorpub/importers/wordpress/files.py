"""Files of the old site: where an URL points inside `wp-content/uploads/`, and which
file of `--uploads` it is. WordPress links resized copies (`photo-300x200.jpg`,
`photo-scaled.jpg`); when a copy is missing, the original it was made from is used."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

_RESIZED = re.compile(r"^(?P<base>.+)-(?:\d+x\d+|scaled|rotated)(?P<ext>\.[A-Za-z0-9]+)$")
_UPLOADS = "/wp-content/uploads/"


def uploads_path(url: str) -> str | None:
    """The path after `wp-content/uploads/` (or a WordPress.com files host), decoded."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    at = path.find(_UPLOADS)
    if at >= 0:
        return path[at + len(_UPLOADS):]
    if (parts.hostname or "").lower().endswith(".files.wordpress.com"):
        return path.lstrip("/")
    return None


def original_of(rel: str) -> str | None:
    """`2019/05/photo.jpg` for `2019/05/photo-300x200.jpg`; None if not a resized name."""
    folder, name = posixpath.split(rel)
    match = _RESIZED.match(name)
    return posixpath.join(folder, match.group("base") + match.group("ext")) if match else None


class Uploads:
    """The `--uploads` folder (wp-content/uploads, or a folder holding wp-content/)."""

    def __init__(self, root: Path) -> None:
        nested = root / "wp-content" / "uploads"
        self.root = (nested if nested.is_dir() else root).resolve()

    def find(self, rel: str) -> Path | None:
        """The file for `rel`, or the original of a missing resized copy; never a file
        outside the folder (`..`, links leading out)."""
        for candidate in (rel, original_of(rel)):
            if candidate is None:
                continue
            clean = posixpath.normpath(candidate)
            if clean.startswith(("..", "/")) or "\x00" in clean:
                return None
            path = self.root / clean
            if path.is_file() and path.resolve().is_relative_to(self.root):
                return path
        return None
