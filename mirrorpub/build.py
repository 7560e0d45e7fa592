"""Render content/ into the output folder (SPEC §6) and describe what was built.

    scan content/ -> parse articles (cached by source hash) -> check slugs and links
    -> render article pages (cached, in parallel when many) -> copy files
    -> index pages, tag pages, feed (cached by what they show) -> drop stale outputs

The result is a `BuildResult`: every site file with its sha256, size and type. The four
manifest files are not part of it; they are written per copy by `manifest_files`.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mirrorpub import content, fsatomic, links, markdown_render, sitepaths
from mirrorpub.config import Config
from mirrorpub.content import Article, ContentFile, Scan
from mirrorpub.errors import BuildError, ContentError
from mirrorpub.frontmatter import FrontMatter, decode, split
from mirrorpub.mediatypes import content_type, entry_for_bytes
from mirrorpub.pages import Entry, MirrorLink, PageRenderer, SiteContext, tag_pages
from mirrorpub.plan import FileEntry
from mirrorpub.rendercache import RenderCache, digest
from mirrorpub.slugs import slugify
from mirrorpub.theme import Theme

PARALLEL_THRESHOLD = 64  # fewer jobs than this render faster in one process


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    files: dict[str, FileEntry]  # every site file except the manifest files
    entries: tuple[Entry, ...]  # published articles, newest first
    rendered: int  # pages rendered this time
    reused: int  # pages kept from the last build


def content_label(config: Config) -> str:
    """How errors name the content folder: relative to where the editor stands."""
    path = config.site.content_dir
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def site_renderer(config: Config, mirror_links: tuple[MirrorLink, ...],
                  fingerprint: str | None) -> PageRenderer:
    site = config.site
    theme = Theme(site.templates_dir)
    context = SiteContext(
        title=site.title, description=site.description, language=site.language,
        labels=theme.labels(site.language), mirror_links=mirror_links,
        fingerprint=fingerprint,
        feed_id=f"urn:mirrorpub:{site.main_domain or slugify(site.title)}",
    )
    return PageRenderer(theme, context)


def build_site(config: Config, *, mirror_links: tuple[MirrorLink, ...] = (),
               fingerprint: str | None = None, workers: int | None = None) -> BuildResult:
    site = config.site
    label = content_label(config)
    scan = content.scan(site.content_dir, label)
    renderer = site_renderer(config, mirror_links, fingerprint)
    theme, context = renderer.theme, renderer.site
    cache = RenderCache.load(config.state_dir, site.output_dir)
    _guard_output_dir(site.output_dir, cache)
    previous_outputs = cache.outputs()  # before this build replaces the records
    workers = workers or os.cpu_count() or 1

    articles = _parse_all(scan.articles, label, site.language, cache, workers)
    published = sorted((a for a in articles if not a.front.draft),
                       key=lambda a: (-a.front.date.timestamp(), a.slug))
    content.check_unique_slugs(published)
    drafts = {a.rel for a in articles if a.front.draft}
    job = _RenderJob(site.content_dir, site.output_dir, renderer, scan, published, drafts,
                     theme.digest, context.digest(), site.allow_external)
    files: dict[str, FileEntry] = {}
    entries, rendered = job.run(cache, files, workers)
    _copy_assets(scan, site.output_dir, cache, files)
    listed = _render_listings(entries, renderer, site.per_page, site.output_dir, cache, files,
                              theme.digest, context.digest())
    _remove_stale(site.output_dir, cache.found, previous_outputs, files)
    cache.save()
    pages_total = len(entries) + len(cache.pages)
    return BuildResult(output_dir=site.output_dir, files=dict(sorted(files.items())),
                       entries=tuple(entries), rendered=rendered + listed,
                       reused=pages_total - rendered - listed)


def _guard_output_dir(output_dir: Path, cache: RenderCache) -> None:
    """Refuse to clean out a folder mirrorpub did not make (say, `-o ~/Documents`)."""
    if cache.found or not output_dir.is_dir():
        return
    if not any(output_dir.iterdir()):
        return
    if (output_dir / sitepaths.INDEX).is_file() and (output_dir / sitepaths.MANIFEST).is_file():
        return  # an earlier mirrorpub build whose cache was deleted
    raise BuildError(f"output folder {output_dir} is not empty and was not made by mirrorpub; "
                     "choose another folder or empty it")


# --- articles ---------------------------------------------------------------------------

def _front_to_json(front: FrontMatter) -> dict[str, Any]:
    data = asdict(front)
    data["date"] = front.date.isoformat()
    data["updated"] = front.updated.isoformat() if front.updated else None
    return data


def _front_from_json(data: dict[str, Any]) -> FrontMatter:
    return FrontMatter(**{**data, "date": datetime.fromisoformat(data["date"]),
                          "updated": datetime.fromisoformat(data["updated"])
                          if data["updated"] else None, "tags": tuple(data["tags"])})


_WORK: dict[str, Any] = {}  # what forked workers inherit; set just before the pool starts


@contextlib.contextmanager
def _mapper(workers: int, jobs: int, state: dict[str, Any]) -> Iterator[Callable]:
    """A `map` over a process pool when it pays, else the builtin one."""
    _WORK.clear()
    _WORK.update(state)
    # Forking a process that runs other threads (watch mode, progress bars) can deadlock.
    if workers < 2 or jobs < PARALLEL_THRESHOLD or threading.active_count() > 1:
        yield map
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield lambda fn, items: pool.imap(fn, items, chunksize=max(1, jobs // (workers * 8)))


def _parse_all(files: Iterable[ContentFile], label: str, language: str, cache: RenderCache,
               workers: int) -> list[Article]:
    articles: list[Article] = []
    misses: list[tuple[ContentFile, bytes, str]] = []
    records: dict[str, dict[str, Any]] = {}
    for file in files:
        raw, sha = content.read_source(file, label)
        hit = cache.articles.get(file.rel)
        if hit and hit["sha"] == sha:
            front = _front_from_json(hit["front"])
            records[file.rel] = hit
            # The body is read again only if this article has to be rendered again.
            articles.append(Article(rel=file.rel, shown=file.shown(label), sha256=sha,
                                    front=front, body="", body_line=hit["body_line"],
                                    slug=hit["slug"], lang=front.lang or language))
        else:
            misses.append((file, raw, sha))
    with _mapper(workers, len(misses), {"label": label, "language": language}) as run:
        for result in run(_parse_one, misses):
            if isinstance(result, tuple):
                raise ContentError(*result)
            articles.append(result)
            records[result.rel] = {"sha": result.sha256, "slug": result.slug,
                                   "front": _front_to_json(result.front),
                                   "body_line": result.body_line}
    cache.articles = records
    return articles


def _parse_one(job: tuple[ContentFile, bytes, str]) -> Article | tuple[str, str, int | None]:
    file, raw, sha = job
    try:
        return content.parse_article(file, _WORK["label"], raw, sha, _WORK["language"])
    except ContentError as exc:  # exceptions with extra fields do not pickle back
        return (exc.file, exc.message, exc.line)


class _RenderJob:
    def __init__(self, content_dir: Path, output_dir: Path, renderer: PageRenderer, scan: Scan,
                 published: list[Article], drafts: set[str], theme_digest: str,
                 context_digest: str, allow_external: bool) -> None:
        self.content_dir = content_dir
        self.output_dir = output_dir
        self.renderer = renderer
        self.scan = scan
        self.published = published
        self.by_rel = {a.rel: a for a in published}
        self.drafts = drafts
        self.key_base = (markdown_render.RENDERER_VERSION, theme_digest, context_digest,
                         allow_external)
        self.allow_external = allow_external

    def resolve(self, rel: str) -> str | None:
        if rel.endswith(content.ARTICLE_SUFFIX):
            if rel in self.drafts:
                raise links.LinkProblem(rel, f"links to content/{rel}, which is a draft and "
                                        "is not published")
            article = self.by_rel.get(rel)
            return article.output if article else None
        return self.scan.files.get(rel)

    def key(self, article: Article, targets: dict[str, str | None]) -> str:
        return digest(self.key_base, article.sha256, article.slug, article.lang,
                      article.front.allow_external, sorted(targets.items()))

    def still_valid(self, article: Article, hit: dict[str, Any] | None) -> bool:
        if not hit or hit["sha"] != article.sha256 or "key" not in hit:
            return False
        try:
            targets = {t: self.resolve(t) for t in hit["targets"]}
        except links.LinkProblem:
            return False
        if hit["key"] != self.key(article, targets):
            return False
        stat = _stat(self.output_dir / article.output)
        return stat is not None and stat == hit["entry"]["size"]

    def run(self, cache: RenderCache, files: dict[str, FileEntry],
            workers: int) -> tuple[list[Entry], int]:
        todo = [a.rel for a in self.published
                if not self.still_valid(a, cache.articles.get(a.rel))]
        with _mapper(workers, len(todo), {"job": self}) as run:
            for outcome in run(_render_one, todo):
                if outcome[0] == "error":
                    raise ContentError(*outcome[1:])
                cache.articles[outcome[1]["rel"]].update(outcome[1]["record"])
        entries = []
        for article in self.published:
            record = cache.articles[article.rel]
            files[article.output] = FileEntry(**record["entry"])
            entries.append(_entry(article, record["summary"]))
        return entries, len(todo)

    def render(self, rel: str) -> dict[str, Any]:
        article = self.with_body(self.by_rel[rel])
        body_html = markdown_render.to_html(article.body)
        targets: dict[str, str | None] = {}
        context = links.LinkContext(
            source_dir=article.source_dir, page_path=article.output,
            resolve=lambda r: targets.setdefault(r, self.resolve(r)),
            is_folder=lambda r: r in self.scan.folders,
            allow_external=self.allow_external or article.front.allow_external,
        )
        try:
            body_html, _ = links.rewrite(body_html, context)
        except links.LinkProblem as exc:
            raise ContentError(article.shown, str(exc), content.line_of(article, exc.url)) \
                from None
        summary = article.front.summary or markdown_render.first_paragraph(body_html)
        entry = _entry(article, summary)
        tag_links = [(t, tag_pages(t, 1, 1)[0]) for t in article.front.tags]
        data = self.renderer.article(entry, body_html, tag_links)
        fsatomic.write_bytes(self.output_dir / article.output, data)
        file_entry = entry_for_bytes(article.output, data)
        return {"rel": rel, "record": {
            "summary": summary, "targets": sorted(targets), "key": self.key(article, targets),
            "output": article.output, "entry": asdict(file_entry)}}

    def with_body(self, article: Article) -> Article:
        if article.body or not article.sha256:
            return article
        raw = (self.content_dir / article.rel).read_bytes()
        source = split(article.shown, decode(article.shown, raw))
        return replace(article, body=source.body, body_line=source.body_line)


def _render_one(rel: str) -> tuple[str, Any, ...]:
    job: _RenderJob = _WORK["job"]
    try:
        return ("ok", job.render(rel))
    except ContentError as exc:
        return ("error", exc.file, exc.message, exc.line)
    except RecursionError:
        article = job.by_rel[rel]
        return ("error", article.shown, "is nested too deeply to render (lists or quotes "
                "hundreds of levels deep?)", None)


def _entry(article: Article, summary: str) -> Entry:
    return Entry(slug=article.slug, title=article.front.title,
                 date=article.front.date.isoformat(),
                 updated=article.front.updated.isoformat() if article.front.updated else None,
                 summary=summary, lang=article.lang, author=article.front.author,
                 tags=article.front.tags)


def _stat(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


# --- static files -----------------------------------------------------------------------

def _copy_assets(scan: Scan, output_dir: Path, cache: RenderCache,
                 files: dict[str, FileEntry]) -> None:
    kept: dict[str, dict[str, Any]] = {}
    for rel, output in sorted(scan.files.items()):
        source = scan.file_sources[rel]
        try:
            stat = source.stat()
        except OSError as exc:
            raise ContentError(f"content/{rel}", f"cannot be read: {exc.strerror}") from None
        hit = cache.assets.get(rel)
        if (hit and hit["size"] == stat.st_size and hit["mtime_ns"] == stat.st_mtime_ns
                and hit["output"] == output and _stat(output_dir / output) == stat.st_size):
            record = hit
        else:
            fsatomic.copy_file(source, output_dir / output)
            record = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "output": output,
                      "entry": asdict(_hash_file(output_dir / output, output))}
        kept[rel] = record
        files[output] = FileEntry(**record["entry"])
    cache.assets = kept


def _hash_file(path: Path, site_path: str) -> FileEntry:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return FileEntry(sha256=sha.hexdigest(), size=size, md5=md5.hexdigest(),
                     content_type=content_type(site_path))


# --- listings ---------------------------------------------------------------------------

def _render_listings(entries: list[Entry], renderer: PageRenderer, per_page: int,
                     output_dir: Path, cache: RenderCache, files: dict[str, FileEntry],
                     theme_digest: str, context_digest: str) -> int:
    labels = renderer.site.labels
    jobs: list[tuple[str, str, list[Entry], dict[str, Any]]] = []
    index_pages = [sitepaths.index_path(n) for n in range(1, max(1, -(-len(entries) // per_page)) + 1)]
    for n, page in enumerate(index_pages, start=1):
        chunk = entries[(n - 1) * per_page: n * per_page]
        jobs.append(("index.html", page, chunk, {"heading": renderer.site.title, "page_no": n,
                                                  "pages": index_pages}))
    by_tag: dict[str, list[Entry]] = defaultdict(list)
    names: dict[str, str] = {}
    for entry in entries:
        for tag in entry.tags:
            slug = slugify(tag)
            names.setdefault(slug, tag)
            by_tag[slug].append(entry)
    for slug in sorted(by_tag):
        tagged = by_tag[slug]
        pages = tag_pages(names[slug], len(tagged), per_page)
        heading = f"{labels.get('tag', 'Tag')}: {names[slug]}"
        for n, page in enumerate(pages, start=1):
            jobs.append(("tag.html", page, tagged[(n - 1) * per_page: n * per_page],
                         {"heading": heading, "page_no": n, "pages": pages}))
    jobs.append(("feed.xml", sitepaths.FEED, entries, {}))

    rendered = 0
    kept: dict[str, dict[str, Any]] = {}
    for template, page, chunk, extra in jobs:
        key = digest(template, theme_digest, context_digest, [asdict(e) for e in chunk], extra)
        hit = cache.pages.get(page)
        if hit and hit["key"] == key and _stat(output_dir / page) == hit["entry"]["size"]:
            record = hit
        else:
            if template == "feed.xml":
                data = renderer.feed(chunk)
            else:
                data = renderer.listing(template, page, chunk, **extra)
            fsatomic.write_bytes(output_dir / page, data)
            record = {"key": key, "entry": asdict(entry_for_bytes(page, data))}
            rendered += 1
        kept[page] = record
        files[page] = FileEntry(**record["entry"])
    cache.pages = kept
    return rendered


# --- stale outputs ----------------------------------------------------------------------

def _remove_stale(output_dir: Path, cache_found: bool, previous: set[str],
                  files: dict[str, FileEntry]) -> None:
    keep = set(files) | set(sitepaths.MANIFEST_FILES)
    if cache_found:
        stale = {p for p in previous if p not in keep}
    else:
        stale = {p.relative_to(output_dir).as_posix() for p in output_dir.rglob("*")
                 if p.is_file()} - keep if output_dir.is_dir() else set()
    for path in sorted(stale):
        with contextlib.suppress(FileNotFoundError):
            (output_dir / path).unlink()
    for folder in sorted({(output_dir / p).parent for p in stale}, reverse=True):
        with contextlib.suppress(OSError):
            while folder != output_dir and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
