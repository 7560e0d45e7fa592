"""Find what is under content/: articles, the files beside them, the folders (SPEC §5).

Refused with a ContentError naming the file: a symlink leading out of content/, two
files that would land on the same output path, two articles with one slug, bad front
matter, invalid UTF-8, a private key or a `.env` file (they would leak). Hidden files
(".git", ".DS_Store"), editor and OS debris (`story.md~`, `#draft.md#`, `x.bak`,
`Thumbs.db`, …) and what `[site] ignore` names are ignored.
"""

from __future__ import annotations

import fnmatch
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from mirrorpub.content.slugs import path_segment
from mirrorpub.errors import ContentError
from mirrorpub.layout import asset_path
from mirrorpub.redact import looks_like_private_key

ARTICLE_SUFFIX = ".md"
MAX_NAME = 255
DEBRIS_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".tmp")
DEBRIS_NAMES = frozenset({"thumbs.db"})
MAX_KEY_FILE = 64 * 1024  # key files are a few KB; bigger files are not read for the check


class ContentFile(NamedTuple):
    """A named tuple, not a frozen dataclass: one is made per article on every build, and
    a frozen dataclass took 0.15 s to make 100,000 of them (a tuple takes a fifth)."""

    rel: str  # path under content/, POSIX, as on disk
    # Absolute path on disk. A string, not a Path: making and using 10,000 Path objects
    # was a fifth of a build with nothing to do.
    path: str

    def shown(self, content_label: str) -> str:
        return f"{content_label}/{self.rel}"


@dataclass(frozen=True)
class Scan:
    articles: tuple[ContentFile, ...]
    files: dict[str, str]  # content-relative path -> site output path (static files)
    file_sources: dict[str, Path]
    folders: frozenset[str]


def scan_content(content_dir: Path, label: str, ignore: tuple[str, ...] = ()) -> Scan:
    """Walk content/ (never following links out of it) and sort its files. Debris and
    what `ignore` (the site's globs) names are left out."""
    root = content_dir.resolve()
    ignored = Ignore(ignore)
    articles: list[ContentFile] = []
    files: dict[str, str] = {}
    sources: dict[str, Path] = {}
    outputs: dict[str, str] = {}
    folders: set[str] = set()
    for rel_folder, dirs, names, hidden in _walk(str(root)):
        _check_hidden(label, rel_folder, hidden)
        dirs[:] = [e for e in dirs if not ignored(_join(rel_folder, e.name), e.name)]
        for entry in dirs:
            _check_name(label, rel_folder, entry.name)
            if entry.is_symlink():
                _check_inside(root, Path(entry.path), label, _join(rel_folder, entry.name))
            else:
                folders.add(_join(rel_folder, entry.name))
        for entry in names:
            name = entry.name
            rel = _join(rel_folder, name)
            if is_debris(name) or ignored(rel, name):
                continue
            _check_name(label, rel_folder, name)
            if entry.is_symlink():
                _check_inside(root, Path(entry.path), label, rel)
            if name.lower().endswith(ARTICLE_SUFFIX):
                articles.append(ContentFile(rel=rel, path=entry.path))
                continue
            _check_not_a_key(label, rel, entry)
            output = asset_path("/".join(path_segment(p) for p in rel.split("/")))
            if output in outputs:
                raise ContentError(f"{label}/{rel}", f"would be published as {output}, like "
                                   f"{label}/{outputs[output]}; rename one of them")
            outputs[output] = rel
            files[rel] = output
            sources[rel] = Path(entry.path)
    return Scan(articles=tuple(articles), files=files, file_sources=sources,
                folders=frozenset(folders))


def is_debris(name: str) -> bool:
    """Editor backups, autosaves and swap files, and what file managers leave beside
    files: never content, never published (hidden names, like `.#draft.md` and
    `.DS_Store`, are left out anyway)."""
    lower = name.lower()
    return lower.endswith(DEBRIS_SUFFIXES) or lower in DEBRIS_NAMES or \
        (len(name) > 1 and name.startswith("#") and name.endswith("#"))


