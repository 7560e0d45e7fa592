"""The site engine (SPEC §5, §6): a corpus with every feature, built and crawled as a reader
would; deterministic bytes; every bad input refused with the file named."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.sitekit import (
    Crawl,
    article,
    article_paths,
    assert_no_traceback,
    crawl,
    folder_fetcher,
    listed_files,
    mirrorpub,
    write_site,
)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2c8d3f80000000049454e44ae426082")

CORPUS = {
    "news/outlet-blocked.md": article(
        "Outlet blocked", "2026-11-25T12:30:00+06:00",
        "First paragraph of the report.\n\n![map](img/map.png)\n\n"
        "See [the Russian version](издание.md), [help](../help.md#options) and "
        "[the PDF](docs/report.pdf). Outside: [a link](https://example.org/x).\n\n"
        "# Section\n\nText.\n\n## Sub\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        slug="outlet-blocked", tags=["press-freedom", "Казахстан"], author="Desk",
        updated="2026-11-26"),
    "news/издание.md": article("Издание заблокировано", "2026-11-25T13:00:00+06:00",
                               "Текст. [English](outlet-blocked.md)", lang="ru",
                               tags=["press-freedom"]),
    "help.md": article("How to reach us", "2026-11-20T09:00:00Z",
                       "Copies are listed below.\n\n## Options\n\n"
                       "See [report](news/outlet-blocked.md).",
                       summary="An explicit summary."),
    "fa/rahnama.md": article("راهنما", "2026-11-22T08:00:00+03:30", "متن فارسی.", lang="fa",
                             tags=["help"]),
    "ar/maqal.md": article("مقال", "2026-11-21T08:00:00+03:00", "نص عربي.", lang="ar"),
    "draft.md": article("Not yet", "2026-11-27T10:00:00Z", "Secret draft.", draft=True),
}
FILES = {"news/img/map.png": PNG, "news/docs/report.pdf": b"%PDF-1.4 sample\n",
         "news/.DS_Store": b"junk"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Crawl]:
    root = tmp_path_factory.mktemp("corpus")
    write_site(root, CORPUS, files=FILES, per_page=2, language="en")
    result = mirrorpub("build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root, crawl(folder_fetcher(root / "public"))


def test_every_published_article_is_reachable_from_the_index(built: tuple[Path, Crawl]) -> None:
    _root, site = built
    assert site.problems == []
    assert article_paths(site) == {
        "articles/outlet-blocked.html", "articles/izdanie.html", "articles/help.html",
        "articles/rahnama.html", "articles/maqal.html"}
    assert "files/news/img/map.png" in site.pages and "files/news/docs/report.pdf" in site.pages
    # Five articles, two a page: the front page and archive pages 1 (the oldest two) to 3.
    assert {"index.html", "page-1.html", "page-2.html", "page-3.html",
            "mirrors.html"} <= set(site.pages)
    assert "https://example.org/x" in site.external_links


def test_drafts_and_hidden_files_are_never_built(built: tuple[Path, Crawl]) -> None:
    root, _ = built
    everything = b"".join(p.read_bytes() for p in (root / "public").rglob("*") if p.is_file())
    assert b"Secret draft" not in everything and b"Not yet" not in everything
    assert not list((root / "public").rglob(".DS_Store"))


def test_output_paths_are_ascii_and_links_name_files(built: tuple[Path, Crawl]) -> None:
    root, site = built
    for path in (root / "public").rglob("*"):
        assert path.relative_to(root / "public").as_posix().isascii()
    for page, body in site.pages.items():
        if page.endswith(".html"):
            hrefs = re.findall(rb'(?:href|src)="([^"]+)"', body)
            internal = [h for h in hrefs if not h.startswith((b"http", b"mailto", b"#"))]
            assert all(not h.startswith(b"/") and not h.endswith(b"/") for h in internal), page


def test_links_between_articles_point_at_built_pages(built: tuple[Path, Crawl]) -> None:
    _, site = built
    page = site.pages["articles/outlet-blocked.html"].decode()
    assert 'href="izdanie.html"' in page
    assert 'href="help.html#options"' in page
    assert 'src="../files/news/img/map.png"' in page
    assert 'href="../files/news/docs/report.pdf"' in page
    assert 'href="../tags/kazakhstan.html"' in page  # a tag slug is transliterated


def test_language_and_direction_are_marked(built: tuple[Path, Crawl]) -> None:
    _, site = built
    assert site.html_attrs["articles/rahnama.html"] == {"lang": "fa", "dir": "rtl"}
    assert site.html_attrs["articles/maqal.html"] == {"lang": "ar", "dir": "rtl"}
    assert site.html_attrs["articles/izdanie.html"] == {"lang": "ru", "dir": "ltr"}
    assert site.html_attrs["index.html"] == {"lang": "en", "dir": "ltr"}


def test_headings_stay_in_order_under_the_title(built: tuple[Path, Crawl]) -> None:
    _, site = built
    page = site.pages["articles/outlet-blocked.html"].decode()
    levels = [int(n) for n in re.findall(r"<h([1-6])", page.split("<main")[1].split("</main>")[0])]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels


def test_the_feed_parses_and_lists_every_published_article(built: tuple[Path, Crawl]) -> None:
    _, site = built
    feed = ET.fromstring(site.pages["feed.xml"])
    atom = "{http://www.w3.org/2005/Atom}"
    links = {e.find(f"{atom}link").get("href") for e in feed.findall(f"{atom}entry")}
    assert links == article_paths(site)
    summaries = [e.findtext(f"{atom}summary") for e in feed.findall(f"{atom}entry")]
    assert "An explicit summary." in summaries
    assert "First paragraph of the report." in summaries


def test_pages_load_nothing_from_elsewhere_and_need_no_javascript(
        built: tuple[Path, Crawl]) -> None:
    _, site = built
    for path, body in site.pages.items():
        if path.endswith(".html") and path != "mirrors.html":
            assert b"<script" not in body, path
        if path.startswith("articles/"):
            assert len(body) < 50_000


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        root = tmp_path / name
        write_site(root, CORPUS, files=FILES, per_page=2)
        assert mirrorpub("build", cwd=root).returncode == 0
        outputs.append({p.relative_to(root / "public").as_posix(): p.read_bytes()
                        for p in (root / "public").rglob("*") if p.is_file()})
    assert outputs[0] == outputs[1]
    # …and a rebuild without any cache gives the same bytes again.
    shutil.rmtree(tmp_path / "one" / ".mirrorpub")
    assert mirrorpub("build", cwd=tmp_path / "one").returncode == 0
    again = {p.relative_to(tmp_path / "one" / "public").as_posix(): p.read_bytes()
             for p in (tmp_path / "one" / "public").rglob("*") if p.is_file()}
    assert again == outputs[0]


def test_an_edit_rerenders_only_what_it_changes(tmp_path: Path) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "public").rglob("*.html")}
    source = tmp_path / "content" / "news" / "outlet-blocked.md"
    source.write_text(source.read_text().replace("Text.", "Corrected text."))
    result = mirrorpub("build", cwd=tmp_path)
    assert "(1 rendered" in result.stderr, result.stderr
    changed = {p for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert changed == {tmp_path / "public" / "articles" / "outlet-blocked.html"}
    assert b"Corrected text." in (tmp_path / "public/articles/outlet-blocked.html").read_bytes()


def test_a_build_right_after_an_edit_is_answered_by_the_cache(tmp_path: Path,
                                                               monkeypatch) -> None:
    """The build after an edit reads the edited file again (written just before the
    last one looked: its stat cannot vouch for it); the one after that reads that one
    file's bytes and nothing else: no article is parsed again, the cache is not written."""
    from mirrorpub.config import load_config
    from mirrorpub.site.build import pipeline

    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    config = load_config(tmp_path / "mirrorpub.toml")
    pipeline.build_site(config, workers=1)
    source = tmp_path / "content" / "news" / "outlet-blocked.md"
    source.write_text(source.read_text().replace("Text.", "Corrected text."))
    pipeline.build_site(config, workers=1)
    (cache,) = (tmp_path / ".mirrorpub" / "cache").glob("build-*.cache")
    saved = cache.stat().st_mtime_ns

    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the sources were read again")

    monkeypatch.setattr(pipeline, "read_articles", no_reading)
    again = pipeline.build_site(config, workers=1)
    assert again.rendered == 0 and cache.stat().st_mtime_ns == saved
    assert b"Corrected text." in (tmp_path / "public/articles/outlet-blocked.html").read_bytes()
    # A racy file whose bytes did change is read again, though its stat looks the same.
    monkeypatch.setattr(pipeline, "file_digests", lambda path: ("0" * 64, "", 0))
    with pytest.raises(AssertionError, match="read again"):
        pipeline.build_site(config, workers=1)


