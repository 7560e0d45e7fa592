"""Index pages, tag pages and the feed: rendered again only when what they show changed."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from mirrorpub import fsatomic, layout
from mirrorpub.content.slugs import slugify
from mirrorpub.model import FileEntry
from mirrorpub.site.build.cache import RenderCache, output_size
from mirrorpub.site.build.pool import mapper
from mirrorpub.site.mediatypes import entry_for_bytes
from mirrorpub.site.pages import Entry, PageRenderer, feed_documents, stable_pages


class Placed(Protocol):
    """Of an article, what places it on the listing pages (an Entry has it)."""

    @property
    def slug(self) -> str: ...

    @property
    def tags(self) -> tuple[str, ...]: ...


P = TypeVar("P", bound=Placed)


class Shown(NamedTuple):
    """Of a published article, what places and keys it on the listing pages: a page is
    keyed by its articles' entry keys (kept in their cache records), so its entries are
    made only when it is rendered, from `source` (the caller's entry_of)."""

    slug: str
    tags: tuple[str, ...]
    line: str  # "<slug> <entry_key>": this article's part of a listing page's key
    source: Any


def entry_key(entry: Entry) -> str:
    """All a listing shows of one article, digested: its part of a listing page's key,
    kept in its cache record (the "listed" key) so a listing is keyed without making the
    entries of its articles again. repr() of a tuple of strings is unambiguous and stable."""
    line = repr((entry.slug, entry.title, entry.date, entry.updated, entry.summary,
                 entry.lang, entry.author, entry.tags))
    return hashlib.sha256(line.encode("utf-8")).hexdigest()[:32]


def render_listings(shown: list[Shown], entry_of: Callable[[Any], Entry],
                    renderer: PageRenderer, sizes: tuple[int, int], output_dir: Path,
                    cache: RenderCache, files: dict[str, FileEntry], base: str,
                    workers: int, outputs_checked: bool = False) -> int:
    """Index pages, tag pages, feed documents; `shown`: the published articles, newest
    first; `sizes`: (per_page, feed_size). `base` and the articles' lines cover all the
    listings show: unchanged, no page needs a look. `outputs_checked`: every recorded page
    was just found with its recorded size (stamp.check_outputs), so none is looked at
    again: 19,000 of them at 100,000 articles."""
    inputs = "\n".join([base, str(sizes), *(s.line for s in shown)])
    if cache.step("listings", hashlib.sha256(inputs.encode("utf-8")).hexdigest()) and \
            all(output_size(output_dir / p) == r["entry"]["size"] for p, r in cache.pages.items()):
        files.update((p, FileEntry(**r["entry"])) for p, r in cache.pages.items())
        return 0
    kept: dict[str, dict[str, Any]] = {}
    jobs = []
    for template, page, chunk, extra in _LAST_JOBS.get(shown, *sizes):
        text = "\n".join([base, template, json.dumps(extra, ensure_ascii=False),
                          *[s.line for s in chunk]])
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        hit = cache.pages.get(page)
        if hit and hit["key"] == key and (outputs_checked or output_size(
                os.path.join(output_dir, page)) == hit["entry"]["size"]):
            kept[page] = hit
        else:
            jobs.append((template, page, [entry_of(s.source) for s in chunk], extra, key))
    state = {"jobs": jobs, "renderer": renderer, "output_dir": output_dir}
    with mapper(workers, len(jobs), state) as run:
        kept.update(run(_render_listing, range(len(jobs))))
    for page, record in kept.items():
        files[page] = FileEntry(**record["entry"])
    cache.dirty = cache.dirty or bool(jobs) or kept.keys() != cache.pages.keys()
    cache.pages = kept
    return len(jobs)


def age_ranks(entries: Sequence[Any], per_page: int, feed_size: int) -> dict[str, int]:
    """Each article page's and listing page's age rank, for the manifest's parts
    (manifest.split_files): the place, counted from the oldest, of the newest article it
    shows. A new story's page and the listing pages it changes share the newest rank.
    `entries`: newest first, each with the `slug` and `tags` of an Entry."""
    shown = entries if isinstance(entries, list) else list(entries)
    rank = {e.slug: len(shown) - 1 - i for i, e in enumerate(shown)}
    ranks = {layout.article_path(slug): n for slug, n in rank.items()}
    for _template, page, chunk, _extra in _LAST_JOBS.get(shown, per_page, feed_size):
        if chunk:
            ranks[page] = rank[chunk[0].slug]
    return ranks


def _render_listing(work: dict[str, Any], index: int) -> tuple[str, dict[str, Any]]:
    template, page, chunk, extra, key = work["jobs"][index]
    renderer: PageRenderer = work["renderer"]
    if template == "feed.xml":
        data = renderer.feed(chunk, page, **extra)
    else:
        data = renderer.listing(template, page, chunk, **extra)
    fsatomic.write_bytes(work["output_dir"] / page, data)
    return page, {"key": key, "entry": asdict(entry_for_bytes(page, data))}


ListingJob = tuple[str, str, list[P], dict[str, Any]]


def _listing_jobs(entries: list[P], per_page: int, feed_size: int
                  ) -> list[ListingJob[P]]:
    """(template, page path, entries shown, extra context) for every listing page. The
    extra context names everything else a page shows (its links), so it keys the cache."""
    jobs: list[ListingJob[P]] = [
        ("feed.xml", doc.path, entries[doc.start:doc.stop],
         {"archived": doc.archived, "prev_archive": doc.prev_archive})
        for doc in feed_documents(len(entries), feed_size)]
    jobs += _paged("index.html", entries, per_page, layout.INDEX, layout.archive_path, {})
    by_tag: dict[str, list[P]] = defaultdict(list)
    names: dict[str, str] = {}
    slugs: dict[str, str] = {}  # slugify is slow and there are few distinct tags
    for entry in entries:
        for tag in entry.tags:
            slug = slugs.get(tag) or slugs.setdefault(tag, slugify(tag))
            names.setdefault(slug, tag)
            by_tag[slug].append(entry)
    for slug in sorted(by_tag):
        tagged = by_tag[slug]
        jobs += _paged("tag.html", tagged, per_page, layout.tag_path(slug),
                       functools.partial(layout.tag_archive_path, slug),
                       {"tag": names[slug], "count": len(tagged)})
    return jobs


class _LastJobs:
    """The listing jobs of the last entries asked for, by identity: the ranks of a
    publish's manifest (age_ranks) are those of the pages its build just listed, from the
    same list, and cutting 100,000 articles into their pages took a quarter of a second."""

    def __init__(self) -> None:
        self._last: tuple[list[Any], tuple[int, int], list[ListingJob[Any]]] | None = None

    def get(self, entries: list[P], per_page: int, feed_size: int) -> list[ListingJob[P]]:
        last = self._last  # one read: another thread may replace it meanwhile
        if last is not None and last[0] is entries and last[1] == (per_page, feed_size):
            return last[2]
        jobs = _listing_jobs(entries, per_page, feed_size)
        self._last = (entries, (per_page, feed_size), jobs)
        return jobs

    def forget(self) -> None:
        """At the start of a build: what the last one listed is not kept in memory (watch)."""
        self._last = None


_LAST_JOBS = _LastJobs()
forget_jobs = _LAST_JOBS.forget


def _paged(template: str, entries: list[P], per_page: int, front: str,
           archive: Callable[[int], str], extra: dict[str, Any]) -> list[ListingJob[P]]:
    jobs: list[ListingJob[P]] = []
    for page in stable_pages(len(entries), per_page, front, archive):
        # The count changes with every article: only the front page, which does too, says it.
        shown = extra if page.archive_no is None else {**extra, "count": None}
        jobs.append((template, page.path, entries[page.start:page.stop],
                     {**shown, "archive_no": page.archive_no, "newer": page.newer,
                      "older": page.older}))
    return jobs


# --- stale outputs ----------------------------------------------------------------------
