"""Turn articles and listings into page bytes with the theme's templates.

Everything a page shows comes in through `SiteContext` and the page's own data, so a
page's cache key can be computed from exactly those inputs.
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
from mirrorpub.site.theme import Theme, text_direction

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
    labels: dict[str, str]
    mirror_links: tuple[MirrorLink, ...]
    fingerprint: str | None
    feed_id: str
    allow_external: bool = False  # [site] allow_external: pages may load from elsewhere

    @property
    def direction(self) -> str:
        return text_direction(self.language)

    def digest(self) -> str:
        return stable_digest(asdict(self))


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
    def __init__(self, theme: Theme, site: SiteContext) -> None:
        self.site = site
        self.theme = theme
        # Compiled on first use: a build with nothing to re-render compiles nothing.
        self._templates: dict[str, Callable[..., str]] = {}

    def _template(self, name: str) -> Callable[..., str]:
        if name not in self._templates:
            self._templates[name] = self.theme.renderer(name)
        return self._templates[name]

    def common(self, page_path: str) -> dict[str, Any]:
        rel = functools.partial(layout.relative_url, page_path)
        return {
            "site": self.site,
            "labels": self.site.labels,
            "page_path": page_path,
            "page_lang": self.site.language,
            "direction": self.site.direction,
            "rel": rel,
            "here_on": [{"name": m.name, "kind": m.kind,
                         "url": m.base_url + quote(page_path, safe="/-._~")}
                        for m in self.site.mirror_links],
            "fingerprint": self.site.fingerprint,
            "index_url": rel(layout.INDEX),
            "mirrors_url": rel(layout.MIRRORS_PAGE),
            "feed_url": rel(layout.FEED),
        }

    def article(self, entry: Entry, body_html: str, tag_links: list[tuple[str, str]]) -> bytes:
        page = entry.path
        context = self.common(page)
        context.update(
            article=entry,
            page_lang=entry.lang,
            direction=text_direction(entry.lang),
            body=_BODY,
            date_text=entry.date[:10],
            updated_text=entry.updated[:10] if entry.updated else None,
            tags=[(name, context["rel"](path)) for name, path in tag_links],
        )
        return self._html("article.html", context).replace(_BODY, body_html).encode("utf-8")

    def listing(self, template: str, page: str, entries: list[Entry], *, heading: str,
                page_no: int, pages: list[str]) -> bytes:
        context = self.common(page)
        rel = context["rel"]
        context.update(
            heading=heading,
            entries=[{"entry": e, "url": rel(e.path), "date_text": e.date[:10],
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

    def page(self, template: str, page: str, *, connect: tuple[str, ...] = (),
             **extra: Any) -> bytes:
        """A page of the theme; `connect`: the origins its scripts may fetch from."""
        context = self.common(page)
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


def _atom_time(iso: str) -> str:
    return datetime.fromisoformat(iso).isoformat()
