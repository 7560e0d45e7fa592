"""Where each imported article goes: a slug no other article has (in this import or
already in the output folder), and a path that follows from it."""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from mirrorpub.content.frontmatter import decode, split
from mirrorpub.content.slugs import MAX_SLUG, slugify
from mirrorpub.errors import ContentError


def existing_slugs(output: Path) -> dict[str, set[str]]:
    """slug -> paths (relative to `output`) of the articles already there."""
    found: dict[str, set[str]] = defaultdict(set)
    if not output.is_dir():
        return found
    for folder, dirs, names in os.walk(output):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or not name.lower().endswith(".md"):
                continue
            path = Path(folder) / name
            rel = path.relative_to(output).as_posix()
            found[_slug_of(path, rel)].add(rel)
    return found


def _slug_of(path: Path, rel: str) -> str:
    stem = slugify(path.name[:-3])
    try:
        text = decode(rel, path.read_bytes())
        return split(rel, text).front.slug or stem
    except (ContentError, OSError):
        return stem  # the build will name what is wrong with it; its name is its slug


def fitted(base: str, tail: str = "") -> str:
    """`base-tail` within the slug length limit (the base is shortened, never the tail)."""
    if not tail:
        return base[:MAX_SLUG].rstrip("-")
    room = MAX_SLUG - len(tail) - 1
    return f"{base[:room].rstrip('-')}-{tail}"


class SlugBook:
    """Hands out each slug once, none that an article already in the output folder has
    (an article at the very path it would be written to is this import's own, from an
    earlier run)."""

    def __init__(self, existing: dict[str, set[str]]) -> None:
        self.existing = existing
        self.slugs: set[str] = set()
        self.paths: set[str] = set()

    def claim(self, wanted: str, tail: str, path_of: Callable[[str], str]) -> tuple[str, str]:
        """(slug, path): `wanted` if free, else `wanted-tail`, `wanted-tail-2`, …"""
        candidates = (fitted(wanted) if n == 0 else fitted(wanted, tail if n == 1 else
                                                             f"{tail}-{n}") for n in range(1000))
        for slug in candidates:
            path = path_of(slug)
            if slug in self.slugs or path in self.paths or self.existing.get(slug, set()) - {path}:
                continue
            self.slugs.add(slug)
            self.paths.add(path)
            return slug, path
        raise AssertionError(f"no free slug for {wanted!r}")  # a thousand of one slug


def relative_link(target: str, from_article: str) -> str:
    """A markdown link destination from one content file to another (both relative to the
    content folder), percent-encoded as a URL."""
    start = posixpath.dirname(from_article) or "."
    return quote(posixpath.relpath(target, start), safe="/-._~")



