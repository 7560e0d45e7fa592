"""`mirrorpub import wordpress` on fixtures/newsroom.xml, an export with one item for each
rule of SPEC §13: the markdown each post becomes, the files beside it, the report, and
that the imported site builds and crawls clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.importers.conftest import (
    FIXTURES,
    NEWSROOM_UPLOADS,
    build_and_crawl,
    import_json,
    new_site,
    notes_of,
    run_import,
    tree_digest,
    write_uploads,
)
from tests.sitekit import Crawl, article_paths

EXPORT = FIXTURES / "newsroom.xml"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Crawl]:
    root = new_site(tmp_path_factory.mktemp("newsroom"))
    write_uploads(root / "old" / "wp-content" / "uploads", NEWSROOM_UPLOADS)
    report = import_json(root, "wordpress", str(EXPORT), "--uploads", "old/wp-content/uploads")
    return root, report, build_and_crawl(root)


def body(root: Path, rel: str) -> str:
    return (root / "content" / rel).read_text(encoding="utf-8").split("\n---\n", 1)[1]


def front(root: Path, rel: str) -> str:
    return (root / "content" / rel).read_text(encoding="utf-8").split("\n---\n", 1)[0]


def test_the_site_builds_and_every_published_article_is_reachable(
        imported: tuple[Path, dict, Crawl]) -> None:
    _root, report, site = imported
    assert article_paths(site) == {
        "articles/harbour-reopens.html", "articles/strike-ends.html",
        "articles/editorial-why-we-stay.html", "articles/zakon-o-smi.html",
        "articles/media-law.html", "articles/about.html"}
    assert {"files/2019/harbour-reopens/harbour.jpg", "files/2019/harbour-reopens/market.jpg",
            "files/2019/harbour-reopens/market-stall.png",
            "files/2019/strike-ends/strike-1024x683.jpg"} <= set(site.pages)
    assert (report["articles"], report["drafts"], report["pages"], report["files"]) == \
        (11, 5, 1, 4)


def test_front_matter_from_the_post(imported: tuple[Path, dict, Crawl]) -> None:
    root, _, _ = imported
    assert front(root, "2019/harbour-reopens.md") == "\n".join([
        "---",
        "# imported from WordPress post 10",
        'title: "Harbour reopens & ships return"',
        "date: 2019-05-03T16:20:00+06:00",  # post_date_gmt, shown in the author's zone
        "slug: harbour-reopens",
        'author: "Aidai Bekova"',  # dc:creator's display name
        'tags: ["World News", "Port", "Economy"]',  # not "Uncategorized"
        'summary: "Ships are back after three weeks."',
        "updated: 2019-05-04T09:00:00+06:00"])


def test_classic_editor_paragraphs_caption_gallery_embed_and_shortcodes(
        imported: tuple[Path, dict, Crawl]) -> None:
    root, report, _ = imported
    assert body(root, "2019/harbour-reopens.md") == "\n".join([
        "The harbour reopened on Friday after **three weeks**.  ",
        "Ships queued overnight.",
        "",
        "[![Ships in the harbour](harbour-reopens/harbour.jpg)](harbour-reopens/harbour.jpg)",
        "",
        "*Ships waiting at dawn*",
        "",
        "See [the strike report](strike-ends.md), [the editorial](editorial-why-we-stay.md) "
        "and [the media law](media-law.md).",
        "",
        "- ![Stalls at dawn](harbour-reopens/market.jpg) Morning market",
        "- ![Market stall](harbour-reopens/market-stall.png)",
        "",
        "[https://www.youtube.com/watch?v=dQw4w9WgXcQ](https://www.youtube.com/watch?v="
        "dQw4w9WgXcQ)",
        "",
        "Support independent journalism.",
        "",
        "[Lost photo](https://news.example.org/wp-content/uploads/2019/05/missing-photo.jpg)",
        "",
        "[More world news](https://news.example.org/category/world-news/) and [an "
        "investigation we are working on](https://news.example.org/?p=20).",
        ""])
    # The resized copy was missing: the original was copied, once, under a clean name.
    copied = root / "content" / "2019" / "harbour-reopens"
    assert sorted(p.name for p in copied.iterdir()) == ["harbour.jpg", "market-stall.png",
                                                        "market.jpg"]
    assert (copied / "harbour.jpg").read_bytes() == NEWSROOM_UPLOADS["2019/05/harbour.jpg"]
    notes = notes_of(report, "content/2019/harbour-reopens.md")
    assert ("[su_note]", "unknown shortcode: removed (the text inside it kept)") in notes
    assert ("https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "an embed: kept as a link (copies load nothing from elsewhere)") in notes
    assert ("https://news.example.org/wp-content/uploads/2019/05/missing-photo.jpg",
            "not found under --uploads (nor the original of a resized copy): left as a "
            "link") in notes
    assert ("https://news.example.org/category/world-news/",
            "a page of the old site that is no imported article: left pointing at the old "
            "site") in notes


def test_block_editor_post(imported: tuple[Path, dict, Crawl]) -> None:
    root, report, _ = imported
    assert body(root, "2019/strike-ends.md") == "\n".join([
        "The strike ended after talks. Read [the harbour story](harbour-reopens.md#reactions).",
        "",
        "## What changes",
        "",
        "- Wages rise",
        "- Shifts shorten",
        "",
        "![Workers](strike-ends/strike-1024x683.jpg)",  # the resized copy was there
        "",
        "*Workers leave the gates*",
        "",
        "[https://twitter.com/newsroom/status/1](https://twitter.com/newsroom/status/1)",
        "",
        "*The union's statement*",
        "",
        "> We won.",
        ">",
        "> Union leader",
        "",
        "Support our work: read [about us](../pages/about.md).",  # the reusable block
        ""])
    notes = notes_of(report, "content/2019/strike-ends.md")
    assert ("block wp:latest-posts", "made by WordPress when the page is shown; removed") \
        in notes
    every_article = "".join(p.read_text("utf-8") for p in (root / "content").rglob("*.md"))
    assert "<!--" not in every_article and "[caption" not in every_article


def test_non_ascii_slugs_are_decoded_and_transliterated(
        imported: tuple[Path, dict, Crawl]) -> None:
    root, _, site = imported
    assert "slug: zakon-o-smi" in front(root, "2019/zakon-o-smi.md")
    assert body(root, "2019/zakon-o-smi.md") == \
        "Парламент принял закон. [English version](media-law.md).\n"
    # A link by the percent-encoded permalink finds it.
    assert body(root, "2019/media-law.md") == \
        "Parliament passed the law. [Russian version](zakon-o-smi.md).\n"
    assert "articles/zakon-o-smi.html" in site.pages


@pytest.mark.parametrize(("rel", "status"), [
    ("2019/unfinished-investigation.md", "draft"),
    ("2019/waiting-for-review.md", "pending"),
    ("2030/election-night-plan.md", "future"),
    ("2019/source-list.md", "private"),
    ("2019/members-only.md", "publish, password"),
])
def test_anything_not_published_is_a_draft(imported: tuple[Path, dict, Crawl], rel: str,
                                           status: str) -> None:
    root, report, _ = imported
    assert "\ndraft: true" in front(root, rel)
    assert any(what == f"status {status}" for what, _ in notes_of(report, f"content/{rel}"))


def test_no_text_or_file_of_a_draft_reaches_the_site(imported: tuple[Path, dict, Crawl]) -> None:
    root, _report, _ = imported
    public = b"".join(p.read_bytes() for p in (root / "public").rglob("*") if p.is_file())
    for secret in (b"The secret text of a protected post", b"Sources say", b"Private notes",
                   b"whistleblower photo", b"Members only"):
        assert secret not in public
    # A private post's image is not copied (every file in content/ is on every copy).
    assert not (root / "content" / "2019" / "source-list").exists()
    assert body(root, "2019/source-list.md") == "Private notes. [Whistleblower](https://news." \
        "example.org/wp-content/uploads/2019/07/private.jpg)\n"


def test_pages_are_tagged_page_and_links_between_posts_are_files(
        imported: tuple[Path, dict, Crawl]) -> None:
    root, _, site = imported
    assert 'tags: ["page"]' in front(root, "pages/about.md")
    # mailto kept; a root-relative link to a post becomes the post's file.
    assert body(root, "pages/about.md") == "\n".join([
        "We are a small team.", "",
        "Write to us: [desk@news.example.org](mailto:desk@news.example.org). Our latest: "
        "[the strike](../2019/strike-ends.md).", ""])
    page = site.pages["articles/about.html"].decode()
    assert 'href="strike-ends.html"' in page


def test_a_link_to_a_draft_stays_on_the_old_site(imported: tuple[Path, dict, Crawl]) -> None:
    _root, report, _ = imported
    assert ("https://news.example.org/?p=20", "links to 2019/unfinished-investigation.md, "
            "which is a draft and so imported as a draft: left pointing at the old site") in \
        notes_of(report, "content/2019/harbour-reopens.md")


def test_sticky_posts_are_noted(imported: tuple[Path, dict, Crawl]) -> None:
    root, report, _ = imported
    assert "# imported from WordPress post 12 (sticky)" in front(root,
                                                                "2019/editorial-why-we-stay.md")
    assert [w for w, _ in notes_of(report, "content/2019/editorial-why-we-stay.md")] == \
        ["sticky"]


def test_what_is_no_article_is_listed(imported: tuple[Path, dict, Crawl]) -> None:
    _, report, _ = imported
    notes = notes_of(report, str(EXPORT))
    assert ("item 61 ('product': 'Tote bag')", "not a post or page: skipped") in notes
    assert ("2 comments", "not imported: mirrorpub sites have no comments") in notes
    assert not any("Main menu" in what for what, _ in notes)  # menus are not content


def test_the_report_reads_one_line_per_thing(tmp_path: Path) -> None:
    root = new_site(tmp_path / "site")
    result = run_import(root, "wordpress", str(EXPORT))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("imported 11 articles (5 drafts, 1 pages) and 0 files")
    assert "content/2019/strike-ends.md: https://news.example.org/wp-content/uploads/2019/06/" \
        "strike-1024x683.jpg: an uploaded file, and no --uploads folder was given: left as a " \
        "link" in lines
    build_and_crawl(root)  # without the files, every image is a link: it still builds


def test_importing_again_changes_nothing_and_keeps_edits(tmp_path: Path) -> None:
    root = new_site(tmp_path / "site")
    uploads = write_uploads(tmp_path / "uploads", NEWSROOM_UPLOADS)
    first = import_json(root, "wordpress", str(EXPORT), "--uploads", str(uploads))
    before = tree_digest(root / "content")
    again = import_json(root, "wordpress", str(EXPORT), "--uploads", str(uploads))
    assert tree_digest(root / "content") == before
    assert (again["written"], again["unchanged"], again["kept"]) == (0, first["written"], [])

    edited = root / "content" / "2019" / "strike-ends.md"
    edited.write_text(edited.read_text("utf-8") + "\nAn editor's addition.\n", "utf-8")
    kept = import_json(root, "wordpress", str(EXPORT), "--uploads", str(uploads))
    assert kept["kept"] == ["content/2019/strike-ends.md"]
    assert "An editor's addition." in edited.read_text("utf-8")
    text = run_import(root, "wordpress", str(EXPORT), "--uploads", str(uploads)).stdout
    assert "content/2019/strike-ends.md: left alone: it differs from what the import would " \
        "write (--force replaces it)" in text.splitlines()

    forced = import_json(root, "wordpress", str(EXPORT), "--uploads", str(uploads), "--force")
    assert forced["replaced"] == 1
    assert tree_digest(root / "content") == before
    assert not [p for p in (root / "content").iterdir() if p.name.startswith(".")]


def test_an_article_already_there_keeps_its_slug(tmp_path: Path) -> None:
    """The import picks slugs no existing article has, so the site still builds."""
    root = new_site(tmp_path / "site")
    (root / "content" / "mine.md").write_text(
        '---\ntitle: "Mine"\ndate: 2020-01-01\nslug: strike-ends\n---\nMy own.\n', "utf-8")
    import_json(root, "wordpress", str(EXPORT))
    assert "slug: strike-ends-11" in front(root, "2019/strike-ends-11.md")
    assert "[the strike report](strike-ends-11.md)" in body(root, "2019/harbour-reopens.md")
    again = import_json(root, "wordpress", str(EXPORT))
    assert again["written"] == 0 and again["kept"] == []
    build_and_crawl(root)


def test_the_site_time_zone_dates_drafts_without_a_gmt_date(tmp_path: Path) -> None:
    root = new_site(tmp_path / "site")
    import_json(root, "wordpress", str(EXPORT), "--timezone", "Europe/Berlin")
    # post_date_gmt 0000-00-00: post_date is read in the zone given (summer time there).
    assert "date: 2019-07-02T09:00:00+02:00" in front(root, "2019/unfinished-investigation.md")
    # With a GMT date the zone does not matter.
    assert "date: 2019-05-03T16:20:00+06:00" in front(root, "2019/harbour-reopens.md")
    bad = run_import(root, "wordpress", str(EXPORT), "--timezone", "Mars/Olympus")
    assert bad.returncode == 2 and "--timezone" in bad.stderr


def test_the_output_folder_is_made_when_missing(tmp_path: Path) -> None:
    root = new_site(tmp_path / "site")
    shutil.rmtree(root / "content")
    result = run_import(root, "wordpress", str(EXPORT), "-o", "content")
    assert result.returncode == 0, result.stderr
    assert (root / "content" / "2019" / "strike-ends.md").is_file()
