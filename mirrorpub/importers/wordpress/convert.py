"""One post or page of the export -> the article's text, the files beside it, its notes.

    block comments out (embeds, reusable and dynamic blocks first) -> shortcodes to HTML
    -> URLs alone on a line (WordPress's auto-embeds) to links -> wpautop (classic
    editor only) -> markdown (importers/htmlmd.py), every URL through PostResolver
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from mirrorpub.importers.article import Front, article_text, unique_tags
from mirrorpub.importers.htmlmd import to_markdown
from mirrorpub.importers.report import Note
from mirrorpub.importers.shortcodes import is_player_site
from mirrorpub.importers.wordpress.autop import wpautop
from mirrorpub.importers.wordpress.blocks import has_blocks, remove_blocks
from mirrorpub.importers.wordpress.files import Uploads, original_of, uploads_path
from mirrorpub.importers.wordpress.links import PostResolver
from mirrorpub.importers.wordpress.shortcodes import GalleryImage, ShortcodeContext, expand
from mirrorpub.importers.wordpress.site import Entry, SiteIndex, plain
from mirrorpub.importers.wordpress.wxr import Item

_OWN_LINE_URL = re.compile(r"^(\s*)(https?://[^\s<>\"]+)(\s*)$", re.MULTILINE)
_PARAGRAPH_URL = re.compile(r"(<p(?: [^>]*)?>\s*)(https?://[^\s<>\"]+)(\s*</p>)")
_IMAGE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|tiff?)$", re.IGNORECASE)
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_SKIPPED_DOMAINS = {"category", "post_tag", "post_format", "language", "post_translations",
                    "term_translations", ""}


@dataclass(frozen=True)
class Converted:
    text: str
    files: dict[str, Path]
    notes: list[Note]


def convert(item: Item, entry: Entry, site: SiteIndex, uploads: Uploads | None,
            shown: str) -> Converted:
    resolver = PostResolver(site, uploads, entry, shown)
    body = to_markdown(_body_html(item, entry, site, resolver), resolver)
    front = _front(item, entry, site, resolver)
    return Converted(article_text(front, body), resolver.files, resolver.notes)


def _body_html(item: Item, entry: Entry, site: SiteIndex, resolver: PostResolver) -> str:
    text = item.content
    blocks = has_blocks(text)
    if blocks:
        text = remove_blocks(text, site.reusable.get, resolver.note)
    text = expand(text, _shortcode_context(entry, site, resolver))
    text = _auto_embeds(text, resolver)
    if not blocks:
        text = wpautop(text)
    return _featured_image(item, site, text) + text


def _auto_embeds(text: str, resolver: PostResolver) -> str:
    """A URL alone on its line (or paragraph) is a player on WordPress: here a link."""
    def link(match: re.Match[str]) -> str:
        url = html.unescape(match.group(2))
        if is_player_site(url):
            resolver.note(url, "an embed: kept as a link (copies load nothing from elsewhere)")
        safe = html.escape(url)
        return f'{match.group(1)}<a href="{safe}">{safe}</a>{match.group(3)}'

    return _PARAGRAPH_URL.sub(link, _OWN_LINE_URL.sub(link, text))


def _shortcode_context(entry: Entry, site: SiteIndex,
                       resolver: PostResolver) -> ShortcodeContext:
    def gallery(ids: list[int] | None) -> list[GalleryImage]:
        if ids is None:
            children = sorted(site.children.get(entry.post_id, []),
                              key=lambda i: (site.attachments[i].menu_order, i))
            ids = [i for i in children if _IMAGE_FILE.search(site.attachments[i].url)]
        found = [site.attachments[i] for i in ids if i in site.attachments]
        return [GalleryImage(a.url, a.alt or a.title, a.caption) for a in found]

    def media_url(attachment_id: int) -> str | None:
        attachment = site.attachments.get(attachment_id)
        return attachment.url if attachment else None

    return ShortcodeContext(gallery=gallery, media_url=media_url, note=resolver.note)


def _featured_image(item: Item, site: SiteIndex, body: str) -> str:
    """The post's featured image first, unless the body shows it already: mirrorpub has
    no featured images, and a news archive would lose its lead photos."""
    thumbnail = item.meta.get("_thumbnail_id", "").strip()
    attachment = site.attachments.get(int(thumbnail)) if thumbnail.isdigit() else None
    if attachment is None or not attachment.url:
        return ""
    rel = uploads_path(attachment.url) or attachment.url
    stem = (original_of(rel) or rel).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if stem and stem in body:
        return ""
    alt = html.escape(attachment.alt or attachment.title)
    return f'<p><img src="{html.escape(attachment.url)}" alt="{alt}" /></p>\n'


def _front(item: Item, entry: Entry, site: SiteIndex, resolver: PostResolver) -> Front:
    tags = ["page"] if entry.is_page else []
    lang = None
    for domain, nicename, name in item.terms:
        if domain in ("category", "post_tag"):
            if nicename != "uncategorized" and plain(name).lower() != "uncategorized":
                tags.append(plain(name))
        elif domain == "language" and _LANGUAGE.fullmatch(nicename):
            lang = nicename  # Polylang's language of the post
        elif domain not in _SKIPPED_DOMAINS:
            resolver.note(f"{domain} {plain(name)!r}", "a term of a taxonomy mirrorpub does "
                          "not have: dropped")
    _draft_notes(item, entry, resolver)
    title = entry.title or _untitled(item, entry, resolver)
    updated = site.clock.when(item.modified, item.modified_gmt)
    origin = f"imported from WordPress {'page' if entry.is_page else 'post'} {entry.post_id}"
    return Front(title=title, date=entry.date, slug=entry.slug,
                 author=site.channel.authors.get(item.creator.strip(), item.creator.strip()),
                 tags=unique_tags(tags), lang=lang, summary=plain(item.excerpt) or None,
                 draft=entry.draft_reason is not None,
                 updated=updated if updated and updated > entry.date else None,
                 origin=origin + (" (sticky)" if item.sticky else ""))


def _draft_notes(item: Item, entry: Entry, resolver: PostResolver) -> None:
    reason = entry.draft_reason
    if reason:
        resolver.note(f"status {item.status or 'none'}" + (", password" if entry.protected
                                                            else ""),
                      f"the post is {reason}: imported as a draft, never published until "
                      "you set draft: false")
    if item.sticky:
        resolver.note("sticky", "the post was sticky (kept on top of the front page); "
                      "mirrorpub lists articles by date")
    if not entry.dated:
        resolver.note("date", "the export gives no date: set to 1970-01-01")


def _untitled(item: Item, entry: Entry, resolver: PostResolver) -> str:
    words = plain(item.content).split()
    title = " ".join(words[:8]) + ("…" if len(words) > 8 else "") if words else \
        f"Untitled {entry.post_id}"
    resolver.note("title", f"the post has no title: used {title!r}")
    return title