def _count_cache_loads(monkeypatch: Any) -> list[int]:
    from mirrorpub.site.build import pipeline

    loads: list[int] = []
    real = pipeline.RenderCache.load

    def counted(*args: Any) -> Any:
        loads.append(1)
        return real(*args)

    monkeypatch.setattr(pipeline.RenderCache, "load", counted)
    return loads


def test_a_build_with_nothing_to_do_does_not_read_the_cache(tmp_path: Path,
                                                            monkeypatch: Any) -> None:
    """The stamp answers (SPEC §14: the cache of 100,000 articles is ~110 MB); the files
    are read from the cache only when asked for, and are the full build's."""
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    full = _build_in_process(tmp_path)
    loads = _count_cache_loads(monkeypatch)
    again = _build_in_process(tmp_path)
    assert loads == [] and again.rendered == 0
    assert (len(again.files), len(again.entries)) == (len(full.files), len(full.entries))
    assert again.files_digest == full.files_digest
    assert loads == []  # counting them reads nothing either
    assert dict(again.files) == dict(full.files) and list(again.entries) == list(full.entries)
    assert loads == [1]


@pytest.fixture(params=["in this process", "stats forked"])
def forks(request: pytest.FixtureRequest, monkeypatch: Any) -> list[int] | None:
    """The outputs' stats and half the sources' made by child processes, as for a site of
    thousands of articles (stamp.check_outputs, articles.source_stats): the children made,
    or None when the build makes every stat itself."""
    if request.param == "in this process":
        return None
    from mirrorpub.site.build import articles, forked, stamp

    # The suite's own threads (services' proxies) run beside the test: the children only
    # stat and pickle, which no lock those threads hold can stop.
    monkeypatch.setattr(forked, "_alone", lambda: True)
    monkeypatch.setattr(stamp, "FORK_THRESHOLD", 1)
    monkeypatch.setattr(articles, "STATS_FORK", 2)
    made: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    return made


@pytest.mark.parametrize("change", ["deleted page", "damaged page", "cache gone",
                                    "cache replaced"])
