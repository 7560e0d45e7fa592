"""A decade of archive (SPEC §14), on a site generated like the benchmarks' corpus: a new
story changes a handful of files, never the old archive pages, and readers still reach
every article from index.html and every entry from feed.xml (RFC 5005).

The 500-article site is built, then built again with one new article; the files that
change are predicted from the tag counts alone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from benchmarks import corpus
from mirrorpub import layout
from mirrorpub.content.slugs import slugify
from tests.sitekit import article, article_paths, crawl, folder_fetcher, mirrorpub, write_site

COUNT = 500
PER_PAGE = 20
# 500 // 167 == 2 and 501 // 167 == 3: the new article also starts a feed archive.
FEED_SIZE = 167
ATOM = "{http://www.w3.org/2005/Atom}"
HISTORY = "{http://purl.org/syndication/history/1.0}"


def snapshot(public: Path) -> dict[str, bytes]:
    return {p.relative_to(public).as_posix(): p.read_bytes()
            for p in public.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("decade")
    corpus.write(root, COUNT, sites=("mirrorpub",))
    site = root / "mirrorpub"
    config = site / "mirrorpub.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "per_page = 20", f"per_page = {PER_PAGE}\nfeed_size = {FEED_SIZE}"), encoding="utf-8")
    mirrorpub("build", cwd=site, check=True)
    before = snapshot(site / "public")
    piece = corpus.add_new(root, COUNT, sites=("mirrorpub",))
    mirrorpub("build", cwd=site, check=True)
    tag_counts = Counter(t for p in corpus.make_pieces(COUNT) for t in p.tags)
    return {"before": before, "after": snapshot(site / "public"), "piece": piece,
            "tag_counts": tag_counts, "public": site / "public"}


def listing_changes(count: int, front: str, archive: str) -> set[str]:
    """What one more article changes in a listing of `count`: its front page, and the
    newest archive page, or (when that one was full) a new page and the link to it."""
    last = -(-count // PER_PAGE)
    if count % PER_PAGE:
        return {front, archive.format(last)}
    return {front, archive.format(last + 1)} | ({archive.format(last)} if last else set())


def test_a_new_article_changes_exactly_the_predicted_files(grown: dict[str, object]) -> None:
    before, after, piece = grown["before"], grown["after"], grown["piece"]
    changed = {p for p in after if before.get(p) != after[p]} | (before.keys() - after.keys())
    predicted = {layout.article_path(piece.slug), layout.FEED, layout.feed_archive_path(3)}
    predicted |= listing_changes(COUNT, layout.INDEX, "page-{}.html")
    for tag in piece.tags:
        slug = slugify(tag)
        predicted |= listing_changes(grown["tag_counts"][tag], layout.tag_path(slug),
                                     f"tags/{slug}.p{{}}.html")
    # Besides, the files written from the manifest (mirrors.json lists every file's hash).
    manifest = {p for p in changed if layout.is_manifest_file(p) or layout.is_part(p)}
    assert changed - manifest == predicted
    gone = {p for p in before.keys() - after.keys() if not layout.is_part(p)}
    assert not gone  # nothing a reader bookmarked went away


def test_every_old_archive_page_is_byte_identical(grown: dict[str, object]) -> None:
    before, after = grown["before"], grown["after"]
    archives = [p for p in before if re.fullmatch(r"page-\d+\.html|feed-\d+\.xml", p)
                or re.fullmatch(r"tags/.+\.p\d+\.html", p)]
    followed = [p for p in archives if _has_newer(p, before)]
    assert len(followed) > 40  # the bulk of the archive stands still
    assert [p for p in followed if after[p] != before[p]] == []
    # What a bookmark shows: page-1.html is still the oldest twenty, page-2 the next.
    assert b"article-00001.html" in after["page-1.html"]
    assert b"article-00021.html" not in after["page-1.html"]
    assert b"article-00021.html" in after["page-2.html"]


def _has_newer(path: str, files: dict[str, bytes]) -> bool:
    number = re.search(r"(\d+)\.(html|xml)$", path)
    assert number
    newer = path[:number.start(1)] + str(int(number.group(1)) + 1) + path[number.end(1):]
    return newer in files


def test_the_crawl_from_the_front_page_reaches_every_article(grown: dict[str, object]) -> None:
    site = crawl(folder_fetcher(grown["public"]))
    assert site.problems == []
    assert len(article_paths(site)) == COUNT + 1
    # And every archive page of the index: readers can walk the whole archive.
    assert {p for p in grown["after"] if p.startswith("page-")} <= set(site.pages)


def test_feed_archives_chain_to_the_first_and_list_every_article(
        grown: dict[str, object]) -> None:
    after = grown["after"]
    seen: list[str] = []
    documents: list[str] = []
    path: str | None = layout.FEED
    while path and path not in documents:
        documents.append(path)
        feed = ET.fromstring(after[path])
        links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
        assert links["self"] == path
        if path != layout.FEED:  # an archive says so, and where the current feed is
            assert feed.find(f"{HISTORY}archive") is not None and links["current"] == "feed.xml"
        seen += [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
        path = links.get("prev-archive")
    assert documents == ["feed.xml", "feed-3.xml", "feed-2.xml", "feed-1.xml"]
    assert len(ET.fromstring(after["feed.xml"]).findall(f"{ATOM}entry")) == FEED_SIZE
    assert set(seen) == {p for p in after if re.fullmatch(r"articles/.+\.html", p)}


def test_a_small_site_has_one_feed_and_a_front_page_without_older_link(
        tmp_path: Path) -> None:
    write_site(tmp_path, {f"a{n}.md": article(f"A{n}", f"2026-11-0{n}T10:00:00Z")
                          for n in range(1, 4)}, feed_size=5)
    mirrorpub("build", cwd=tmp_path, check=True)
    public = tmp_path / "public"
    feed = ET.fromstring((public / "feed.xml").read_bytes())
    assert len(feed.findall(f"{ATOM}entry")) == 3
    assert [link for link in feed.findall(f"{ATOM}link")
            if link.get("rel") == "prev-archive"] == []
    index = (public / "index.html").read_text(encoding="utf-8")
    assert 'rel="next"' not in index and not list(public.glob("feed-*.xml"))
