"""Render content/ into the output folder (SPEC §6) and describe what was built.

    scan content/ -> read and parse the articles that changed -> check slugs and links
    -> render article pages (cached, in parallel when many) -> copy files
    -> index pages, tag pages, feed (cached by what they show) -> drop stale outputs

What keeps it fast (figures in benchmarks/README.md): an unchanged source is not even read,
its stat vouches for its recorded hash (rendercache.RenderCache.trusted); front matter is
read by libyaml; many changed articles are parsed and rendered in a fork pool whose
workers read the sources themselves and send back small records, never bodies; a listing's
cache key hashes one precomputed line per entry; nothing unchanged is written again.

The result is a `BuildResult`: every site file with its sha256, size and type. The four
manifest files are not part of it; they are written per copy by `manifest_files`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mirrorpub import __version__, content, fsatomic, links, markdown_render, sitepaths
from mirrorpub.config import Config, SiteConfig
from mirrorpub.content import Article, ContentFile, Scan
from mirrorpub.errors import BuildError, ContentError
from mirrorpub.frontmatter import FrontMatter, body_of, decode
from mirrorpub.mediatypes import content_type, entry_for_bytes
from mirrorpub.pages import Entry, MirrorLink, PageRenderer, SiteContext, tag_pages
from mirrorpub.plan import FileEntry
from mirrorpub.rendercache import RACY_NS, RenderCache, stat_key
from mirrorpub.slugs import slugify
from mirrorpub.theme import Theme

# Part of every cache key: pages made by another mirrorpub, or another Markdown setup, may
# differ, so an upgrade renders everything once.
CODE_VERSION = f"{__version__}/{markdown_render.RENDERER_VERSION}"
PARALLEL_THRESHOLD = 64  # fewer jobs than this render faster in one process
CHUNK_MAX = 32  # jobs handed to a worker at once (an article takes a few milliseconds)


@dataclass(frozen=True)
class BuildResult:
    output_dir: Path
    files: dict[str, FileEntry]  # every site file except the manifest files
    entries: Sequence[Entry]  # published articles, newest first
    rendered: int  # pages rendered this time
    reused: int  # pages kept from the last build
    renderer: PageRenderer  # the theme and site context the pages used: the manifest files too


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
    try:
        return _build(config, mirror_links, fingerprint, workers)
    except OSError as exc:  # the output folder cannot be made or written: a disk, a path
        where = exc.filename or config.site.output_dir
        raise BuildError(f"{where}: cannot be written ({exc.strerror or exc})") from None


def _build(config: Config, mirror_links: tuple[MirrorLink, ...], fingerprint: str | None,
           workers: int | None) -> BuildResult:
    site = config.site
    label = content_label(config)
    started_ns = time.time_ns()
    scan = content.scan(site.content_dir, label)
    renderer = site_renderer(config, mirror_links, fingerprint)
    theme, context = renderer.theme, renderer.site
    cache = RenderCache.load(config.state_dir, site.output_dir)
    _guard_output_dir(site.output_dir, cache)
    context_digest = context.digest()
    stats = {file.rel: _source_stat(file.path, file.shown(label)) for file in scan.articles}
    asset_stats = {rel: _source_stat(str(source), f"{label}/{rel}")
                   for rel, source in scan.file_sources.items()}
    inputs = _inputs_digest(config, theme.digest, context_digest, scan, stats, asset_stats)
    unchanged = _unchanged_build(cache, inputs, stats, asset_stats, site)
    if unchanged is not None:
        kept_files, kept_entries = unchanged
        return BuildResult(output_dir=site.output_dir, files=kept_files, entries=kept_entries,
                           rendered=0, reused=len(kept_entries) + len(cache.pages),
                           renderer=renderer)
    previous_outputs = cache.outputs()  # before this build replaces the records
    workers = workers or os.cpu_count() or 1

    articles = _read_articles(scan.articles, stats, label, site.language, cache, workers,
                              started_ns)
    published = _newest_first([a for a in articles if not a.front.draft])
    content.check_unique_slugs(published)
    drafts = {a.rel for a in articles if a.front.draft}
    job = _RenderJob(site.content_dir, site.output_dir, renderer, scan, published, drafts,
                     theme.digest, context_digest, site.allow_external)
    files: dict[str, FileEntry] = {}
    entries, rendered = job.run(cache, files, workers)
    _copy_assets(scan, asset_stats, site.output_dir, cache, files)
    shown = "\n".join(f"{a.slug} {cache.articles[a.rel]['key']}" for a in published)
    listed = _render_listings(entries, renderer, site.per_page, site.output_dir, cache, files,
                              json.dumps([CODE_VERSION, theme.digest, context_digest]), shown,
                              workers)
    _remove_stale(site.output_dir, cache.found, previous_outputs, files)
    cache.step("inputs", inputs)
    cache.save(started_ns)
    pages_total = len(entries) + len(cache.pages)
    return BuildResult(output_dir=site.output_dir, files=dict(sorted(files.items())),
                       entries=tuple(entries), rendered=rendered + listed,
                       reused=pages_total - rendered - listed, renderer=renderer)


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


# --- nothing changed --------------------------------------------------------------------

def _inputs_digest(config: Config, theme_digest: str, context_digest: str, scan: Scan,
                   stats: dict[str, list[int]], asset_stats: dict[str, list[int]]) -> str:
    """Everything a build reads: the site settings pages depend on, the theme, and the stat
    of every source (ctime included, so any write to one changes it)."""
    site = config.site
    h = hashlib.sha256(json.dumps([CODE_VERSION, theme_digest,
                                   context_digest, site.allow_external, site.per_page,
                                   str(site.content_dir), sorted(scan.folders)]).encode())
    for rel, stat in stats.items():
        h.update(f"\n{rel}\0{stat}".encode("utf-8", "surrogateescape"))
    for rel, stat in asset_stats.items():
        h.update(f"\n{rel}\0{scan.files[rel]}\0{stat}".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _unchanged_build(cache: RenderCache, inputs: str, stats: dict[str, list[int]],
                     asset_stats: dict[str, list[int]],
                     site: SiteConfig) -> tuple[dict[str, FileEntry], Sequence[Entry]] | None:
    """The last build's result, read from the cache, when it read exactly these inputs,
    every source is still vouched for by its stat, and every output it wrote is there.
    Then no article needs even its front matter: a 10,000-article no-op costs a scan, the
    cache and a stat per file."""
    records, assets = cache.articles, cache.assets
    if cache.steps.get("inputs") != inputs or records.keys() != stats.keys() or \
            assets.keys() != asset_stats.keys():
        return None
    if not all(cache.trusted(records[rel], stat) for rel, stat in stats.items()) or \
            not all(cache.trusted(assets[rel], stat) for rel, stat in asset_stats.items()):
        return None
    published = [r for r in records.values() if not r["front"].get("draft")]
    if not all("entry" in r for r in published):
        return None
    outputs = [(r["output"], r["entry"]) for r in published]
    outputs += [(r["output"], r["entry"]) for r in assets.values()]
    outputs += [(path, r["entry"]) for path, r in cache.pages.items()]
    root = str(site.output_dir)
    if not all(_stat(os.path.join(root, path)) == entry["size"] for path, entry in outputs):
        return None
    # Newest first, by slug where dates are equal: the order `_newest_first` gives.
    published.sort(key=lambda r: r["slug"])
    published.sort(key=lambda r: datetime.fromisoformat(r["front"]["date"]), reverse=True)
    files = {path: FileEntry(**entry) for path, entry in sorted(outputs, key=lambda o: o[0])}
    return files, _RecordEntries(published, site.language)


class _RecordEntries(Sequence[Entry]):
    """An unchanged build's entries, made from the cache records when first asked for:
    a publish never asks, and making 10,000 costs a tenth of a second."""

    def __init__(self, records: list[dict[str, Any]], language: str) -> None:
        self._records = records
        self._language = language
        self._made: tuple[Entry, ...] | None = None

    def __len__(self) -> int:
        return len(self._records)

    def __getitem__(self, index: Any) -> Any:
        if self._made is None:
            self._made = tuple(self._entry(r) for r in self._records)
        return self._made[index]

    def _entry(self, record: dict[str, Any]) -> Entry:
        """What `_entry` makes of the article this record describes."""
        front = record["front"]
        return Entry(slug=record["slug"], title=front["title"], date=front["date"],
                     updated=front.get("updated"), summary=record["summary"],
                     lang=front.get("lang") or self._language, author=front.get("author"),
                     tags=tuple(front.get("tags", ())))


# --- articles ---------------------------------------------------------------------------

# Front matter as the cache keeps it: only what differs from these, to keep the cache small
# (it is read and written by every build).
_FRONT_DEFAULTS: dict[str, Any] = {"slug": None, "author": None, "tags": [], "lang": None,
                                   "summary": None, "draft": False, "updated": None,
                                   "allow_external": False}


_FRONT_FIELDS = tuple(f.name for f in fields(FrontMatter))


def _front_to_json(front: FrontMatter) -> dict[str, Any]:
    data = {name: getattr(front, name) for name in _FRONT_FIELDS}  # asdict() deep-copies
    data["date"] = front.date.isoformat()
    data["updated"] = front.updated.isoformat() if front.updated else None
    data["tags"] = list(front.tags)
    return {k: v for k, v in data.items() if k not in _FRONT_DEFAULTS or v != _FRONT_DEFAULTS[k]}


def _front_from_json(data: dict[str, Any]) -> FrontMatter:
    full = {**_FRONT_DEFAULTS, **data}
    return FrontMatter(**{**full, "date": datetime.fromisoformat(full["date"]),
                          "updated": datetime.fromisoformat(full["updated"])
                          if full["updated"] else None, "tags": tuple(full["tags"])})


_WORK: dict[str, Any] = {}  # what forked workers inherit; set just before the pool starts


@contextlib.contextmanager
def _mapper(workers: int, jobs: int, state: dict[str, Any]) -> Iterator[Callable]:
    """A `map` over a process pool when it pays, else the builtin one."""
    _WORK.clear()
    _WORK.update(state)
    # Forking a process that runs other threads (watch mode, progress bars) can deadlock.
    if workers < 2 or jobs < PARALLEL_THRESHOLD or threading.active_count() > 1:
        _WORK["pooled"] = False
        yield map
        return
    import multiprocessing  # only here: a build with little to do never starts a pool

    _WORK["pooled"] = True
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        # Small chunks: when the work runs out, no worker is left alone with a long one.
        yield lambda fn, items: pool.imap(fn, items, chunksize=max(1, min(
            CHUNK_MAX, jobs // (workers * 8))))


def _read_articles(files: Iterable[ContentFile], stats: dict[str, list[int]], label: str,
                   language: str, cache: RenderCache, workers: int,
                   started_ns: int) -> list[Article]:
    """Every article's front matter: from the cache, unread, when its stat vouches for it."""
    old = cache.articles
    by_rel = {file.rel: file for file in files}
    records: dict[str, dict[str, Any]] = {}
    articles: list[Article] = []
    todo: list[tuple[ContentFile, list[int], str | None]] = []
    for file in by_rel.values():
        stat = stats[file.rel]
        hit = old.get(file.rel)
        if hit is not None and cache.trusted(hit, stat):
            records[file.rel] = hit
            articles.append(_cached_article(file, label, language, hit))
        else:
            todo.append((file, stat, hit["sha"] if hit else None))
    with _mapper(workers, len(todo), {"label": label, "language": language}) as run:
        for outcome in run(_read_one, todo):
            if outcome[0] == "error":
                raise ContentError(*outcome[1:])
            rel, stat = outcome[1], outcome[3]
            if outcome[0] == "same":
                article = _cached_article(by_rel[rel], label, language, old[rel])
                records[rel] = {**old[rel], "stat": stat}
            else:
                article = outcome[2]
                records[rel] = {"sha": article.sha256, "stat": stat, "slug": article.slug,
                                "front": _front_to_json(article.front),
                                "body_line": article.body_line}
            articles.append(article)
            # Re-read because it was new, changed or recently written: once it is old
            # enough to be vouched for by its stat, the cache must be saved to say so.
            cache.dirty = cache.dirty or stat[1] < started_ns - RACY_NS or \
                outcome[0] == "new" or old.get(rel, {}).get("stat") != stat
    if len(records) != len(old):
        cache.dirty = True
    cache.articles = records
    return articles


