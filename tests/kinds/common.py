"""What the tests of the new kinds of copies share: a small site, publishing it, one
edit, and what a copy holds (path -> sha256), to count what a publish changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mirrorpub.layout import is_part
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

ARTICLES = {
    "one.md": article("One", "2026-11-20T10:00:00Z", "First. [two](two.md)\n\n![m](img/m.png)",
                      tags=["news"]),
    "two.md": article("Two", "2026-11-21T10:00:00Z", "Second. [one](one.md)", tags=["news"]),
    "three.md": article("Three", "2026-11-22T10:00:00Z", "Third.\n\nA later paragraph."),
}
FILES = {"img/m.png": bytes(range(256)) * 4}
EDITED = "articles/three.html"
INDEX = ".mirrorpub-index.json"
INDEX_FILES = {INDEX, ".mirrorpub-index.journal.json"}  # the index and its journal
# The manifest files say when they were published, so a publish after an edit rewrites
# them too (bc2.json only when the second changed between the two publishes).
MANIFEST_FILES = {"mirrors.html", "mirrors.json", "mirrors.json.sig", "bc2.json"}


def make_site(root: Path, mirrors: list[Mapping[str, Any]], **site: Any) -> Path:
    return write_site(root, ARTICLES, files=FILES, mirrors=mirrors, **site)


def publish(root: Path, env: Mapping[str, str] | None = None,
            expect: int = 0, *args: str) -> dict[str, Any]:
    result = mirrorpub("publish", "--json", *args, cwd=root, env=env)
    assert_no_traceback(result)
    assert result.returncode == expect, result.stdout + result.stderr
    return json.loads(result.stdout)


def edit_one_article(root: Path) -> None:
    """Not the first paragraph: that is the summary the index and the feed show."""
    path = root / "content" / "three.md"
    path.write_text(path.read_text().replace("later paragraph", "corrected paragraph"))


def mirror_report(report: Mapping[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in report["mirrors"] if m["name"] == name)


def folder_hashes(root: Path) -> dict[str, str]:
    """A copy's files as readers get them (mirrorpub's own index and .git left out)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in INDEX_FILES
            and ".git" not in p.relative_to(root).parts}


def changed(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    return {p for p in set(before) | set(after) if before.get(p) != after.get(p)}


def assert_only_the_edit_changed(paths: set[str]) -> None:
    """The article, the manifest files, and at most two new parts of the manifest (the
    bucket listing the article, the small part of the per-copy files), and two old ones
    gone (those of the manifest before the one replaced)."""
    parts = {p for p in paths if is_part(p)}
    assert EDITED in paths, paths
    assert paths - {EDITED} - parts <= MANIFEST_FILES, paths
    assert {"mirrors.json", "mirrors.html"} <= paths, paths
    assert len(parts) <= 4, parts


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "mirrors.json").read_text(encoding="utf-8"))
