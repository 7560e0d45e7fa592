"""Find what is under content/: articles, the files beside them, the folders (SPEC §5).

Refused with a ContentError naming the file: a symlink leading out of content/, two
files that would land on the same output path, two articles with one slug, bad front
matter, invalid UTF-8. Hidden files (".git", ".DS_Store") are ignored.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mirrorpub.content.slugs import path_segment
from mirrorpub.errors import ContentError
from mirrorpub.layout import asset_path

ARTICLE_SUFFIX = ".md"
MAX_NAME = 255


@dataclass(frozen=True)
class ContentFile:
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


def scan_content(content_dir: Path, label: str) -> Scan:
    """Walk content/ (never following links out of it) and sort its files."""
    root = content_dir.resolve()
    articles: list[ContentFile] = []
    files: dict[str, str] = {}
    sources: dict[str, Path] = {}
    outputs: dict[str, str] = {}
    folders: set[str] = set()
    for rel_folder, dirs, names in _walk(str(root)):
        for entry in dirs:
            _check_name(label, rel_folder, entry.name)
            if entry.is_symlink():
                _check_inside(root, Path(entry.path), label, _join(rel_folder, entry.name))
            else:
                folders.add(_join(rel_folder, entry.name))
        for entry in names:
            name = entry.name
            _check_name(label, rel_folder, name)
            rel = _join(rel_folder, name)
            if entry.is_symlink():
                _check_inside(root, Path(entry.path), label, rel)
            if name.lower().endswith(ARTICLE_SUFFIX):
                articles.append(ContentFile(rel=rel, path=entry.path))
                continue
            output = asset_path("/".join(path_segment(p) for p in rel.split("/")))
            if output in outputs:
                raise ContentError(f"{label}/{rel}", f"would be published as {output}, like "
                                   f"{label}/{outputs[output]}; rename one of them")
            outputs[output] = rel
            files[rel] = output
            sources[rel] = Path(entry.path)
    return Scan(articles=tuple(articles), files=files, file_sources=sources,
                folders=frozenset(folders))


def _walk(root: str) -> Iterator[tuple[str, list[os.DirEntry[str]], list[os.DirEntry[str]]]]:
    """(folder relative to root, its folders, its files): visible entries, sorted by name,
    top-down and depth-first like os.walk; links to folders are listed, not entered.
    scandir's entries know whether they are links without another system call."""
    stack = [(root, "")]
    while stack:
        folder, rel_folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted((e for e in listing if not e.name.startswith(".")),
                                 key=lambda e: e.name)
        except OSError:
            continue  # an unreadable folder is skipped, as os.walk does
        dirs, names = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry)
        yield rel_folder, dirs, names
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
