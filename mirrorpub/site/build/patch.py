"""A build of a few articles: the correction an editor makes, or the new story.

The full build (pipeline._build) makes every article again from its cache record, keys
every link and compares every file: Python work per article that was most of a one-edit
or new-article publish at 10,000 articles and more (SPEC §14). When the build reads the
same settings and the same sources as the last, but for a few sources whose stat moved and
a few new ones, and no source left, no page but theirs and the listings can change: no
link target moved, unless one of them changed its slug, language, draft flag or its right
to load from elsewhere, which this leaves to the full build. This renders their pages, and
the listings again if what they show of an article changed (a new story; a title, a date,
tags or a summary edited): the listings key every page and render only those whose
articles or links moved, so a new story renders its few pages (stable pagination). For
anything it does not expect it gives up: `None` means the full build runs, which is
always right.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.content.articles import Article, parse_article, read_source
from mirrorpub.errors import ContentError, raise_content_errors
from mirrorpub.layout import article_path
from mirrorpub.model import FileEntry, FilesDelta
from mirrorpub.site.build import recorded
from mirrorpub.site.build.articles import RenderJob, front_to_json, render_one
from mirrorpub.site.build.cache import RenderCache
from mirrorpub.site.build.listings import Shown, entry_key
from mirrorpub.site.build.stamp import BuildStamp
from mirrorpub.site.pages import Entry

# Sources changed past which the full build runs: it renders many pages in parallel.
PATCH_LIMIT = 32


@dataclass(frozen=True)
class Patched:
    files: dict[str, FileEntry]  # every site file, sorted
    entries: Sequence[Entry]  # made from the records when asked for
    rendered: int
    delta: FilesDelta | None
    records: set[str]  # the articles whose cache records changed or are new
    relisted: bool  # whether the listings were made again (cache.pages changed)


@dataclass(frozen=True)
class Sources:
    """What the build found: the stat of every article and static file."""

    content_dir: Path
    label: str
    articles: dict[str, Any]  # rel -> scan.ContentFile
    stats: dict[str, list[int]]
    asset_stats: dict[str, list[int]]


# (articles to render, drafts, rel -> page of every published article) -> the job
JobMaker = Callable[[list[Article], set[str], dict[str, str]], RenderJob]
# (the published articles newest first, what makes an entry of one) -> listing pages
# rendered: the full build's listings step (listings.render_listings), which updates
# cache.pages; called only once every recorded output was found with its size
Relister = Callable[[list[Shown], Callable[[Any], Entry]], int]

# What of an article's front matter may change with no page but its own and the listings
# changing; a change to any other key (its slug, language, draft flag, allow_external)
# moves a link target or what the site may publish: the full build sees to it.
_LISTED = frozenset({"title", "date", "updated", "author", "tags", "summary"})


def few_articles(cache: RenderCache, before: BuildStamp | None,
                 outputs_there: Callable[[], bool], settings: str, sources: Sources,
                 make_job: JobMaker, relist: Relister, language: str,
                 show_drafts: bool) -> Patched | None:
    """The build, when only a few articles changed or came since the recorded one (whose
    `settings` digest must be this build's); None when the full build must run.
    `outputs_there()`: whether every page `before` names is there with its size
    (stamp.check_outputs). Raises ContentError for an article that cannot be published, as the
    full build would."""
    records = cache.articles
    if before is None or cache.steps.get("settings") != settings or \
            not records.keys() <= sources.stats.keys() or \
            cache.assets.keys() != sources.asset_stats.keys() or \
            not all(cache.trusted(cache.assets[rel], stat)
                    for rel, stat in sources.asset_stats.items()):
        return None
    changed = [rel for rel, stat in sources.stats.items()
               if not cache.trusted(records.get(rel), stat)]
    if not changed or len(changed) > PATCH_LIMIT or not outputs_there():
        return None
    published = recorded.published(cache, show_drafts)
    if not all("entry" in r and "listed" in r for r in published):
        return None
    edited = _reread(cache, sources, changed, language, {r["slug"] for r in published},
                     show_drafts)
    if edited is None:
        return None
    new_records, articles = edited
    every = {**records, **new_records}
    drafts = set() if show_drafts else \
        {rel for rel, r in every.items() if r["front"].get("draft")}
    to_render = [a for a in articles if a.rel not in drafts]
    pages = {rel: article_path(r["slug"]) for rel, r in every.items() if rel not in drafts}
    rendered = _render(make_job(to_render, drafts, pages))
    old = {rel: records.get(rel) for rel in new_records}
    for rel, made in rendered.items():
        new_records[rel] = {**new_records[rel], **made}
    for rel, record in new_records.items():
        records[rel] = {**records.get(rel, {}), **record}
        if rel not in drafts:
            records[rel]["listed"] = new_records[rel]["listed"] = \
                entry_key(recorded.entry_of(records[rel], language))
    cache.dirty = True
    if any(old[rel] is None for rel in new_records):
        # The next full build checks every link again: articles came that links may name.
        cache.steps.pop("links", None)
    relisted = _listed_changed(old, new_records, drafts)
    return _patched(cache, before, old, relist if relisted else None, language,
                    show_drafts, len(to_render))


def _reread(cache: RenderCache, sources: Sources, changed: list[str], language: str,
            slugs: set[str], show_drafts: bool
            ) -> tuple[dict[str, dict[str, Any]], list[Article]] | None:
    """The changed and new sources read: their new records, and the articles whose bytes
    changed or that are new; None when the full build must see to one (_LISTED, or a new
    one's slug among the published `slugs`)."""
    new_records: dict[str, dict[str, Any]] = {}
    articles: list[Article] = []
    for rel in changed:
        file, stat, old = sources.articles[rel], sources.stats[rel], cache.articles.get(rel)
        raw, sha = read_source(file, sources.label)
        if old is not None and sha == old["sha"]:
            new_records[rel] = {**old, "stat": stat}
            continue
        article = parse_article(file, sources.label, raw, sha, language)
        front = front_to_json(article.front)
        if old is None:
            if front.get("allow_external") or article.slug in slugs:
                return None  # refused, or a clash: the full build says which and where
            if show_drafts or not front.get("draft"):
                slugs.add(article.slug)
        elif article.slug != old["slug"] or \
                any(front.get(k) != old["front"].get(k)
                    for k in front.keys() | old["front"].keys() if k not in _LISTED):
            return None
        new_records[rel] = {**(old or {}), "sha": sha, "stat": stat, "slug": article.slug,
                            "front": front, "body_line": article.body_line}
        articles.append(article)
    return new_records, articles


def _render(job: RenderJob) -> dict[str, dict[str, Any]]:
    """Render the job's pages; their records' new parts."""
    errors: list[ContentError] = []
    made: dict[str, dict[str, Any]] = {}
    for article in job.published:
        outcome = render_one({"job": job}, article.rel)
        if outcome[0] == "error":
            errors.append(ContentError(*outcome[1:]))
            continue
        made[article.rel] = outcome[1]["record"]
    raise_content_errors(errors)
    return made


def _listed_changed(old: dict[str, dict[str, Any] | None],
                    new_records: dict[str, dict[str, Any]], drafts: set[str]) -> bool:
    """Whether a listing shows anything new of these articles: one is new and published,
    or its entry key changed (listings.entry_key)."""
    return any((old[rel] or {}).get("listed") != record["listed"]
               for rel, record in new_records.items() if rel not in drafts)


def _patched(cache: RenderCache, before: BuildStamp, old: dict[str, dict[str, Any] | None],
             relist: Relister | None, language: str, show_drafts: bool,
             rendered: int) -> Patched:
    """The recorded build with the new records in place (and its listings made again,
    given `relist`): its files, and the delta from it."""
    published = recorded.published(cache, show_drafts)
    recorded.newest_first(published)
    old_pages = {p: r["entry"] for p, r in cache.pages.items()}
    entries = recorded.RecordEntries(published, language)
    listed = 0
    if relist is not None:
        shown = recorded.shown(published)
        entries = recorded.RecordEntries(published, language, shown)  # the ranks' answer
        listed = relist(shown, functools.partial(recorded.entry_of, language=language))
    files = recorded.files(cache, published)
    was = {r["output"]: r["entry"] for r in old.values() if r and "entry" in r}
    was.update(old_pages)
    now = {r["output"] for rel in old if "output" in (r := cache.articles[rel])}
    now.update(cache.pages)
    changed = {path: files[path] for path in sorted(now)
               if path in files and (path not in was or FileEntry(**was[path]) != files[path])}
    gone = tuple(sorted(old_pages.keys() - cache.pages.keys()))
    if not changed and not gone:  # the same files as the build before: its delta
        return Patched(files, entries, rendered + listed, before.delta, set(old),
                       relist is not None)
    shown = {path: (was[path]["sha256"], was[path]["size"])
             for path in [*changed, *gone] if path in was}
    return Patched(files, entries, rendered + listed,
                   FilesDelta(before.files_digest, changed, dict(sorted(shown.items())), gone),
                   set(old), relist is not None)
