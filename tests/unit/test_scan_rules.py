"""Which names under content/ are editor or OS debris, and what `[site] ignore` leaves out."""

from __future__ import annotations

import pytest

from mirrorpub.content.scan import Ignore, is_debris


@pytest.mark.parametrize("name", ["story.md~", "#draft.md#", "x.md.bak", "notes.BAK",
                                  ".story.md.swp", "story.md.swp", "story.md.swo",
                                  "upload.tmp", "Thumbs.db", "thumbs.DB", "map.png~"])
def test_debris(name: str) -> None:
    assert is_debris(name)


@pytest.mark.parametrize("name", ["story.md", "#hashtag.md", "draft#.md", "bakery.md",
                                  "temp.md", "a.tmpl", "~notes.md", "#", "map.png"])
def test_not_debris(name: str) -> None:
    assert not is_debris(name)


@pytest.mark.parametrize(("globs", "rel", "ignored"), [
    (("*.psd",), "raw/cover.psd", True),
    (("*.psd",), "cover.psd.md", False),
    (("drafts",), "drafts", True),
    (("drafts",), "news/drafts", True),  # a name matches at any depth
    (("drafts",), "drafts.md", False),
    (("notes/*.txt",), "notes/a.txt", True),
    (("notes/*.txt",), "old/notes/a.txt", False),  # a path matches from content/
    (("/notes/",), "news/notes", True),  # slashes at the ends only: a name
    (("news/*/raw",), "news/2026/raw", True),
    ((), "anything.md", False),
])
def test_ignore_globs(globs: tuple[str, ...], rel: str, ignored: bool) -> None:
    assert Ignore(globs)(rel, rel.rsplit("/", 1)[-1]) is ignored
