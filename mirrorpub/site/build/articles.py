"""Articles: their front matter (from the cache, unread, when a stat vouches for it),
and their pages, rendered only when what they show changed."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.content import links, markdown, sanitize
from mirrorpub.content.articles import Article, line_of, parse_article, read_source
from mirrorpub.content.frontmatter import FrontMatter, body_of, decode, key_line
from mirrorpub.content.scan import ARTICLE_SUFFIX, ContentFile, Scan
from mirrorpub.errors import ContentError, raise_content_errors
from mirrorpub.model import FileEntry
from mirrorpub.site.build.cache import CODE_VERSION, RACY_NS, RenderCache, output_size, stat_key
from mirrorpub.site.build.forked import Forked
from mirrorpub.site.build.pool import mapper
from mirrorpub.site.mediatypes import entry_for_bytes
from mirrorpub.site.pages import Entry, PageRenderer, tag_page

# Front matter as the cache keeps it: only what differs from these, to keep the cache small
# (it is read and written by every build).
_FRONT_DEFAULTS: dict[str, Any] = {"slug": None, "author": None, "tags": [], "lang": None,
                                   "summary": None, "draft": False, "updated": None,
                                   "allow_external": False}


_FRONT_FIELDS = tuple(f.name for f in fields(FrontMatter))

STATS_FORK = 5000  # articles from which half their stats are made by a child process


@functools.cache
def _libraries() -> str:
    """What else an article's body HTML comes from besides mirrorpub (CODE_VERSION): an
    upgrade of either may change it. Imported only once a body is rendered or kept."""
    import markdown as markdown_lib
    import nh3

    return f"markdown {markdown_lib.__version__}, nh3 {nh3.__version__}"


def front_to_json(front: FrontMatter) -> dict[str, Any]:
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


def read_articles(files: Iterable[ContentFile], stats: dict[str, list[int]], label: str,
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
    errors: list[ContentError] = []
    with mapper(workers, len(todo), {"label": label, "language": language}) as run:
        for outcome in run(_read_one, todo):
            if outcome[0] == "error":
                errors.append(ContentError(*outcome[1:]))
                continue
            rel, stat = outcome[1], outcome[3]
            if outcome[0] == "same":
                article = _cached_article(by_rel[rel], label, language, old[rel])
                records[rel] = {**old[rel], "stat": stat}
            else:
                article = outcome[2]
                records[rel] = {"sha": article.sha256, "stat": stat, "slug": article.slug,
                                "front": front_to_json(article.front),
                                "body_line": article.body_line}
            articles.append(article)
            # Re-read because it was new, changed or recently written: once it is old
            # enough to be vouched for by its stat, the cache must be saved to say so.
            cache.dirty = cache.dirty or stat[1] < started_ns - RACY_NS or \
                outcome[0] == "new" or old.get(rel, {}).get("stat") != stat
    raise_content_errors(errors)
    if len(records) != len(old):
        cache.dirty = True
    cache.articles = records
    return articles


def newest_first(articles: list[Article]) -> list[Article]:
    """By date, newest first; by slug where dates are equal. Two stable sorts: cheaper than
    one whose key converts every date to a timestamp."""
    articles.sort(key=lambda a: a.slug)
    articles.sort(key=lambda a: a.front.date, reverse=True)
    return articles


def check_allow_external(articles: list[Article], site_allows: bool, content_dir: Path,
                         label: str) -> None:
    """Loading from elsewhere is the site owner's decision ([site] allow_external), not a
    contributor's: an article cannot grant it to itself in its front matter."""
    if site_allows:
        return
    for article in sorted(articles, key=lambda a: a.rel):
        if article.front.allow_external:
            file = ContentFile(rel=article.rel, path=os.path.join(content_dir, article.rel))
            text = decode(article.shown, read_source(file, label)[0])
            raise ContentError(article.shown, "front matter 'allow_external': this site does "
                               "not let articles load from elsewhere; remove the line, or set "
                               "allow_external = true under [site] in mirrorpub.toml if the "
                               "whole site accepts that",
                               key_line(article.shown, text, "allow_external"))


def source_stat(path: str, shown: str) -> list[int]:
    try:
        return stat_key(os.stat(path))
    except OSError as exc:
        raise ContentError(shown, f"cannot be read: {exc.strerror}") from None


def source_stats(files: Sequence[ContentFile], label: str) -> dict[str, list[int]]:
    """Every article's stat_key, in scan order. Many (~0.45 s at 100,000): the second
    half's are made by a child process meanwhile (forked.py)."""
    half = len(files) // 2 if len(files) >= STATS_FORK else len(files)
    rest = Forked(_stats, files[half:], label, fork=half < len(files))
    stats = dict(zip([f.rel for f in files[:half]], _stats(files[:half], label), strict=True))
    stats.update(zip([f.rel for f in files[half:]], rest.result(), strict=True))
    return stats