class Ignore:
    """The site's `ignore` globs: one without `/` matches a file or folder name at any
    depth (`*.psd`, `drafts`); one with `/` matches the path under content/
    (`notes/*.txt`; `*` matches across folders there). An ignored folder is not entered."""

    def __init__(self, globs: tuple[str, ...]) -> None:
        self._names = _compiled([g for g in globs if "/" not in g.strip("/")])
        self._paths = _compiled([g for g in globs if "/" in g.strip("/")])

    def __call__(self, rel: str, name: str) -> bool:
        return bool((self._names and self._names.match(name)) or
                    (self._paths and self._paths.match(rel)))


def _compiled(globs: list[str]) -> re.Pattern[str] | None:
    if not globs:
        return None
    return re.compile("|".join(fnmatch.translate(g.strip("/")) for g in globs))


def _check_hidden(label: str, folder: str, hidden: list[os.DirEntry[str]]) -> None:
    """Hidden files are never published, but a `.env` in content/ means credentials sit
    where articles are shared and synced: stop, as for a private key."""
    for entry in hidden:
        name = entry.name
        if (name == ".env" or name.startswith(".env.")) and not entry.is_dir():
            raise ContentError(f"{label}/{_join(folder, name)}", "is an environment file, "
                               "which usually holds credentials; move it out of "
                               f"{label}/ (nothing was published)")


def _check_not_a_key(label: str, rel: str, entry: os.DirEntry[str]) -> None:
    """A private key (a TLS, SSH or mirrorpub key) dropped among the files stops the
    build: every copy would publish it, and a copy on IPFS cannot be taken back."""
    try:
        if entry.stat().st_size > MAX_KEY_FILE:
            return
        with open(entry.path, "rb") as handle:
            head = handle.read(MAX_KEY_FILE)
    except OSError:
        return  # unreadable: the copy step reports it, naming the file
    if looks_like_private_key(head):
        raise ContentError(f"{label}/{rel}", "looks like a private key; every copy would "
                           f"publish it. Move it out of {label}/ (keys belong in "
                           "~/.config/mirrorpub/ or a secret store); nothing was published")


def _walk(root: str) -> Iterator[tuple[str, list[os.DirEntry[str]], list[os.DirEntry[str]],
                                        list[os.DirEntry[str]]]]:
    """(folder relative to root, its folders, its files, its hidden entries): sorted by
    name, top-down and depth-first like os.walk (folders the caller removes from the list
    are not entered); links to folders are listed, not entered. scandir's entries know
    whether they are links without another system call."""
    stack = [(root, "")]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue  # an unreadable folder is skipped, as os.walk does
        dirs, names, hidden = [], [], []
        for entry in entries:
            if entry.name.startswith("."):
                hidden.append(entry)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry)
        yield rel_folder, dirs, names, hidden
        stack.extend((e.path, _join(rel_folder, e.name)) for e in reversed(dirs)
                     if not e.is_symlink())  # a link's target is walked where it lives


def _join(folder: str, name: str) -> str:
    return name if folder in ("", ".") else f"{folder}/{name}"


def _check_name(label: str, folder: str, name: str) -> None:
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        raise ContentError(f"{label}/{_join(folder, name[:40])}…", "file name is too long")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        raise ContentError(f"{label}/{_join(folder, _printable(shown))}",
                           "file name is not valid UTF-8; rename it") from None
    # A line break in a name would split the error line. isprintable() is a quick test
    # that passes every name _printable() leaves alone, and a few it does too.
    if not name.isprintable() and _printable(name) != name:
        raise ContentError(f"{label}/{_join(folder, _printable(name))}",
                           "file name contains a control character (such as a line break); "
                           "rename it")


def _printable(name: str) -> str:
    """The name with control characters and line separators shown as escapes."""
    return "".join(c if unicodedata.category(c) not in ("Cc", "Zl", "Zp") else
                   f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in name)


def _check_inside(root: Path, path: Path, label: str, rel: str) -> None:
    target = path.resolve()
    if not target.is_relative_to(root):
        raise ContentError(f"{label}/{rel}", f"is a link to {target}, outside {label}/; "
                           "copy the file into content/ instead")
    if not target.exists():
        raise ContentError(f"{label}/{rel}", "is a link to a file that does not exist")