def test_the_stamp_answers_only_for_what_it_saw(tmp_path: Path, monkeypatch: Any,
                                                change: str, forks: list[int] | None) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    assert mirrorpub("build", cwd=tmp_path).returncode == 0  # with its manifest files
    page = tmp_path / "public" / "tags" / "help.html"
    original = page.read_bytes()
    (cache,) = (tmp_path / ".mirrorpub" / "cache").glob("build-*.cache")
    if change == "deleted page":
        page.unlink()
    elif change == "damaged page":
        page.write_bytes(b"x")
    elif change == "cache gone":
        cache.unlink()
    else:  # another build's cache in its place: the stamp is not its
        from mirrorpub.site.build.cache import RenderCache

        other = RenderCache.load(tmp_path / ".mirrorpub", tmp_path / "public")
        assert other.found
        other.pages.pop("tags/help.html")
        other.dirty = True
        other.save(other.scanned_ns)
    loads = _count_cache_loads(monkeypatch)
    _build_in_process(tmp_path)
    assert loads == [1]
    assert page.read_bytes() == original
    assert forks is None or forks  # the children's answers were the ones used


def test_a_source_written_just_before_a_build_is_read_once_more_then_trusted(
        tmp_path: Path, monkeypatch: Any) -> None:
    """Written within the racy window of the build that recorded it, a source's stat
    cannot vouch for it: the next build reads its bytes; after that the stamp, which now
    saw it as it is, answers alone (before, every build read such files again)."""
    from mirrorpub.site.build import pipeline

    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _build_in_process(tmp_path)  # the sources were all just written
    later = time.time_ns() + 3_000_000_000  # past the racy window of those writes
    monkeypatch.setattr(pipeline.time, "time_ns", lambda: later)
    loads = _count_cache_loads(monkeypatch)
    assert _build_in_process(tmp_path).rendered == 0
    assert loads == [1]
    assert _build_in_process(tmp_path).rendered == 0
    assert loads == [1]


def test_a_build_hands_the_copies_exactly_what_changed_since_the_one_before(
        tmp_path: Path) -> None:
    """The delta a copy left holding the last build's files is brought up to date with
    (model.FilesDelta, SPEC §14): every file whose bytes changed or that is new, every one
    that left, and nothing else; a build with nothing to do keeps it."""
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    first = _build_in_process(tmp_path)
    assert first.delta is None  # no build before it
    (tmp_path / "content" / "ar" / "maqal.md").unlink()
    (tmp_path / "content" / "help.md").write_text(
        article("How to reach us", "2026-11-20T09:00:00Z", "Copies are listed below, again.",
                summary="An explicit summary."), encoding="utf-8")
    _age_site(tmp_path)
    second = _build_in_process(tmp_path)
    delta = second.delta
    assert delta is not None and delta.base == first.files_digest
    old, new = dict(first.files), dict(second.files)
    assert dict(delta.changed) == {p: e for p, e in new.items() if old.get(p) != e}
    assert "articles/help.html" in delta.changed
    assert set(delta.gone) == set(old) - set(new) and "articles/maqal.html" in delta.gone
    assert dict(delta.before) == {p: (old[p].sha256, old[p].size)
                                  for p in [*delta.changed, *delta.gone] if p in old}
    again = _build_in_process(tmp_path)  # answered by the stamp: the same delta
    assert again.rendered == 0 and again.delta == delta


def _full_paths_counted(monkeypatch: Any) -> list[int]:
    """Calls of the full build's article step (pipeline.read_articles), counted."""
    from mirrorpub.site.build import pipeline

    calls: list[int] = []
    real = pipeline.read_articles

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "read_articles", counted)
    return calls


def _from_scratch(root: Path, tmp_path: Path) -> tuple[Any, dict[str, bytes]]:
    """The same site built with no cache, into a folder of its own: what any build of
    these sources must give."""
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".mirrorpub", "public"))
    result = _build_in_process(fresh)
    return result, {p: (fresh / "public" / p).read_bytes() for p in result.files}


def _records(root: Path) -> dict[str, dict[str, Any]]:
    """The build cache's article records, but for the stats of their sources."""
    from mirrorpub.site.build.cache import RenderCache

    cache = RenderCache.load(root / ".mirrorpub", root / "public")
    assert cache.found
    return {rel: {k: v for k, v in r.items() if k != "stat"} for rel, r in cache.articles.items()}


def _site_bytes(root: Path, result: Any) -> dict[str, bytes]:
    return {p: (root / "public" / p).read_bytes() for p in result.files}


def test_a_body_edit_is_built_from_the_records_alone(tmp_path: Path, monkeypatch: Any) -> None:
    """The correction an editor makes (SPEC §14): the edited page alone is rendered, no
    other article is read or made again and no listing is keyed (patch.py), and the result
    is what a build from scratch gives, with the delta the copies need."""
    from mirrorpub.site.build import pipeline

    root = tmp_path / "site"
    write_site(root, CORPUS, files=FILES, per_page=2)
    _age_site(root)
    first = _build_in_process(root)
    source = root / "content" / "news" / "outlet-blocked.md"
    source.write_text(source.read_text().replace("Text.", "Corrected text."))
    full_paths = _full_paths_counted(monkeypatch)
    monkeypatch.setattr(pipeline, "render_listings", None)  # never called
    patched = _build_in_process(root)
    monkeypatch.undo()
    assert full_paths == [] and patched.rendered == 1
    page = "articles/outlet-blocked.html"
    assert b"Corrected text." in (root / "public" / page).read_bytes()
    assert patched.delta is not None and patched.delta.base == first.files_digest
    assert list(patched.delta.changed) == [page] and patched.delta.gone == ()
    assert patched.delta.before[page] == (first.files[page].sha256, first.files[page].size)
    fresh, fresh_bytes = _from_scratch(root, tmp_path)
    assert dict(patched.files) == dict(fresh.files)
    assert patched.files_digest == fresh.files_digest
    assert list(patched.entries) == list(fresh.entries)
    assert _site_bytes(root, patched) == fresh_bytes
    assert _records(root) == _records(tmp_path / "fresh")  # what the next build starts from
    again = _build_in_process(root)  # the stamp of the patched build answers
    assert again.rendered == 0 and again.files_digest == patched.files_digest
    assert dict(again.files) == dict(patched.files)  # read from the cache and its patch


