"""The first pass over an export: everything one post needs to know about the others
(their future paths, permalinks and names, the attachments, the authors), kept small so
a 50,000-post export fits. The whole file is read here, so a malformed or hostile export
is refused before anything is written.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mirrorpub.content.slugs import slugify
from mirrorpub.errors import ContentError
from mirrorpub.importers.plan import SlugBook
from mirrorpub.importers.report import Note
from mirrorpub.importers.wordpress.dates import SiteClock
from mirrorpub.importers.wordpress.wxr import Channel, Item, WxrReader

ARTICLE_TYPES = ("post", "page")
# Types an export carries that are no article and need no word in the report.
_STRUCTURAL = {"attachment", "revision", "nav_menu_item", "wp_block", "custom_css",
               "customize_changeset", "oembed_cache", "user_request", "wp_template",
               "wp_template_part", "wp_global_styles", "wp_navigation", "wp_font_family",
               "wp_font_face", "jp_pay_order", "jp_pay_product", "feedback"}
DRAFT_STATUSES = {"draft": "a draft", "pending": "pending review", "future": "scheduled",
                  "private": "private", "trash": "in the trash", "auto-draft": "a draft"}
_TAG = re.compile(r"<[^>]*>")
_BREAKING_TAG = re.compile(r"<(?:br|/?p|/?div|/?li|/?h[1-6]|/?blockquote|/?tr|/?td)\b[^>]*>",
                           re.IGNORECASE)
# First path segments of WordPress pages that are no post (archives, feeds, the admin).
_NOT_POSTS = {"category", "tag", "author", "feed", "comments", "search", "page", "type",
              "wp-content", "wp-admin", "wp-includes", "wp-json", "wp-login.php"}
_TRAILING = {"amp", "feed", "embed", "trackback", "comment-page-1"}
_DATE_ZERO = datetime(1970, 1, 1, tzinfo=UTC)


def plain(text: str) -> str:
    """HTML (a title, an excerpt) as plain text on one line."""
    return " ".join(html.unescape(_TAG.sub("", _BREAKING_TAG.sub(" ", text))).split())


def host_key(host: str | None) -> str:
    host = (host or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def link_key(url: str) -> str:
    """A permalink as one key: scheme, `www.`, case, escapes and a final / ignored."""
    parts = urlsplit(url.strip())
    return host_key(parts.hostname) + unquote(parts.path).rstrip("/").lower()


def name_in(url: str) -> str | None:
    """The post name a same-site URL ends with (`/2019/05/the-name/` -> `the-name`)."""
    segments = [s for s in unquote(urlsplit(url).path).lower().split("/") if s]
    while len(segments) > 1 and (segments[-1] in _TRAILING or segments[-1].isdigit()):
        segments.pop()
    if not segments or segments[0] in _NOT_POSTS:
        return None
    name = segments[-1]
    for suffix in (".html", ".htm", ".php"):
        name = name.removesuffix(suffix)
    return name or None


@dataclass(slots=True)
class Entry:
    """A post or page that becomes an article."""

    post_id: int
    is_page: bool
    status: str
    protected: bool
    name: str  # post_name, percent-decoded
    title: str
    link: str
    dates: tuple[str, str, str]  # post_date, post_date_gmt, pubDate, as the export says
    date: datetime = _DATE_ZERO
    dated: bool = False  # False: the export gave no usable date
    slug: str = ""
    rel: str = ""  # the article's path in the content folder

    @property
    def draft_reason(self) -> str | None:
        if self.protected:
            return "password-protected"
        if self.status == "publish":
            return None
        return DRAFT_STATUSES.get(self.status, f"of status {self.status!r}")

    @property
    def withheld(self) -> bool:
        """Private or password-protected: its files must not be on any copy either."""
        return self.protected or self.status == "private"


@dataclass(slots=True)
class Attachment:
    post_id: int
    url: str
    parent: int
    menu_order: int
    title: str
    caption: str
    alt: str


@dataclass
class SiteIndex:
    channel: Channel = field(default_factory=Channel)
    clock: SiteClock = field(default_factory=SiteClock)
    entries: dict[int, Entry] = field(default_factory=dict)
    attachments: dict[int, Attachment] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    reusable: dict[int, str] = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)
    by_link: dict[str, int] = field(default_factory=dict)  # permalink key -> post id
    attachment_links: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    comments: int = 0

    @property
    def base_url(self) -> str:
        return self.channel.base_blog_url or self.channel.link or self.channel.base_site_url

    def same_site(self, url: str) -> bool:
        return host_key(urlsplit(url).hostname) in self.hosts

    def find_post(self, url: str) -> Entry | None:
        entry_id = self.by_link.get(link_key(url))
        if entry_id is None:
            name = name_in(url)
            entry_id = self.by_name.get(name) if name else None
        return self.entries.get(entry_id) if entry_id is not None else None


def read_index(path: Path, shown: str, clock: SiteClock) -> SiteIndex:
    site = SiteIndex(clock=clock)
    reader = WxrReader(path, shown)
    site.channel = reader.channel
    for item in reader.items():
        _take(site, item, shown)
    for url in (site.channel.link, site.channel.base_site_url, site.channel.base_blog_url):
        if url:
            site.hosts.add(host_key(urlsplit(url).hostname))
    for entry in site.entries.values():  # now that the site's time zone is known
        when = clock.when(*entry.dates)
        entry.date, entry.dated = when or _DATE_ZERO, when is not None
    return site


def _take(site: SiteIndex, item: Item, shown: str) -> None:
    site.comments += item.comments
    if item.post_type == "attachment":
        site.attachments[item.post_id] = _attachment(item)
        site.children[item.parent].append(item.post_id)
        if item.link:
            site.attachment_links[link_key(item.link)] = item.post_id
        return
    if item.post_type == "wp_block":
        site.reusable[item.post_id] = item.content
        return
    if item.post_type not in ARTICLE_TYPES:
        if item.post_type not in _STRUCTURAL:
            site.notes.append(Note(shown, f"item {item.post_id} ({item.post_type!r}: "
                                   f"{plain(item.title)!r})", "not a post or page: skipped"))
        return
    if item.post_id in site.entries or item.post_id <= 0:
        site.notes.append(Note(shown, f"item {item.post_id} ({plain(item.title)!r})",
                               "has the ID of another item (or none): skipped"))
        return
    if item.status == "publish":
        site.clock.observe(item.post_date, item.post_date_gmt)
    site.entries[item.post_id] = _entry(item, shown)
    if item.link:
        site.hosts.add(host_key(urlsplit(item.link).hostname))
        site.by_link.setdefault(link_key(item.link), item.post_id)
    name = site.entries[item.post_id].name.lower()
    if name:
        site.by_name.setdefault(name, item.post_id)


def _attachment(item: Item) -> Attachment:
    return Attachment(post_id=item.post_id, url=item.attachment_url.strip() or item.guid.strip(),
                      parent=item.parent, menu_order=item.menu_order, title=plain(item.title),
                      caption=plain(item.excerpt),
                      alt=plain(item.meta.get("_wp_attachment_image_alt", "")))


def _entry(item: Item, shown: str) -> Entry:
    # WordPress renames a trashed post `name__trashed`, to free its name.
    name = unquote(item.post_name.strip()).removesuffix("__trashed")
    if "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or \
            name.startswith(".."):
        raise ContentError(shown, f"post {item.post_id} has the slug {name!r}, which would "
                           "leave the content folder; WordPress never writes such a slug, "
                           "so the export was altered: refusing it")
    return Entry(post_id=item.post_id, is_page=item.post_type == "page",
                 status=item.status.strip() or "draft", protected=bool(item.password),
                 name=name, title=plain(item.title), link=item.link.strip(),
                 dates=(item.post_date, item.post_date_gmt, item.pub_date))


def plan_paths(site: SiteIndex, book: SlugBook) -> None:
    """Give every entry its slug and path: published ones first, so a draft never takes
    the slug a published post had on the old site."""
    ordered = sorted(site.entries.values(), key=lambda e: e.draft_reason is not None)
    for entry in ordered:
        wanted = slugify(entry.name) if entry.name else \
            slugify(entry.title) if entry.title else f"post-{entry.post_id}"
        folder = "pages" if entry.is_page else f"{entry.date.year:04d}"
        entry.slug, entry.rel = book.claim(wanted, str(entry.post_id),
                                           lambda slug, f=folder: f"{f}/{slug}.md")
