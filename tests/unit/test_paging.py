"""Stable pagination and feed archives (SPEC §14), as pure functions of the counts."""

from __future__ import annotations

import pytest

from mirrorpub import layout
from mirrorpub.site.pages import feed_documents, stable_pages


def pages(count: int, per_page: int = 3) -> dict[str, tuple[list[int], str | None, str | None]]:
    """Each page: the articles it shows, numbered from the oldest (1 = the first ever
    published), and its newer and older links."""
    return {p.path: ([count - i for i in range(p.start, p.stop)], p.newer, p.older)
            for p in stable_pages(count, per_page, layout.INDEX, layout.archive_path)}


def test_archive_pages_count_from_the_oldest_and_the_front_page_shows_the_newest() -> None:
    assert pages(7) == {
        "index.html": ([7, 6, 5], None, "page-2.html"),
        "page-1.html": ([3, 2, 1], "page-2.html", None),
        "page-2.html": ([6, 5, 4], "page-3.html", "page-1.html"),
        "page-3.html": ([7], "index.html", "page-2.html"),
    }


def test_an_empty_site_has_a_front_page_only_and_a_small_one_links_no_older_page() -> None:
    assert pages(0) == {"index.html": ([], None, None)}
    assert pages(2) == {"index.html": ([2, 1], None, None),
                        "page-1.html": ([2, 1], "index.html", None)}


@pytest.mark.parametrize("per_page", [1, 2, 3, 20])
def test_one_more_article_changes_the_front_page_and_at_most_two_archive_pages(
        per_page: int) -> None:
    for count in range(60):
        before, after = pages(count, per_page), pages(count + 1, per_page)
        changed = {p for p in after if before.get(p) != after[p]}
        assert not before.keys() - after.keys(), count  # bookmarks keep working
        assert "index.html" in changed and len(changed - {"index.html"}) <= 2, (count, changed)
        # A page with a newer one after it already never changes again.
        followed = {p for p, (_, newer, _) in before.items() if newer not in (None, "index.html")}
        assert not followed & changed, count


def test_feed_archives_are_full_never_change_and_with_the_feed_list_every_entry() -> None:
    for count in range(40):
        docs = feed_documents(count, 4)
        shown = set().union(*(range(count - d.stop, count - d.start) for d in docs))
        assert shown == set(range(count)), count  # numbered from the oldest, 0 first
        archives = {d.path: (count - d.stop, count - d.start, d.prev_archive)
                    for d in docs if d.archived}
        assert all(stop - start == 4 for start, stop, _ in archives.values())
        later = {d.path: (count + 1 - d.stop, count + 1 - d.start, d.prev_archive)
                 for d in feed_documents(count + 1, 4) if d.archived}
        assert all(later[p] == archives[p] for p in archives), count
    current = feed_documents(9, 4)[0]
    assert (current.path, current.stop - current.start, current.prev_archive) == (
        "feed.xml", 4, "feed-2.xml")