def _links_build(root: Path, base: str | None) -> Any:
    from mirrorpub.config import load_config
    from mirrorpub.site.build import build_site
    from mirrorpub.site.pages import MirrorLink

    links = (MirrorLink("s3", "s3", base),) if base else ()
    return build_site(load_config(root / "mirrorpub.toml"), mirror_links=links)


def _markdown_counted(monkeypatch: Any) -> list[str]:
    from mirrorpub.content import markdown

    calls: list[str] = []
    real = markdown.to_html

    def counted(text: str) -> str:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(markdown, "to_html", counted)
    return calls


def _copy_named(root: Path) -> str | None:
    return "https://copy.example/b/"  # a copy proved since the last build (probe.py)


def _theme_changed(root: Path) -> str | None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "article.html").write_text(
        '{% extends "base.html" %}{% block main %}<article class="custom"><h1>'
        "{{ article.title }}</h1>{{ body }}</article>{% endblock %}", encoding="utf-8")
    return None


def _site_retitled(root: Path) -> str | None:
    _retitle_site(root)
    return None


@pytest.mark.parametrize("change", [_copy_named, _theme_changed, _site_retitled],
                         ids=["a copy named", "theme", "site title"])
def test_a_change_around_the_bodies_renders_no_markdown_and_equals_a_fresh_build(
        tmp_path: Path, monkeypatch: Any, change: Any) -> None:
    """Every page shows the copies, the theme and the site's title: a change to them makes
    every page again, but each body is taken from the page written before (articles.py,
    kept_body), not made from Markdown again."""
    root = tmp_path / "site"
    write_site(root, CORPUS, files=FILES, per_page=2)
    _links_build(root, None)
    base = change(root)
    calls = _markdown_counted(monkeypatch)
    result = _links_build(root, base)
    assert calls == [] and result.rendered > 0
    monkeypatch.undo()
    fresh = tmp_path / "fresh"
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".mirrorpub", "public"))
    from_scratch = _links_build(fresh, base)
    assert dict(result.files) == dict(from_scratch.files)
    assert _site_bytes(root, result) == _site_bytes(fresh, from_scratch)
    assert _records(root) == _records(fresh)
    if base:
        assert base.encode() in (root / "public/articles/outlet-blocked.html").read_bytes()


def test_a_page_changed_since_it_was_written_gives_no_body(tmp_path: Path,
                                                           monkeypatch: Any) -> None:
    """Its bytes are not the ones recorded: that article is made from Markdown again."""
    root = tmp_path / "site"
    write_site(root, CORPUS, files=FILES, per_page=2)
    _links_build(root, None)
    page = root / "public/articles/outlet-blocked.html"
    forged = page.read_bytes().replace(b"First paragraph", b"Forged paragrap")  # same size
    assert len(forged) == page.stat().st_size
    page.write_bytes(forged)
    calls = _markdown_counted(monkeypatch)
    result = _links_build(root, "https://copy.example/b/")
    assert len(calls) == 1 and "First paragraph" in calls[0]
    assert b"First paragraph" in page.read_bytes() and b"Forged" not in page.read_bytes()
    assert result.rendered > 1


def _news(root: Path, name: str = "outlet-blocked.md") -> Path:
    return root / "content" / "news" / name


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _edit_first_paragraph(root: Path) -> None:
    _replace(_news(root), "First paragraph", "A new first paragraph")


def _edit_title(root: Path) -> None:
    _replace(_news(root), "Outlet blocked", "Outlet unblocked")


def _edit_tags(root: Path) -> None:
    _replace(_news(root), "press-freedom", "censorship")


def _edit_date(root: Path) -> None:  # the newest article becomes the oldest
    _replace(_news(root), "2026-11-25T12:30:00+06:00", "2026-11-01T12:30:00+06:00")


def _new_story(root: Path) -> None:
    _news(root, "new-story.md").write_text(article(
        "A new story", "2026-11-28T08:00:00Z", "Its first paragraph.\n\nSee "
        "[the report](outlet-blocked.md).", tags=["press-freedom", "a new tag"]),
        encoding="utf-8")


def _new_story_in_another_language(root: Path) -> None:
    (root / "content" / "ky.md").write_text(article(
        "Жаңы макала", "2026-11-28T08:00:00Z", "Текст.", lang="ky", tags=["help"]),
        encoding="utf-8")


def _new_backdated_story(root: Path) -> None:  # it lands between old ones
    _news(root, "old-story.md").write_text(article(
        "Found in the archive", "2026-11-21T09:00:00Z", "Old text.", tags=["help"]),
        encoding="utf-8")


def _new_draft(root: Path) -> None:
    _news(root, "draft-2.md").write_text(article(
        "Another draft", "2026-11-29T08:00:00Z", "Not for readers.", draft=True),
        encoding="utf-8")


def _two_new_stories_and_an_edit(root: Path) -> None:
    _new_story(root)
    _new_backdated_story(root)
    _replace(_news(root), "Text.", "Corrected text.")


@pytest.mark.parametrize("change", [
    _edit_first_paragraph, _edit_title, _edit_tags, _edit_date, _new_story,
    _new_story_in_another_language, _new_backdated_story, _new_draft,
    _two_new_stories_and_an_edit],
    ids=["summary", "title", "tags", "date", "new story", "new story, another language",
         "new backdated story", "new draft", "two new stories and an edit"])
