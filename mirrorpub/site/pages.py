"""Turn articles and listings into page bytes with the theme's templates.

Everything a page shows comes in through `SiteContext`, the words of the page's language
and the page's own data, so a page's cache key can be computed from exactly those inputs.
Each page speaks one language: an article its own `lang`, the index, tag and copies
pages the site's language (and a multilingual site's copies page each of its languages).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from mirrorpub import layout
from mirrorpub.content.slugs import slugify
from mirrorpub.errors import BuildError
from mirrorpub.hashing import stable_digest
from mirrorpub.site import csp
from mirrorpub.site.theme import Theme
from mirrorpub.site.words import PageWords, Words, best_match, text_direction

# Where the article body goes while the page's own scripts are hashed (csp.py): no source
# text can hold it, since a NUL stops the build.
_BODY = "\x00mirrorpub-article-body\x00"

@dataclass(frozen=True)
class MirrorLink:
    """A copy readers can be sent to: the same page lives at base_url + page path."""

    name: str
    kind: str
    base_url: str


@dataclass(frozen=True)
class SiteContext:
    title: str
    description: str
    language: str
    languages: tuple[str, ...]  # the site's language first; one copies page each
    mirror_links: tuple[MirrorLink, ...]
    fingerprint: str | None
    feed_id: str
    allow_external: bool = False  # [site] allow_external: pages may load from elsewhere

    def digest(self) -> str:
        return stable_digest(asdict(self))

    def copies_language(self, lang: str) -> str:
        """The site language whose copies page a page in `lang` links: its own where the
        site has one, else the site's."""
        return best_match(lang, self.languages) or self.languages[0]


@dataclass(frozen=True)
class Entry:
    """What listings show of an article; JSON-able, so it can key the cache."""

    slug: str
    title: str
    date: str  # ISO 8601
    updated: str | None
    summary: str
    lang: str
    author: str | None
    tags: tuple[str, ...]

    @property
    def path(self) -> str:
        return layout.article_path(self.slug)