def _newest_first(articles: list[Article]) -> list[Article]:
    """By date, newest first; by slug where dates are equal. Two stable sorts: cheaper than
    one whose key converts every date to a timestamp."""
    articles.sort(key=lambda a: a.slug)
    articles.sort(key=lambda a: a.front.date, reverse=True)
    return articles


def _source_stat(path: str, shown: str) -> list[int]:
    try:
        return stat_key(os.stat(path))
    except OSError as exc:
        raise ContentError(shown, f"cannot be read: {exc.strerror}") from None


def _cached_article(file: ContentFile, label: str, language: str,
                    record: dict[str, Any]) -> Article:
    front = _front_from_json(record["front"])
    # The body is read again only if this article has to be rendered again.
    return Article(rel=file.rel, shown=file.shown(label), sha256=record["sha"], front=front,
                   body="", body_line=record["body_line"], slug=record["slug"],
                   lang=front.lang or language)


def _read_one(job: tuple[ContentFile, list[int], str | None]) -> tuple[Any, ...]:
    file, stat, known_sha = job
    label = _WORK["label"]
    try:
        raw, sha = content.read_source(file, label)
        if sha == known_sha:
            return ("same", file.rel, None, stat)
        article = content.parse_article(file, label, raw, sha, _WORK["language"])
    except ContentError as exc:  # exceptions with extra fields do not pickle back
        return ("error", exc.file, exc.message, exc.line)
    if _WORK["pooled"]:  # a body stays here; the render step reads it again if it needs it
        article = replace(article, body="")
    return ("new", file.rel, article, stat)


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
        self.key_base = json.dumps([CODE_VERSION, theme_digest,
                                    context_digest, allow_external])
        self.allow_external = allow_external
        self.output_root = str(output_dir)

    def resolve(self, rel: str) -> str | None:
        if rel.endswith(content.ARTICLE_SUFFIX):
            if rel in self.drafts:
                raise links.LinkProblem(rel, f"links to content/{rel}, which is a draft and "
                                        "is not published")
            article = self.by_rel.get(rel)
            return article.output if article else None
        return self.scan.files.get(rel)

    def key(self, article: Article, targets: dict[str, str | None]) -> str:
        """Everything an article page shows besides its source; linked paths included."""
        text = json.dumps([self.key_base, article.sha256, article.slug, article.lang,
                           article.front.allow_external, sorted(targets.items())],
                          ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def link_world(self) -> str:
        """Everything a link can resolve to, and the key parts all pages share. While it is
        unchanged, an article whose source is unchanged keeps its key."""
        text = json.dumps([self.key_base, sorted((a.rel, a.output) for a in self.published),
                           sorted(self.drafts), sorted(self.scan.files.items()),
                           sorted(self.scan.folders)], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def still_valid(self, article: Article, hit: dict[str, Any] | None,
                    same_world: bool) -> bool:
        if not hit or hit["sha"] != article.sha256 or "key" not in hit:
            return False
        if not same_world:
            try:
                targets = {t: self.resolve(t) for t in hit["targets"]}
            except links.LinkProblem:
                return False
            if hit["key"] != self.key(article, targets):
                return False
        size = _stat(os.path.join(self.output_root, article.output))
        return size is not None and size == hit["entry"]["size"]

    def run(self, cache: RenderCache, files: dict[str, FileEntry],
            workers: int) -> tuple[list[Entry], int]:
        same_world = cache.step("links", self.link_world())
        todo = [a.rel for a in self.published
                if not self.still_valid(a, cache.articles.get(a.rel), same_world)]
        with _mapper(workers, len(todo), {"job": self}) as run:
            for outcome in run(_render_one, todo):
                if outcome[0] == "error":
                    raise ContentError(*outcome[1:])
                cache.articles[outcome[1]["rel"]].update(outcome[1]["record"])
                cache.dirty = True
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
        file = ContentFile(rel=article.rel, path=os.path.join(self.content_dir, article.rel))
        raw, sha = content.read_source(file, article.shown.removesuffix("/" + article.rel))
        if sha != article.sha256:  # saved again while this build ran: its front is stale
            raise ContentError(article.shown, "changed while the site was being built; "
                               "build again")
        body, body_line = body_of(article.shown, decode(article.shown, raw))
        return replace(article, body=body, body_line=body_line)


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


def _stat(path: str | Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


# --- static files -----------------------------------------------------------------------

def _copy_assets(scan: Scan, stats: dict[str, list[int]], output_dir: Path,
                 cache: RenderCache, files: dict[str, FileEntry]) -> None:
    kept: dict[str, dict[str, Any]] = {}
    for rel, output in sorted(scan.files.items()):
        source = scan.file_sources[rel]
        stat = stats[rel]
        hit = cache.assets.get(rel)
        if hit and hit["output"] == output and \
                _stat(output_dir / output) == hit["entry"]["size"] and \
                (cache.trusted(hit, stat) or asdict(_hash_file(source, output)) == hit["entry"]):
            record = hit if hit["stat"] == stat else {**hit, "stat": stat}
        else:
            fsatomic.copy_file(source, output_dir / output)
            record = {"stat": stat, "output": output,
                      "entry": asdict(_hash_file(output_dir / output, output))}
        cache.dirty = cache.dirty or record is not hit
        kept[rel] = record
        files[output] = FileEntry(**record["entry"])
    cache.dirty = cache.dirty or len(kept) != len(cache.assets)
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
                     base: str, shown: str, workers: int) -> int:
    """Index pages, tag pages, feed. `base` and `shown` (each article's slug and page key,
    which stands for its entry) cover all they show: unchanged, no page needs a look."""
    inputs = f"{base}\n{per_page}\n{shown}"
    if cache.step("listings", hashlib.sha256(inputs.encode("utf-8")).hexdigest()) and \
            all(_stat(output_dir / p) == r["entry"]["size"] for p, r in cache.pages.items()):
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
        if hit and hit["key"] == key and _stat(output_dir / page) == hit["entry"]["size"]:
            kept[page] = hit
        else:
            jobs.append((template, page, chunk, extra, key))
    state = {"jobs": jobs, "renderer": renderer, "output_dir": output_dir}
    with _mapper(workers, len(jobs), state) as run:
        kept.update(run(_render_listing, range(len(jobs))))
    for page, record in kept.items():
        files[page] = FileEntry(**record["entry"])
    cache.dirty = cache.dirty or bool(jobs) or kept.keys() != cache.pages.keys()
    cache.pages = kept
    return len(jobs)


def _render_listing(index: int) -> tuple[str, dict[str, Any]]:
    template, page, chunk, extra, key = _WORK["jobs"][index]
    renderer: PageRenderer = _WORK["renderer"]
    if template == "feed.xml":
        data = renderer.feed(chunk)
    else:
        data = renderer.listing(template, page, chunk, **extra)
    fsatomic.write_bytes(_WORK["output_dir"] / page, data)
    return page, {"key": key, "entry": asdict(entry_for_bytes(page, data))}


def _extra_json(extra: dict[str, Any], shown_pages: dict[int, str]) -> str:
    """json.dumps(extra, ensure_ascii=False), without encoding the same list of pages
    again for each of its pages (500 index pages each list all 500)."""
    if list(extra) != ["heading", "page_no", "pages"]:
        return json.dumps(extra, ensure_ascii=False)
    pages = extra["pages"]
    if id(pages) not in shown_pages:
        shown_pages[id(pages)] = json.dumps(pages, ensure_ascii=False)
    return (f'{{"heading": {json.dumps(extra["heading"], ensure_ascii=False)}, '
            f'"page_no": {json.dumps(extra["page_no"])}, "pages": {shown_pages[id(pages)]}}}')


def _entry_line(entry: Entry) -> str:
    """All a listing shows of one article, as one line: part of the listing's cache key.
    repr() of a tuple of strings is unambiguous, stable and several times quicker than JSON."""
    return repr((entry.slug, entry.title, entry.date, entry.updated, entry.summary,
                 entry.lang, entry.author, entry.tags))


ListingJob = tuple[str, str, list[Entry], dict[str, Any]]


def _listing_jobs(entries: list[Entry], renderer: PageRenderer,
                  per_page: int) -> list[ListingJob]:
    """(template, page path, entries shown, extra context) for every listing page."""
    labels = renderer.site.labels
    # The feed lists every article: the longest job goes first, so that it is not the one
    # a worker is still on when the others are done.
    jobs: list[ListingJob] = [("feed.xml", sitepaths.FEED, entries, {})]
    count = max(1, -(-len(entries) // per_page))
    index_pages = [sitepaths.index_path(n) for n in range(1, count + 1)]
    for n, page in enumerate(index_pages, start=1):
        chunk = entries[(n - 1) * per_page: n * per_page]
        jobs.append(("index.html", page, chunk, {"heading": renderer.site.title, "page_no": n,
                                                  "pages": index_pages}))
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
        heading = f"{labels.get('tag', 'Tag')}: {names[slug]}"
        for n, page in enumerate(pages, start=1):
            jobs.append(("tag.html", page, tagged[(n - 1) * per_page: n * per_page],
                         {"heading": heading, "page_no": n, "pages": pages}))
    return jobs


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
