"""Slugs and output file names (SPEC §5: `[a-z0-9-]+`), from the newsrooms' scripts."""

from __future__ import annotations

import re

import pytest

from mirrorpub.content.slugs import MAX_SLUG, is_slug, path_segment, slugify


@pytest.mark.parametrize(("title", "slug"), [
    ("Hello, World!", "hello-world"),
    ("  --Already-sluggy--  ", "already-sluggy"),
    ("Привет, мир", "privet-mir"),
    ("Щука и ёж", "shchuka-i-ezh"),
    ("Бишкек: жаңылыктар", "bishkek-zhangylyktar"),
    ("Θεσσαλονικη", "thessaloniki"),
    ("مرحبا", "mrhba"),
    ("שלום", "shlvm"),
    ("Crème brûlée à Zürich", "creme-brulee-a-zurich"),
    ("ÀÉÎ 2026", "aei-2026"),
    ("ﬁle №5", "file-no5"),  # compatibility forms decompose to plain letters
])
def test_titles_in_the_newsrooms_scripts_become_readable_ascii_slugs(title: str,
                                                                     slug: str) -> None:
    assert slugify(title) == slug
    assert is_slug(slug)


@pytest.mark.parametrize("title", ["", "!!!", "—", "中文标题", "\ud800"])
def test_a_title_with_nothing_to_keep_gets_a_short_stable_hashed_slug(title: str) -> None:
    slug = slugify(title)
    assert re.fullmatch(r"x-[0-9a-f]{10}", slug)
    assert slugify(title) == slug


def test_different_untransliterable_titles_get_different_slugs() -> None:
    assert slugify("中文标题") != slugify("日本語")


def test_a_long_title_is_cut_at_a_word_boundary_without_a_trailing_hyphen() -> None:
    title = "word " * 40
    slug = slugify(title)
    assert len(slug) <= MAX_SLUG
    assert not slug.endswith("-")
    assert is_slug(slug)
    assert slugify("a" * 79 + " b") == "a" * 79  # cut right after the hyphen: dropped


@pytest.mark.parametrize(("text", "ok"), [
    ("news", True),
    ("a-b-c-2026", True),
    ("a" * MAX_SLUG, True),
    ("a" * (MAX_SLUG + 1), False),
    ("News", False),
    ("a--b", False),
    ("-a", False),
    ("a-", False),
    ("a b", False),
    ("привет", False),
    ("", False),
])
def test_is_slug_accepts_only_what_spec_5_allows(text: str, ok: bool) -> None:
    assert is_slug(text) is ok


@pytest.mark.parametrize(("name", "segment"), [
    ("Карта города.PNG", "karta-goroda.png"),
    ("photo.jpeg", "photo.jpeg"),
    ("archive.tar.gz", "archive-tar.gz"),  # the last extension is the one kept
    (".htaccess", "htaccess"),  # a dot file has no stem: the whole name is slugified
    ("README", "readme"),
    ("notes.", "notes"),  # nothing after the dot: no extension
    ("report.пдф", "report.pdf"),
    ("data.j-s_o n", "data.json"),
    ("clip.abcdefghijklmnop", "clip.abcdefghij"),  # extensions are kept short
])
def test_output_file_names_are_ascii_with_their_extension_kept(name: str,
                                                               segment: str) -> None:
    assert path_segment(name) == segment
