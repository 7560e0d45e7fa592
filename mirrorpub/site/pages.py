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


def tag_pages(tag: str, count: int, per_page: int) -> list[str]:
    slug = slugify(tag)
    pages = max(1, -(-count // per_page))
    return [layout.tag_path(slug if n == 1 else f"{slug}.p{n}") for n in range(1, pages + 1)]


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
        return self._html("article.html", context).replace(_BODY, body_html).encode("utf-8")

    def listing(self, template: str, page: str, entries: list[Entry], *, page_no: int,
                pages: list[str], tag: str | None = None, count: int | None = None) -> bytes:
        context = self.common(page)
        rel, words = context["rel"], context["words"]
        context.update(
            tag=tag,
            count=count,
            entries=[{"entry": e, "url": rel(e.path), "date_text": words.date(e.date),
                      "direction": text_direction(e.lang)} for e in entries],
            page_no=page_no,
            page_count=len(pages),
            newer_url=rel(pages[page_no - 2]) if page_no > 1 else None,
            older_url=rel(pages[page_no]) if page_no < len(pages) else None,
        )
        return self._html(template, context).encode("utf-8")

    def feed(self, entries: list[Entry]) -> bytes:
        newest = max((e.updated or e.date for e in entries), default="1970-01-01T00:00:00+00:00")
        context = {
            "site": self.site,
            "feed_id": self.site.feed_id,
            "updated": _atom_time(newest),
            "entries": [{"entry": e, "url": e.path, "published": _atom_time(e.date),
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
