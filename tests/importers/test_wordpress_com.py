"""fixtures/wpcom.xml: an export in WordPress.com's style (its `https://` WXR namespaces,
media on `*.files.wordpress.com` with `?w=` sizes) with the themes' "theme unit test" mix
of post formats. Imported with the media library beside it, it builds and crawls clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.importers.conftest import (
    FIXTURES,
    build_and_crawl,
    import_json,
    new_site,
    notes_of,
    write_uploads,
)
from tests.sitekit import Crawl, article_paths

MEDIA = {f"2024/03/{name}": f"media {name}".encode() for name in (
    "queue.jpg", "debate.jpg", "ballot.jpg", "sunrise.jpg", "steppe.jpg", "episode-3.mp3",
    "protest.mp4")}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, Crawl]:
    root = new_site(tmp_path_factory.mktemp("wpcom"))
    write_uploads(root / "media", MEDIA)
    report = import_json(root, "wordpress", str(FIXTURES / "wpcom.xml"), "--uploads", "media")
    return root, report, build_and_crawl(root)


def body(root: Path, rel: str) -> str:
    return (root / "content" / rel).read_text("utf-8").split("\n---\n", 1)[1]


def test_the_https_namespaces_are_read(imported: tuple[Path, dict, Crawl]) -> None:
    _, report, site = imported
    assert (report["articles"], report["drafts"], report["pages"], report["files"]) == \
        (14, 2, 2, 7)
    assert len(article_paths(site)) == 12
    assert len(report["notes"]) == 20


def test_wordpress_com_media_urls_with_sizes_are_the_uploaded_files(
        imported: tuple[Path, dict, Crawl]) -> None:
    root, _, site = imported
    assert body(root, "2024/image-of-the-day.md") == "\n".join([
        "[![Sunrise over the steppe](image-of-the-day/sunrise.jpg)](image-of-the-day/"
        "sunrise.jpg)", "",
        "Photo by a reader. Also see [Agency sunset](https://images.example-cdn.com/agency/"
        "sunset.jpg).", "",
        # [gallery] without ids: the post's attached images, in their menu order.
        "- ![Sunrise](image-of-the-day/sunrise.jpg)",
        "- ![steppe](image-of-the-day/steppe.jpg) The steppe at noon", ""])
    assert site.pages["files/2024/image-of-the-day/sunrise.jpg"] == b"media sunrise.jpg"


def test_post_formats(imported: tuple[Path, dict, Crawl]) -> None:
    root, report, _ = imported
    assert body(root, "2024/chat-with-an-observer.md") == "\n".join([
        "Q: Were you allowed in?  ", "A: Only after an hour.  ",
        "Q: Did you see ballot stuffing?  ", "A: I saw a man with a `<bag>` of ballots.", "",
        "```text", "station 12: 412 ballots", "station 13: 389 ballots", "```", ""])
    assert body(root, "2024/protest-footage.md") == "\n".join([
        "[protest.mp4](protest-footage/protest.mp4)", "",
        "[https://www.youtube.com/watch?v=AbCdEfGhIjK](https://www.youtube.com/watch?v="
        "AbCdEfGhIjK)", "",
        "> Тысячи людей на площади", ">",
        "> — Steppe (@steppe) [March 4, 2024](https://twitter.com/steppe/status/99)", ""])
    # An aside has no title: its first words are.
    aside = (root / "content" / "2024" / "1234.md").read_text("utf-8")
    assert 'title: "Quick note: our Telegram channel is back up.…"' in aside
    assert 'slug: "1234"' in aside  # a number to YAML, unless quoted
    assert ("https://platform.twitter.com/widgets.js", "a script: removed (copies run no "
            "scripts)") in notes_of(report, "content/2024/protest-footage.md")


def test_nested_lists_galleries_and_attachment_pages(imported: tuple[Path, dict, Crawl]) -> None:
    root, _, _ = imported
    text = body(root, "2024/candidates.md")
    assert text.startswith("\n".join([
        "Six candidates are on the ballot. Here is who they are.", "",
        "1. An incumbent **deputy**", "    - in office since 2016", "2. A lawyer",
        "3. A blogger", "", "![Debate stage](candidates/debate.jpg)", "",
        "![A ballot](candidates/ballot.jpg)", "", "*The ballot paper*", ""]))
    assert text.endswith("Photo: [the debate](candidates/debate.jpg).\n")  # its attachment page


def test_trashed_posts_are_drafts_under_their_old_name(imported: tuple[Path, dict, Crawl]) -> None:
    root, _, _ = imported
    assert "slug: old-rumour\n" in (root / "content/2024/old-rumour.md").read_text("utf-8")
    assert "draft: true" in (root / "content/2024/old-rumour.md").read_text("utf-8")