def test_a_few_articles_edited_or_new_are_built_without_the_rest(
        tmp_path: Path, monkeypatch: Any, change: Any, forks: list[int] | None) -> None:
    """A new story, or an edit that shows on listing pages (SPEC §14): only those articles
    are read and rendered, the listings are keyed again and only those that show something
    new are rendered (patch.py), and the result is what a build from scratch gives, with
    the delta the copies need and a cache the next build starts from."""
    root = tmp_path / "site"
    write_site(root, CORPUS, files=FILES, per_page=2)
    _age_site(root)
    first = _build_in_process(root)
    before = _site_bytes(root, first)
    change(root)
    full_paths = _full_paths_counted(monkeypatch)
    calls = _markdown_counted(monkeypatch)
    made_before = len(forks or [])
    patched = _build_in_process(root)
    monkeypatch.undo()
    assert forks is None or len(forks) - made_before == 2  # the outputs' stats, the sources'
    assert full_paths == []
    assert len(calls) <= 3  # the changed and new articles' bodies, no other
    fresh, fresh_bytes = _from_scratch(root, tmp_path)
    assert dict(patched.files) == dict(fresh.files)
    assert patched.files_digest == fresh.files_digest
    assert list(patched.entries) == list(fresh.entries)
    assert _site_bytes(root, patched) == fresh_bytes
    assert _records(root) == _records(tmp_path / "fresh")
    on_disk = {p.relative_to(root / "public").as_posix()
               for p in (root / "public").rglob("*") if p.is_file()}
    assert on_disk - set(patched.files) <= {"mirrors.json", "mirrors.html", "bc2.json"}
    changed = {p: e for p, e in fresh.files.items() if first.files.get(p) != e}
    gone = set(first.files) - set(fresh.files)
    delta = patched.delta
    if changed or gone:
        assert delta is not None and delta.base == first.files_digest
        assert dict(delta.changed) == changed and set(delta.gone) == gone
    else:  # a new draft: nothing readers see
        assert patched.files_digest == first.files_digest and delta == first.delta
    assert all(before[p] == fresh_bytes[p] for p in fresh_bytes
               if p in before and p not in changed)
    again = _build_in_process(root)  # the stamp answers, from the cache and its patch
    assert again.rendered == 0 and dict(again.files) == dict(patched.files)
    _age_site(root)
    (root / "content" / "help.md").write_text(
        (root / "content" / "help.md").read_text().replace("below.", "below, again."))
    after = _build_in_process(root)  # the next edit starts from the patched cache
    fresh_after, fresh_after_bytes = _from_scratch(root, tmp_path / "again")
    assert dict(after.files) == dict(fresh_after.files)
    assert _site_bytes(root, after) == fresh_after_bytes


def _edit_and_delete_another_page(root: Path) -> None:
    _replace(_news(root), "Text.", "Corrected text.")
    (root / "public" / "articles" / "help.html").unlink()


def _edit_a_picture(root: Path) -> None:
    _replace(_news(root), "Text.", "Corrected text.")
    (root / "content" / "news" / "img" / "map.png").write_bytes(PNG + b"\0")


def _edit_slug(root: Path) -> None:
    _replace(_news(root), 'slug: "outlet-blocked"', 'slug: "outlet-blocked-2"')


def _edit_language(root: Path) -> None:
    _replace(root / "content" / "ar" / "maqal.md", 'lang: "ar"', 'lang: "fa"')


def _publish_the_draft(root: Path) -> None:
    _replace(root / "content" / "draft.md", "draft: true", "draft: false")


def _remove_an_article(root: Path) -> None:
    (root / "content" / "ar" / "maqal.md").unlink()


@pytest.mark.parametrize("change", [_edit_and_delete_another_page, _edit_a_picture,
                                    _edit_slug, _edit_language, _publish_the_draft,
                                    _remove_an_article],
                         ids=["another page deleted", "a picture too", "slug", "language",
                              "a draft published", "an article removed"])
def test_what_a_few_articles_alone_cannot_answer_is_built_in_full(
        tmp_path: Path, monkeypatch: Any, change: Any, forks: list[int] | None) -> None:
    """A slug, language or draft flag moves what links lead to; a missing page, a changed
    picture or a removed article is not the edit's: the full build runs, and gives what a
    build from scratch gives."""
    root = tmp_path / "site"
    write_site(root, CORPUS, files=FILES, per_page=2)
    _age_site(root)
    _build_in_process(root)
    change(root)
    full_paths = _full_paths_counted(monkeypatch)
    result = _build_in_process(root)
    assert full_paths == [1]
    assert forks is None or forks
    fresh, fresh_bytes = _from_scratch(root, tmp_path)
    assert dict(result.files) == dict(fresh.files)
    assert _site_bytes(root, result) == fresh_bytes