def _stats(files: Sequence[ContentFile], label: str) -> list[list[int]]:
    return [source_stat(file.path, file.shown(label)) for file in files]


def _cached_article(file: ContentFile, label: str, language: str,
                    record: dict[str, Any]) -> Article:
    front = _front_from_json(record["front"])
    # The body is read again only if this article has to be rendered again.
    return Article(rel=file.rel, shown=file.shown(label), sha256=record["sha"], front=front,
                   body="", body_line=record["body_line"], slug=record["slug"],
                   lang=front.lang or language)


def _read_one(work: dict[str, Any],
              job: tuple[ContentFile, list[int], str | None]) -> tuple[Any, ...]:
    file, stat, known_sha = job
    label = work["label"]
    try:
        raw, sha = read_source(file, label)
        if sha == known_sha:
            return ("same", file.rel, None, stat)
        article = parse_article(file, label, raw, sha, work["language"])
    except ContentError as exc:  # exceptions with extra fields do not pickle back
        return ("error", exc.file, exc.message, exc.line)
    if work["pooled"]:  # a body stays here; the render step reads it again if it needs it
        article = replace(article, body="")
    return ("new", file.rel, article, stat)


class RenderJob:
    def __init__(self, content_dir: Path, output_dir: Path, renderer: PageRenderer, scan: Scan,
                 published: list[Article], drafts: set[str], digests: list[str],
                 allow_external: bool, outputs: Mapping[str, str] | None = None) -> None:
        """`outputs`: the page of every published article a link may name (rel -> site
        path), when `published` holds only those to render (patch.py)."""
        self.content_dir = content_dir
        self.output_dir = output_dir
        self.renderer = renderer
        self.scan = scan
        self.published = published
        self.by_rel = {a.rel: a for a in published}
        self.outputs = outputs if outputs is not None else {a.rel: a.output for a in published}
        self.drafts = drafts
        self.key_base = json.dumps([CODE_VERSION, *digests, allow_external])
        self.allow_external = allow_external
        self.output_root = str(output_dir)
        self._digests: dict[str, str] = {}
        # The records of the pages about to be rendered (run() sets them): their bodies may
        # be taken from the pages already written.
        self.before: Mapping[str, Mapping[str, Any]] = {}

    def resolve(self, rel: str) -> str | None:
        if rel.endswith(ARTICLE_SUFFIX):
            if rel in self.drafts:
                raise links.LinkProblem(rel, f"links to content/{rel}, which is a draft and "
                                        "is not published")
            return self.outputs.get(rel)
        return self.scan.files.get(rel)

    def key(self, article: Article, targets: dict[str, str | None]) -> str:
        """Everything an article page shows besides its source; linked paths included."""
        text = json.dumps([self.key_base, article.sha256, article.slug, article.lang,
                           self._words_digest(article.lang),
                           sorted(targets.items())],
                          ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _words_digest(self, lang: str) -> str:
        if lang not in self._digests:
            self._digests[lang] = self.renderer.words.digest(lang)
        return self._digests[lang]

    def link_world(self) -> str:
        """Everything a link can resolve to, and the key parts all pages share. While it is
        unchanged, an article whose source is unchanged keeps its key. Every catalog is part
        of it; each key has only its own language's (an edited ru.po re-renders the
        Russian articles, no others)."""
        text = json.dumps([self.key_base, self.renderer.words.digest_all,
                           sorted((a.rel, a.output) for a in self.published),
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
        size = output_size(os.path.join(self.output_root, article.output))
        return size is not None and size == hit["entry"]["size"]

    def run(self, cache: RenderCache, files: dict[str, FileEntry],
            workers: int) -> tuple[list[Entry], int]:
        same_world = cache.step("links", self.link_world())
        todo = [a.rel for a in self.published
                if not self.still_valid(a, cache.articles.get(a.rel), same_world)]
        self.before = {rel: cache.articles[rel] for rel in todo if rel in cache.articles}
        errors: list[ContentError] = []
        with mapper(workers, len(todo), {"job": self}) as run:
            for outcome in run(render_one, todo):
                if outcome[0] == "error":
                    errors.append(ContentError(*outcome[1:]))
                    continue
                cache.articles[outcome[1]["rel"]].update(outcome[1]["record"])
                cache.dirty = True
        raise_content_errors(errors)
        entries = []
        for article in self.published:
            record = cache.articles[article.rel]
            files[article.output] = FileEntry(**record["entry"])
            entries.append(make_entry(article, record["summary"], record["front"]))
        return entries, len(todo)

    def render(self, rel: str) -> dict[str, Any]:
        article = self.by_rel[rel]
        hit = self.before.get(rel)
        kept = self.kept_body(article, hit)
        if kept is not None:
            assert hit is not None
            (body_html, targets), body_key = kept, hit["body"][0]  # checked by kept_body
        else:
            article = self.with_body(article)
            body_html, targets = self.body_html(article)
            body_key = self.body_key(article, targets)
        summary = article.front.summary or markdown.first_paragraph(body_html)
        entry = make_entry(article, summary)
        tag_links = [(t, tag_page(t)) for t in article.front.tags]
        data, start, end = self.renderer.article_at(entry, body_html, tag_links)
        fsatomic.write_bytes(self.output_dir / article.output, data)
        file_entry = entry_for_bytes(article.output, data)
        record = {"summary": summary, "targets": sorted(targets),
                  "key": self.key(article, targets), "output": article.output,
                  "entry": asdict(file_entry)}
        # None, not left out: the record is merged into the one before, whose offsets
        # would then point into this page.
        record["body"] = [body_key, start, end] if start >= 0 else None
        return {"rel": rel, "record": record}

    def body_html(self, article: Article) -> tuple[str, dict[str, str | None]]:
        """The article's body as its page shows it, and the links it resolved."""
        body_html = markdown.to_html(article.body)
        targets: dict[str, str | None] = {}
        context = links.LinkContext(
            source_dir=article.source_dir, page_path=article.output,
            resolve=lambda r: targets.setdefault(r, self.resolve(r)),
            is_folder=lambda r: r in self.scan.folders,
            allow_external=self.allow_external,
        )
        try:
            body_html, _ = links.rewrite(body_html, context)
            body_html = sanitize.clean(body_html, allow_external=self.allow_external)
        except links.LinkProblem as exc:
            raise ContentError(article.shown, str(exc), line_of(article, exc.url)) \
                from None
        return body_html, targets

    def body_key(self, article: Article, targets: Mapping[str, str | None]) -> str:
        """Everything the body's HTML depends on: the source, where its page is, what its
        links lead to, and the code that turns Markdown into it. Not the theme, the site's
        words or the copies a page names: a change to those keeps every body."""
        text = json.dumps([CODE_VERSION, _libraries(), article.sha256, article.output,
                           self.allow_external, sorted(targets.items())], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def kept_body(self, article: Article, hit: Mapping[str, Any] | None
                  ) -> tuple[str, dict[str, str | None]] | None:
        """The body as the page written for `hit` holds it, when nothing it depends on
        changed and the page is still the one written (its sha256): Markdown, links and
        sanitizing are most of an article's render, and a theme, words or copies change
        re-renders every page."""
        if not hit or not hit.get("body") or hit.get("sha") != article.sha256 or \
                hit.get("output") != article.output:
            return None
        try:
            targets = {t: self.resolve(t) for t in hit["targets"]}
        except links.LinkProblem:
            return None
        key, start, end = hit["body"]
        if key != self.body_key(article, targets):
            return None
        try:
            with open(os.path.join(self.output_root, article.output), "rb") as page:
                data = page.read(hit["entry"]["size"] + 1)
        except OSError:
            return None
        if len(data) != hit["entry"]["size"] or \
                hashlib.sha256(data).hexdigest() != hit["entry"]["sha256"]:
            return None
        try:
            return data[start:end].decode("utf-8"), targets
        except UnicodeDecodeError:
            return None

    def with_body(self, article: Article) -> Article:
        if article.body or not article.sha256:
            return article
        file = ContentFile(rel=article.rel, path=os.path.join(self.content_dir, article.rel))
        raw, sha = read_source(file, article.shown.removesuffix("/" + article.rel))
        if sha != article.sha256:  # saved again while this build ran: its front is stale
            raise ContentError(article.shown, "changed while the site was being built; "
                               "build again")
        body, body_line = body_of(article.shown, decode(article.shown, raw))
        return replace(article, body=body, body_line=body_line)


def render_one(work: dict[str, Any], rel: str) -> tuple[Any, ...]:
    job: RenderJob = work["job"]
    try:
        return ("ok", job.render(rel))
    except ContentError as exc:
        return ("error", exc.file, exc.message, exc.line)
    except RecursionError:
        article = job.by_rel[rel]
        return ("error", article.shown, "is nested too deeply to render (lists or quotes "
                "hundreds of levels deep?)", None)


def make_entry(article: Article, summary: str,
               front_json: dict[str, Any] | None = None) -> Entry:
    """`front_json`: the cache record's front matter (front_to_json), whose dates are
    already the ISO text an entry shows: formatting 100,000 dates again took half a
    second of a one-edit build."""
    front = article.front
    if front_json is None:
        front_json = {"date": front.date.isoformat(),
                      "updated": front.updated.isoformat() if front.updated else None}
    return Entry(slug=article.slug, title=front.title, date=front_json["date"],
                 updated=front_json.get("updated"), summary=summary, lang=article.lang,
                 author=front.author, tags=front.tags)