def tag_page(tag: str) -> str:
    """The tag's front page: its newest articles."""
    return layout.tag_path(slugify(tag))


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing: `entries[start:stop]` of the newest-first list it pages."""

    path: str
    start: int
    stop: int
    archive_no: int | None  # None: the front page
    newer: str | None
    older: str | None


def stable_pages(count: int, per_page: int, front: str,
                 archive: Callable[[int], str]) -> list[ListingPage]:
    """The front page (the newest `per_page`) and archive pages counted from the oldest
    (SPEC §14): archive page k holds the k-th oldest `per_page` articles, so only the
    newest one fills up as articles arrive, and a page with a newer page after it never
    changes again. The front page's older link skips the newest archive page, whose
    articles it shows all of."""
    last = -(-count // per_page)  # no archive page until there is an article
    pages = [ListingPage(front, 0, min(count, per_page), None, None,
                         archive(last - 1) if last > 1 else None)]
    for k in range(1, last + 1):
        oldest, newest = (k - 1) * per_page, min(k * per_page, count)
        pages.append(ListingPage(archive(k), count - newest, count - oldest, k,
                                 archive(k + 1) if k < last else front,
                                 archive(k - 1) if k > 1 else None))
    return pages


@dataclass(frozen=True)
class FeedDocument:
    """feed.xml (the newest `feed_size`) or an archived feed document (RFC 5005): the
    k-th oldest full `feed_size` entries, written once and never changed."""

    path: str
    start: int
    stop: int
    archived: bool
    prev_archive: str | None


def feed_documents(count: int, feed_size: int) -> list[FeedDocument]:
    full = count // feed_size  # together with the newest feed_size, every entry is listed
    docs = [FeedDocument(layout.FEED, 0, min(count, feed_size), False,
                         layout.feed_archive_path(full) if full else None)]
    for k in range(1, full + 1):
        docs.append(FeedDocument(layout.feed_archive_path(k), count - k * feed_size,
                                 count - (k - 1) * feed_size, True,
                                 layout.feed_archive_path(k - 1) if k > 1 else None))
    return docs


class PageRenderer:
    def __init__(self, theme: Theme, site: SiteContext, words: Words) -> None:
        self.site = site
        self.theme = theme
        self.words = words
        # Compiled on first use: a build with nothing to re-render compiles nothing.
        self._templates: dict[str, Callable[..., str]] = {}
        self._copies: dict[str, str] = {}  # page language -> its copies page

    def _template(self, name: str) -> Callable[..., str]:
        if name not in self._templates:
            self._templates[name] = self.theme.renderer(name)
        return self._templates[name]

    def common(self, page_path: str, lang: str | None = None) -> dict[str, Any]:
        lang = lang or self.site.language
        words = self.words.language(lang)
        rel = functools.partial(layout.relative_url, page_path)
        if lang not in self._copies:
            self._copies[lang] = layout.copies_page(self.site.copies_language(lang),
                                                    self.site.languages)
        copies = self._copies[lang]
        from markupsafe import Markup  # with jinja2: loaded only when a page is rendered

        return {
            "site": self.site,
            "words": words,
            "page_path": page_path,
            "page_lang": lang,
            "direction": words.direction,
            "chrome": Markup('lang="{}" dir="{}"').format(words.chrome_lang, words.chrome_dir),
            "rel": rel,
            "here_on": [{"name": m.name, "kind": m.kind,
                         "url": m.base_url + quote(page_path, safe="/-._~")}
                        for m in self.site.mirror_links],
            "fingerprint": self.site.fingerprint,
            "index_url": rel(layout.INDEX),
            "mirrors_url": rel(copies),
            "feed_url": rel(layout.FEED),
        }

    def article(self, entry: Entry, body_html: str, tag_links: list[tuple[str, str]]) -> bytes:
        return self.article_at(entry, body_html, tag_links)[0]

    def article_at(self, entry: Entry, body_html: str,
                   tag_links: list[tuple[str, str]]) -> tuple[bytes, int, int]:
        """The article page, and where in its bytes the body is: a later build that only
        changes what is around it takes the body from there (build/articles.py)."""
        page = entry.path
        context = self.common(page, entry.lang)
        words: PageWords = context["words"]
        context.update(
            article=entry,
            body=_BODY,
            date_text=words.date(entry.date),
            updated_text=words.date(entry.updated) if entry.updated else None,
            tags=[(name, context["rel"](path)) for name, path in tag_links],
        )
        shell = self._html("article.html", context)
        if _BODY not in shell:  # a theme that shows no body: nothing to take it from later
            return shell.encode("utf-8"), -1, -1
        head, _, _ = shell.partition(_BODY)
        start = len(head.encode("utf-8"))
        data = shell.replace(_BODY, body_html).encode("utf-8")
        return data, start, start + len(body_html.encode("utf-8"))

    def listing(self, template: str, page: str, entries: list[Entry], *,
                archive_no: int | None, newer: str | None, older: str | None,
                tag: str | None = None, count: int | None = None) -> bytes:
        """A front page (`archive_no` None) or archive page; nothing on a page depends on
        how many pages there are, so a page with a newer one after it never changes."""
        context = self.common(page)
        rel, words = context["rel"], context["words"]
        context.update(
            tag=tag,
            count=count,
            entries=[{"entry": e, "url": rel(e.path), "date_text": words.date(e.date),
                      "direction": text_direction(e.lang)} for e in entries],
            archive_no=archive_no,
            # The dates an archive page spans, newest first: where a reader is in the years.
            span=(words.date(entries[0].date), words.date(entries[-1].date))
            if archive_no and entries else None,
            newer_url=rel(newer) if newer else None,
            older_url=rel(older) if older else None,
        )
        return self._html(template, context).encode("utf-8")

    def feed(self, entries: list[Entry], path: str, *, archived: bool,
             prev_archive: str | None) -> bytes:
        """feed.xml or one of its archives (FeedDocument)."""
        newest = max((e.updated or e.date for e in entries), default="1970-01-01T00:00:00+00:00")
        rel = functools.partial(layout.relative_url, path)
        context = {
            "site": self.site,
            "feed_id": self.site.feed_id,
            "updated": _atom_time(newest),
            "self_url": rel(path),
            "current_url": rel(layout.FEED),
            "index_url": rel(layout.INDEX),
            "archived": archived,
            "prev_archive": rel(prev_archive) if prev_archive else None,
            "entries": [{"entry": e, "url": rel(e.path), "published": _atom_time(e.date),
                         "updated": _atom_time(e.updated or e.date)} for e in entries],
        }
        return self._template("feed.xml")(**context).encode("utf-8")

    def page(self, template: str, page: str, lang: str | None = None, *,
             connect: tuple[str, ...] = (), **extra: Any) -> bytes:
        """A page of the theme; `connect`: the origins its scripts may fetch from."""
        context = self.common(page, lang)
        context.update(extra)
        return self._html(template, context, connect).encode("utf-8")

    def _html(self, template: str, context: dict[str, Any],
              connect: tuple[str, ...] = ()) -> str:
        """The rendered page with its Content-Security-Policy filled in (csp.py)."""
        text = self._template(template)(**context, csp=csp.MARKER)
        if csp.MARKER not in text:
            raise BuildError(f"template {template!r} (or the one it extends) must carry "
                             '<meta http-equiv="Content-Security-Policy" content="{{ csp }}"> '
                             "in its <head>, as the default theme's base.html does: it stops "
                             "scripts nobody wrote into the theme")
        policy = csp.policy(scripts=csp.inline_script_hashes(text), connect=connect,
                            allow_external=self.site.allow_external)
        return text.replace(csp.MARKER, policy)

    def copies_pages(self, *, connect: tuple[str, ...] = (), **extra: Any) -> dict[str, bytes]:
        """mirrors.html in each of the site's languages, each linking the others."""
        languages = self.site.languages
        out = {}
        for lang in languages:
            path = layout.copies_page(lang, languages)
            others = [{"lang": other, "name": self.words.language(other).name,
                       "url": layout.relative_url(path, layout.copies_page(other, languages))}
                      for other in languages if other != lang]
            out[path] = self.page("mirrors.html", path, lang, connect=connect,
                                  other_languages=others, **extra)
        return out


def _atom_time(iso: str) -> str:
    return datetime.fromisoformat(iso).isoformat()