def test_a_listing_page_is_rendered_only_when_what_it_shows_changed(
        tmp_path: Path, monkeypatch: Any) -> None:
    """A listing page is keyed by what it shows of its articles (their entry keys, kept
    in the cache records), not by their pages: a body edit the listings do not show,
    built in full (a picture changed with it), renders that article's page and no listing
    page. A cache whose records lack the entry keys (an earlier version's) runs the full
    build once, which keeps them; the next edit is built from the records."""
    from mirrorpub.site.build import stamp
    from mirrorpub.site.build.cache import RenderCache

    root = tmp_path / "site"
    write_site(root, CORPUS, files=FILES, per_page=2)
    _age_site(root)
    first = _build_in_process(root)
    listings = {p for p in first.files if not p.startswith(("articles/", "files/"))}
    assert {"index.html", "feed.xml"} <= listings
    _edit_a_picture(root)
    _age_site(root)
    before = _outputs(root)
    full_paths = _full_paths_counted(monkeypatch)
    result = _build_in_process(root)
    assert full_paths == [1] and result.rendered == 1
    after = _outputs(root)
    assert all(after[p] == before[p] for p in listings)  # bytes and mtimes
    cache = RenderCache.load(root / ".mirrorpub", root / "public")
    for record in cache.articles.values():
        record.pop("listed", None)
    cache.dirty = True
    cache.save(time.time_ns())
    # …with the stamp the earlier version wrote beside it.
    stamp_file = stamp.stamp_path(cache.path)
    written = json.loads(stamp_file.read_text())
    stamp_file.write_text(json.dumps({**written, "cache": list(stamp._file_key(cache.path))}))
    _replace(_news(root), "Outlet blocked", "Outlet unblocked")
    _age(_news(root))  # not the picture: its stat would send the build to the full one
    assert _build_in_process(root).rendered > 1
    assert full_paths == [1, 1]
    _replace(_news(root), "Outlet unblocked", "Outlet blocked again")
    _age(_news(root))
    patched = _build_in_process(root)
    assert full_paths == [1, 1]
    fresh, fresh_bytes = _from_scratch(root, tmp_path)
    assert dict(patched.files) == dict(fresh.files)
    assert _site_bytes(root, patched) == fresh_bytes


def test_a_new_story_whose_slug_clashes_is_refused_as_a_full_build_would(
        tmp_path: Path) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    _news(tmp_path, "again.md").write_text(article(
        "Outlet blocked again", "2026-11-28T08:00:00Z", "Text.", slug="outlet-blocked"),
        encoding="utf-8")
    patched = mirrorpub("build", cwd=tmp_path)
    shutil.rmtree(tmp_path / ".mirrorpub")
    full = mirrorpub("build", cwd=tmp_path)
    assert patched.returncode == full.returncode == 1
    assert "content/news/again.md" in patched.stderr and patched.stderr == full.stderr
    assert_no_traceback(patched)


def test_a_drafts_body_edit_changes_nothing_published(tmp_path: Path,
                                                       monkeypatch: Any) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    first = _build_in_process(tmp_path)
    source = tmp_path / "content" / "draft.md"
    source.write_text(source.read_text().replace("Secret draft.", "Still a secret."))
    full_paths = _full_paths_counted(monkeypatch)
    again = _build_in_process(tmp_path)
    assert full_paths == [] and again.rendered == 0
    assert again.files_digest == first.files_digest and again.delta == first.delta
    assert not any(b"secret" in data.lower() for data in _site_bytes(tmp_path, again).values())


def test_a_body_edit_that_breaks_a_link_is_refused_as_a_full_build_would(
        tmp_path: Path) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    page = (tmp_path / "public/articles/outlet-blocked.html").read_bytes()
    source = tmp_path / "content" / "news" / "outlet-blocked.md"
    source.write_text(source.read_text().replace("Text.", "See [gone](missing.md) and "
                                                 "[the draft](../draft.md)."))
    patched = mirrorpub("build", cwd=tmp_path)
    shutil.rmtree(tmp_path / ".mirrorpub")
    full = mirrorpub("build", cwd=tmp_path)
    assert patched.returncode == full.returncode == 1
    assert "content/news/outlet-blocked.md" in patched.stderr
    assert patched.stderr == full.stderr
    assert_no_traceback(patched)
    assert (tmp_path / "public/articles/outlet-blocked.html").read_bytes() == page


def test_a_removed_article_leaves_the_output(tmp_path: Path) -> None:
    write_site(tmp_path, CORPUS, files=FILES)
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    (tmp_path / "content" / "ar" / "maqal.md").unlink()
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    assert not (tmp_path / "public" / "articles" / "maqal.html").exists()
    assert b"maqal" not in (tmp_path / "public" / "feed.xml").read_bytes()


def test_site_templates_override_the_default_theme_by_name(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A", body="Body")})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "article.html").write_text(
        '{% extends "base.html" %}{% block main %}<p class="custom">{{ article.title }}</p>'
        "{% endblock %}", encoding="utf-8")
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    assert b'<p class="custom">A</p>' in (tmp_path / "public/articles/a.html").read_bytes()


def test_init_makes_a_site_that_builds(tmp_path: Path) -> None:
    assert mirrorpub("init", "news", cwd=tmp_path).returncode == 0
    result = mirrorpub("build", cwd=tmp_path / "news")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "news/public/index.html").is_file()
    # the sample article is a draft: it shows how to write one, and is never published
    assert "draft: true" in (tmp_path / "news/content/hello.md").read_text(encoding="utf-8")
    assert not (tmp_path / "news/public/articles/hello.html").exists()
    assert mirrorpub("init", "news", cwd=tmp_path).returncode == 1  # never overwrites


# --- bad input: exit 1, the file (and line) named, no traceback, nothing pushed ---------

