"""A build of a few articles whose bodies alone changed: the correction an editor makes.

The full build (pipeline._build) makes every article again from its cache record, keys
every listing page and compares every file: Python work per article that was most of a
one-edit publish at 10,000 articles and more (SPEC §14). When the build reads the same
settings and the same sources as the last, and the few sources whose stat moved keep their
front matter, no slug, date, tag, title or link target can have moved, so only those
articles' pages can change. This renders them again; if a summary (the part of a body the
listings show) changed too, it gives up, and so does it for anything else it does not
expect: `None` means the full build runs, which is always right.
"""

from __future__ import annotations

import os
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
from mirrorpub.site.build.cache import RenderCache, output_size
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
    records: set[str]  # the articles whose cache records changed


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


def edited_bodies(cache: RenderCache, before: BuildStamp | None, settings: str,
                  sources: Sources, make_job: JobMaker, language: str,
                  show_drafts: bool) -> Patched | None:
    """The build, when only a few article bodies changed since the recorded one (whose
    `settings` digest must be this build's); None when the full build must run. Raises
    ContentError for a changed article that cannot be published, as the full build would."""
    records = cache.articles
    if before is None or cache.steps.get("settings") != settings or \
            records.keys() != sources.stats.keys() or \
            cache.assets.keys() != sources.asset_stats.keys() or \
            not all(cache.trusted(cache.assets[rel], stat)
                    for rel, stat in sources.asset_stats.items()):
        return None
    changed = [rel for rel, stat in sources.stats.items()
               if not cache.trusted(records[rel], stat)]
    if not changed or len(changed) > PATCH_LIMIT or not _outputs_there(cache, before) or \
            not all("entry" in r for r in recorded.published(cache, show_drafts)):
        return None
    edited = _reread(cache, sources, changed, language)
    if edited is None:
        return None
    new_records, articles = edited
    drafts = set() if show_drafts else \
        {rel for rel, r in records.items() if r["front"].get("draft")}
    to_render = [a for a in articles if a.rel not in drafts]
    pages = {rel: article_path(r["slug"]) for rel, r in records.items() if rel not in drafts}
    rendered = _render(make_job(to_render, drafts, pages), records)
    if rendered is None:
        return None
    for rel, made in rendered.items():
        new_records[rel] = {**new_records[rel], **made}
    return _patched(cache, before, new_records, language, show_drafts, len(to_render))


def _outputs_there(cache: RenderCache, before: BuildStamp) -> bool:
    """Every page the recorded build wrote is there, with the size it had."""
    root = cache.output_dir
    return all(output_size(os.path.join(root, path)) == size
               for path, size in before.outputs.items())


def _reread(cache: RenderCache, sources: Sources, changed: list[str],
            language: str) -> tuple[dict[str, dict[str, Any]], list[Article]] | None:
    """The changed sources read again: their new records, and the articles whose bytes
    changed; None when one's front matter did (the full build then sees what moved)."""
    new_records: dict[str, dict[str, Any]] = {}
    articles: list[Article] = []
    for rel in changed:
        file, stat, old = sources.articles[rel], sources.stats[rel], cache.articles[rel]
        raw, sha = read_source(file, sources.label)
        if sha == old["sha"]:
            new_records[rel] = {**old, "stat": stat}
            continue
        article = parse_article(file, sources.label, raw, sha, language)
        if article.slug != old["slug"] or front_to_json(article.front) != old["front"]:
            return None
        new_records[rel] = {**old, "sha": sha, "stat": stat, "body_line": article.body_line}
        articles.append(article)
    return new_records, articles


def _render(job: RenderJob, records: dict[str, dict[str, Any]]
            ) -> dict[str, dict[str, Any]] | None:
    """Render the job's pages; their records' new parts. None when a summary changed: the
    listings that show it change too, which the full build works out."""
    errors: list[ContentError] = []
    made: dict[str, dict[str, Any]] = {}
    for article in job.published:
        outcome = render_one({"job": job}, article.rel)
        if outcome[0] == "error":
            errors.append(ContentError(*outcome[1:]))
            continue
        made[article.rel] = outcome[1]["record"]
    raise_content_errors(errors)
    if any(made[rel]["summary"] != records[rel].get("summary") for rel in made):
        return None
    return made


def _patched(cache: RenderCache, before: BuildStamp, new_records: dict[str, dict[str, Any]],
             language: str, show_drafts: bool, rendered: int) -> Patched:
    """The recorded build with these records in place: its files, and the delta from it."""
    old_entries = {r["output"]: r["entry"] for r in
                   (cache.articles[rel] for rel in new_records) if "entry" in r}
    for rel, record in new_records.items():
        cache.articles[rel] = {**cache.articles[rel], **record}
    cache.dirty = True
    files, entries = recorded.recorded(cache, recorded.published(cache, show_drafts), language)
    changed = {path: files[path] for path, old in old_entries.items()
               if path in files and FileEntry(**old) != files[path]}
    if not changed:  # the same files as the build before: the delta that build had
        return Patched(files, entries, rendered, before.delta, set(new_records))
    shown = {path: (old_entries[path]["sha256"], old_entries[path]["size"])
             for path in changed}
    return Patched(files, entries, rendered,
                   FilesDelta(before.files_digest, dict(sorted(changed.items())),
                              dict(sorted(shown.items())), ()), set(new_records))



