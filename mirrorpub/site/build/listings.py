"""Index pages, tag pages and the feed: rendered again only when what they show changed."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic, layout
from mirrorpub.content.slugs import slugify
from mirrorpub.model import FileEntry
from mirrorpub.site.build.cache import RenderCache, output_size
from mirrorpub.site.build.pool import mapper
from mirrorpub.site.mediatypes import entry_for_bytes
from mirrorpub.site.pages import Entry, PageRenderer, tag_pages


def render_listings(entries: list[Entry], renderer: PageRenderer, per_page: int,
                     output_dir: Path, cache: RenderCache, files: dict[str, FileEntry],
                     base: str, shown: str, workers: int) -> int:
    """Index pages, tag pages, feed. `base` and `shown` (each article's slug and page key,
    which stands for its entry) cover all they show: unchanged, no page needs a look."""
    inputs = f"{base}\n{per_page}\n{shown}"
    if cache.step("listings", hashlib.sha256(inputs.encode("utf-8")).hexdigest()) and \
            all(output_size(output_dir / p) == r["entry"]["size"] for p, r in cache.pages.items()):
        files.update((p, FileEntry(**r["entry"])) for p, r in cache.pages.items())
        return 0
    lines = {e.slug: _entry_line(e) for e in entries}
    kept: dict[str, dict[str, Any]] = {}
    jobs = []
    shown_pages: dict[int, str] = {}  # the JSON of each group's page list, made once
    for template, page, chunk, extra in _listing_jobs(entries, renderer, per_page):
        text = "\n".join([base, template, _extra_json(extra, shown_pages),
                          *(lines[e.slug] for e in chunk)])
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        hit = cache.pages.get(page)
        if hit and hit["key"] == key and output_size(output_dir / page) == hit["entry"]["size"]:
            kept[page] = hit
        else:
            jobs.append((template, page, chunk, extra, key))
    state = {"jobs": jobs, "renderer": renderer, "output_dir": output_dir}
    with mapper(workers, len(jobs), state) as run:
        kept.update(run(_render_listing, range(len(jobs))))
    for page, record in kept.items():
        files[page] = FileEntry(**record["entry"])
    cache.dirty = cache.dirty or bool(jobs) or kept.keys() != cache.pages.keys()
    cache.pages = kept
    return len(jobs)


def _render_listing(work: dict[str, Any], index: int) -> tuple[str, dict[str, Any]]:
    template, page, chunk, extra, key = work["jobs"][index]
    renderer: PageRenderer = work["renderer"]
    if template == "feed.xml":
        data = renderer.feed(chunk)
    else:
        data = renderer.listing(template, page, chunk, **extra)
    fsatomic.write_bytes(work["output_dir"] / page, data)
    return page, {"key": key, "entry": asdict(entry_for_bytes(page, data))}


def _extra_json(extra: dict[str, Any], shown_pages: dict[int, str]) -> str:
    """json.dumps(extra, ensure_ascii=False), without encoding the same list of pages
    again for each of its pages (500 index pages each list all 500)."""
    if list(extra)[-1:] != ["pages"]:
        return json.dumps(extra, ensure_ascii=False)
    pages = extra["pages"]
    if id(pages) not in shown_pages:
        shown_pages[id(pages)] = json.dumps(pages, ensure_ascii=False)
    head = json.dumps({k: v for k, v in extra.items() if k != "pages"}, ensure_ascii=False)
    return f'{head[:-1]}, "pages": {shown_pages[id(pages)]}}}'



def _entry_line(entry: Entry) -> str:
    """All a listing shows of one article, as one line: part of the listing's cache key.
    repr() of a tuple of strings is unambiguous, stable and several times quicker than JSON."""
    return repr((entry.slug, entry.title, entry.date, entry.updated, entry.summary,
                 entry.lang, entry.author, entry.tags))


ListingJob = tuple[str, str, list[Entry], dict[str, Any]]


def _listing_jobs(entries: list[Entry], renderer: PageRenderer,
                  per_page: int) -> list[ListingJob]:
    """(template, page path, entries shown, extra context) for every listing page."""
    # The feed lists every article: the longest job goes first, so that it is not the one
    # a worker is still on when the others are done.
    jobs: list[ListingJob] = [("feed.xml", layout.FEED, entries, {})]
    count = max(1, -(-len(entries) // per_page))
    index_pages = [layout.index_path(n) for n in range(1, count + 1)]
    for n, page in enumerate(index_pages, start=1):
        chunk = entries[(n - 1) * per_page: n * per_page]
        jobs.append(("index.html", page, chunk, {"page_no": n, "pages": index_pages}))
    by_tag: dict[str, list[Entry]] = defaultdict(list)
    names: dict[str, str] = {}
    slugs: dict[str, str] = {}  # slugify is slow and there are few distinct tags
    for entry in entries:
        for tag in entry.tags:
            slug = slugs.get(tag) or slugs.setdefault(tag, slugify(tag))
            names.setdefault(slug, tag)
            by_tag[slug].append(entry)
    for slug in sorted(by_tag):
        tagged = by_tag[slug]
        pages = tag_pages(names[slug], len(tagged), per_page)
        for n, page in enumerate(pages, start=1):
            jobs.append(("tag.html", page, tagged[(n - 1) * per_page: n * per_page],
                         {"tag": names[slug], "count": len(tagged), "page_no": n,
                          "pages": pages}))
    return jobs


# --- stale outputs ----------------------------------------------------------------------