BAD = {
    "duplicate slug": ({"a.md": article("A", slug="same"), "b.md": article("B", slug="same")},
                       r"content/b\.md:1: has the slug 'same', like content/a\.md"),
    "missing article": ({"a.md": article("A", body="x\n\nsee [b](b.md)")},
                        r"content/a\.md:7: link 'b\.md': no such article content/b\.md"),
    "missing file": ({"a.md": article("A", body="![x](img/nope.png)")},
                     r"content/a\.md:5: link 'img/nope\.png': no such file"),
    "leaves content": ({"a.md": article("A", body="[x](../secret.md)")},
                       r"content/a\.md:5: link '\.\./secret\.md' points outside content/"),
    "absolute path": ({"a.md": article("A", body="[x](/etc/passwd)")},
                      r"content/a\.md:5: link '/etc/passwd' starts with '/'"),
    "folder link": ({"a.md": article("A", body="[x](sub/)"), "sub/b.md": article("B")},
                    r"content/a\.md:5: link 'sub/' names a folder"),
    "link to a draft": ({"a.md": article("A", body="[x](b.md)"), "b.md": article("B", draft=True)},
                        r"content/a\.md.*b\.md, which is a draft"),
    "bad yaml": ({"a.md": "---\ntitle: [unclosed\ndate: 2026-01-01\n---\nx\n"},
                 r"content/a\.md:\d+: front matter is not valid YAML"),
    "no title": ({"a.md": "---\ndate: 2026-01-01\n---\nx\n"},
                 r"content/a\.md:2: front matter needs 'title:'"),
    "no date": ({"a.md": "---\ntitle: t\n---\nx\n"},
                r"content/a\.md:2: front matter needs 'date:'"),
    "bad date": ({"a.md": "---\ntitle: t\ndate: yesterday\n---\nx\n"},
                 r"content/a\.md:3: front matter 'date': expected an ISO 8601 date"),
    "typo key": ({"a.md": "---\ntitle: t\ndate: 2026-01-01\ndarft: true\n---\nx\n"},
                 r"content/a\.md:4: front matter 'darft': unknown key \(did you mean 'draft'\?\)"),
    "no front matter": ({"a.md": "# Just markdown\n"}, r"content/a\.md:1: must start with front"),
    "unclosed front matter": ({"a.md": "---\ntitle: t\n"}, r"content/a\.md:1: front matter is not"),
    "bad slug": ({"a.md": article("A", slug="Not A Slug")},
                 r"content/a\.md:4: front matter 'slug': expected lowercase"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_naming_the_file(tmp_path: Path, case: str) -> None:
    articles, message = BAD[case]
    copy = tmp_path / "usb"
    write_site(tmp_path, articles, mirrors=[{"name": "usb", "type": "directory", "path": "usb"}])
    result = mirrorpub("publish", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert_no_traceback(result)
    assert not copy.exists()  # nothing pushed after a failed build


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    write_site(tmp_path, {})
    (tmp_path / "content" / "a.md").write_bytes(
        b"---\ntitle: t\ndate: 2026-01-01\n---\nline five\n\xff\xfe bad\n")
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "content/a.md:6: is not valid UTF-8" in result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize("target", ["file", "folder"])
def test_symlinks_leading_out_of_content_are_refused(tmp_path: Path, target: str) -> None:
    write_site(tmp_path / "site", {"a.md": article("A")})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    link = tmp_path / "site" / "content" / "leak"
    os.symlink(outside / "secret.txt" if target == "file" else outside, link)
    result = mirrorpub("build", cwd=tmp_path / "site")
    assert result.returncode == 1
    assert "content/leak: is a link to" in result.stderr and "outside content/" in result.stderr
    assert not list((tmp_path / "site").rglob("public/**/secret*"))


def test_an_output_folder_not_made_by_mirrorpub_is_never_emptied(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A")})
    precious = tmp_path / "Documents"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = mirrorpub("build", "-o", str(precious), cwd=tmp_path)
    assert result.returncode == 1
    assert "is not empty and was not made by mirrorpub" in result.stderr
    assert (precious / "notes.txt").read_text() == "keep me"


def test_a_build_writes_the_manifest_of_the_mirrors_that_published(tmp_path: Path) -> None:
    import json

    import jsonschema

    from mirrorpub.trust.schema import files_part_schema, manifest_v2_schema

    write_site(tmp_path, CORPUS, files=FILES, mirrors=[
        {"name": "aws", "type": "s3", "bucket": "news-mirror", "region": "eu-central-1"},
        # an in-memory bucket (tests/plugins/), gone with the process, as a published copy
        {"name": "mem", "type": "memory", "bucket": "news", "public_url": "https://m.example/"},
        {"name": "usb", "type": "directory", "path": "usb"}])
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    manifest = json.loads((tmp_path / "public" / "mirrors.json").read_text())
    assert manifest["mirrors"] == []  # before any publish, no copy is known to work
    assert mirrorpub("publish", "--mirror", "mem", "--mirror", "usb",
                     cwd=tmp_path).returncode == 0
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    manifest = json.loads((tmp_path / "public" / "mirrors.json").read_text())
    jsonschema.validate(manifest, manifest_v2_schema())
    parts = {e["path"] for e in manifest["files_index"]}
    for part in parts:
        jsonschema.validate(json.loads((tmp_path / "public" / part).read_text()),
                            files_part_schema())
    assert [m["name"] for m in manifest["mirrors"]] == ["mem", "usb"]  # never aws
    assert manifest["mirrors"][0]["url"] == "https://m.example/index.html"
    built = {p.relative_to(tmp_path / "public").as_posix()
             for p in (tmp_path / "public").rglob("*") if p.is_file()}
    assert set(listed_files(tmp_path / "public")) == built - {"mirrors.json"} - parts
    bc2 = json.loads((tmp_path / "public" / "bc2.json").read_text())
    assert [a["url"] for a in bc2["sites"][0]["available_alternatives"]] == \
        ["https://m.example/index.html"]
    page = (tmp_path / "public" / "articles" / "help.html").read_text()
    assert 'href="https://m.example/articles/help.html"' in page
    assert "news-mirror" not in page


def test_serve_previews_the_site(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    write_site(tmp_path, CORPUS, files=FILES)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "mirrorpub", "serve", "--port", str(port)],
                              cwd=tmp_path, stderr=subprocess.PIPE)
    try:
        deadline, response = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/articles/help.html")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "How to reach us" in response.text
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- a build with nothing to do -----------------------------------------------------------
# An unchanged site is answered from the render cache without reading any article. These
# builds only take that path for sources older than the last build by a few seconds (as a
# file system's timestamps may be coarse), so the tests date every file an hour back.

def _age(*paths: Path) -> None:
    hour_ago = time.time() - 3600
    for path in paths:
        os.utime(path, (hour_ago, hour_ago))


def _age_site(root: Path) -> None:
    _age(root / "mirrorpub.toml", *root.rglob("content/**/*"))


def _outputs(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root / "public").as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in (root / "public").rglob("*") if p.is_file()}


def _build_in_process(root: Path) -> Any:
    from mirrorpub.config import load_config
    from mirrorpub.site.build import build_site

    return build_site(load_config(root / "mirrorpub.toml"))


def test_an_unchanged_site_gives_the_same_result_without_rendering(tmp_path: Path) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    full = _build_in_process(tmp_path)
    assert full.rendered > 0
    before = _outputs(tmp_path)
    again = _build_in_process(tmp_path)
    assert (again.rendered, again.reused) == (0, full.rendered + full.reused)
    assert again.files == full.files
    assert list(again.entries) == list(full.entries)
    assert len(again.entries) == len(full.entries) == 5  # the draft is not among them
    assert _outputs(tmp_path) == before  # nothing written again, not even touched
    # The command, too, with its manifest files (dated by the newest article).
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    built = _outputs(tmp_path)
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 0 and "(0 rendered" in result.stderr, result.stderr
    assert _outputs(tmp_path) == built


def _edit_article(root: Path) -> list[Path]:
    path = root / "content" / "news" / "outlet-blocked.md"
    path.write_text(path.read_text().replace("Text.", "Corrected text."))
    return [path]


def _swap_picture(root: Path) -> list[Path]:
    path = root / "content" / "news" / "img" / "map.png"
    path.write_bytes(path.read_bytes()[::-1])  # same size
    return [path]


def _change_template(root: Path) -> list[Path]:
    (root / "templates").mkdir(exist_ok=True)
    path = root / "templates" / "article.html"
    path.write_text('{% extends "base.html" %}{% block main %}<p class="custom">'
                    "{{ article.title }}</p>{% endblock %}", encoding="utf-8")
    return [path]


def _retitle_site(root: Path) -> list[Path]:
    path = root / "mirrorpub.toml"
    path.write_text(path.read_text().replace('"Test site"', '"Renamed site"'))
    return [path]


def _delete_page(root: Path) -> list[Path]:
    (root / "public/articles/maqal.html").unlink()
    return []


def _damage_page(root: Path) -> list[Path]:
    (root / "public/tags/help.html").write_bytes(b"x")
    return []


def _remove_article(root: Path) -> list[Path]:
    (root / "content" / "ar" / "maqal.md").unlink()
    return []


@pytest.mark.parametrize(("change", "expect"), [
    (_edit_article, lambda root: b"Corrected text." in
     (root / "public/articles/outlet-blocked.html").read_bytes()),
    (_swap_picture, lambda root: (root / "public/files/news/img/map.png").read_bytes()
     == PNG[::-1]),
    (_delete_page,
     lambda root: b"\xd9\x86\xd8\xb5" in (root / "public/articles/maqal.html").read_bytes()),
    (_damage_page, lambda root: b"rahnama.html" in (root / "public/tags/help.html").read_bytes()),
    (_remove_article, lambda root: not (root / "public/articles/maqal.html").exists()),
    (_change_template, lambda root: b'<p class="custom">Outlet blocked</p>' in
     (root / "public/articles/outlet-blocked.html").read_bytes()),
    (_retitle_site, lambda root: b"Renamed site" in (root / "public/index.html").read_bytes()),
], ids=["edited article", "same-size picture", "deleted page", "damaged page",
        "removed article", "template", "site title"])
def test_any_change_is_built_even_when_its_file_looks_old(
        tmp_path: Path, change: Any, expect: Any) -> None:
    write_site(tmp_path, CORPUS, files=FILES, per_page=2)
    _age_site(tmp_path)
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    changed = change(tmp_path)
    _age(*changed)  # as if copied with its old times kept (rsync -t, an unzipped backup)
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert expect(tmp_path)


def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A")})
    (tmp_path / "blocker").write_text("a file, not a folder")
    result = mirrorpub("build", "--output", "blocker/public", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'blocker' / 'public' / 'articles'}: cannot be written "
        "(Not a directory)"]


def test_init_writes_an_example_of_every_type_and_each_one_loads(tmp_path: Path) -> None:
    """Every installed type's example, uncommented, is a config mirrorpub accepts."""
    import re

    from mirrorpub.config import load_config

    assert mirrorpub("init", "news", cwd=tmp_path).returncode == 0
    text = (tmp_path / "news" / "mirrorpub.toml").read_text()
    for kind in ("s3", "ipfs", "directory", "git", "onion", "azure"):
        assert f'# type = "{kind}"' in text, kind
    blocks = re.findall(r"^# \[\[mirrors\]\]\n((?:# .*\n)+)", text, flags=re.M)
    assert len(blocks) == 6
    for index, block in enumerate(blocks):
        lines = [line[2:] for line in block.splitlines()
                 if not line.startswith("#   ")]
        entry = "\n".join(line for line in lines if "=" in line.split("#")[0])
        entry = re.sub(r'name = "[^"]+"', f'name = "example-{index}"', entry)
        entry = entry.replace("https://…", "https://example.org/")
        (tmp_path / "news" / "mirrorpub.toml").write_text(
            text + f"\n[[mirrors]]\n{entry}\n", encoding="utf-8")
        load_config(tmp_path / "news" / "mirrorpub.toml")  # raises on any problem
