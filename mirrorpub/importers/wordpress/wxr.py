"""Read a WordPress export (WXR 1.0–1.2, RSS with the `wp:` namespace) as a stream of
items, in bounded memory, refusing hostile XML.

defusedxml's parser refuses entity declarations (the "billion laughs" bomb) and external
entities or DTDs (reading local files, the network) before they are expanded; iterparse
hands over one <item> at a time, and each is dropped from the tree once read, so a
50,000-post export never sits in memory whole. Both namespaces real exports use are read
as one: `http://wordpress.org/export/1.2/` and WordPress.com's `https://…`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from mirrorpub.errors import ContentError

_WP = re.compile(r"^https?://wordpress\.org/export/1\.\d/(excerpt/)?$")
_KNOWN = {"http://purl.org/rss/1.0/modules/content/": "content",
          "http://purl.org/dc/elements/1.1/": "dc",
          "http://wellformedweb.org/CommentAPI/": "wfw"}


@dataclass(slots=True)
class Item:
    post_id: int = 0
    post_type: str = ""
    status: str = ""
    title: str = ""
    link: str = ""
    guid: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    post_date: str = ""
    post_date_gmt: str = ""
    modified: str = ""
    modified_gmt: str = ""
    pub_date: str = ""
    post_name: str = ""
    parent: int = 0
    menu_order: int = 0
    password: str = ""
    sticky: bool = False
    attachment_url: str = ""
    terms: list[tuple[str, str, str]] = field(default_factory=list)  # domain, nicename, name
    meta: dict[str, str] = field(default_factory=dict)
    comments: int = 0


@dataclass
class Channel:
    title: str = ""
    link: str = ""
    base_site_url: str = ""
    base_blog_url: str = ""
    language: str = ""
    wxr_version: str = ""
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name


class _Names:
    """`{namespace}local` -> `prefix:local`, both WordPress namespaces as one."""

    def __init__(self) -> None:
        self.cache: dict[str, str] = {}

    def __call__(self, tag: str) -> str:
        name = self.cache.get(tag)
        if name is None:
            name = self.cache[tag] = self._name(tag)
        return name

    @staticmethod
    def _name(tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        uri, _, local = tag[1:].partition("}")
        wp = _WP.match(uri)
        if wp:
            return f"{'excerpt' if wp.group(1) else 'wp'}:{local}"
        return f"{_KNOWN.get(uri, uri)}:{local}"


def _number(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() else 0


_TEXT_FIELDS = {"title": "title", "link": "link", "guid": "guid", "dc:creator": "creator",
                "content:encoded": "content", "excerpt:encoded": "excerpt",
                "wp:post_date": "post_date", "wp:post_date_gmt": "post_date_gmt",
                "wp:post_modified": "modified", "wp:post_modified_gmt": "modified_gmt",
                "pubDate": "pub_date", "wp:post_name": "post_name", "wp:status": "status",
                "wp:post_type": "post_type", "wp:post_password": "password",
                "wp:attachment_url": "attachment_url"}


def _item(element: Any, name: _Names) -> Item:
    item = Item()
    for child in element:
        tag = name(child.tag)
        text = child.text or ""
        attribute = _TEXT_FIELDS.get(tag)
        if attribute is not None:
            setattr(item, attribute, text)
        elif tag == "wp:post_id":
            item.post_id = _number(text)
        elif tag == "wp:post_parent":
            item.parent = _number(text)
        elif tag == "wp:menu_order":
            item.menu_order = _number(text)
        elif tag == "wp:is_sticky":
            item.sticky = text.strip() == "1"
        elif tag == "category":
            item.terms.append((child.get("domain", ""), child.get("nicename", ""), text))
        elif tag == "wp:postmeta":
            values = {name(c.tag): c.text or "" for c in child}
            item.meta[values.get("wp:meta_key", "")] = values.get("wp:meta_value", "")
        elif tag == "wp:comment":
            item.comments += 1
    return item


_CHANNEL_FIELDS = {"title": "title", "link": "link", "language": "language",
                   "wp:base_site_url": "base_site_url", "wp:base_blog_url": "base_blog_url",
                   "wp:wxr_version": "wxr_version"}


def _channel_field(channel: Channel, element: Any, tag: str, name: _Names) -> None:
    attribute = _CHANNEL_FIELDS.get(tag)
    if attribute is not None:
        setattr(channel, attribute, (element.text or "").strip())
    elif tag == "wp:author":
        values = {name(c.tag): (c.text or "").strip() for c in element}
        login = values.get("wp:author_login", "")
        if login:
            channel.authors[login] = values.get("wp:author_display_name") or login


class _Parser(SafeET.DefusedXMLParser):
    """defusedxml's parser, refusing also a DOCTYPE that names an external DTD (expat
    would not fetch it, but no WordPress export has one: the file was made to attack)."""

    def __init__(self) -> None:
        super().__init__(target=ET.TreeBuilder(), forbid_dtd=False, forbid_entities=True,
                         forbid_external=True)
        self.parser.StartDoctypeDeclHandler = self._refuse_external_dtd

    @staticmethod
    def _refuse_external_dtd(name: str, sysid: str | None, pubid: str | None,
                             internal: bool) -> None:
        if sysid or pubid:
            raise defusedxml.DTDForbidden(name, sysid, pubid)


class WxrReader:
    """One pass over the export: `items()` yields each <item>; `channel` fills in as the
    elements before the items are read. Every XML problem is a ContentError naming the
    file (and line)."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        self.channel = Channel()

    def items(self) -> Iterator[Item]:
        try:
            yield from self._items()
        except SafeET.ParseError as exc:
            line = exc.position[0] if exc.position else None
            message = str(exc).split(":", 1)[0]
            raise ContentError(self.shown, f"is not well-formed XML ({message}); is the "
                               "export complete and saved as it was downloaded?",
                               line) from None
        except defusedxml.EntitiesForbidden:
            raise ContentError(self.shown, "declares XML entities (<!ENTITY …>), which a "
                               "WordPress export never does; refusing it (an entity bomb "
                               "or an external entity can exhaust memory or read local "
                               "files)") from None
        except (defusedxml.ExternalReferenceForbidden, defusedxml.DTDForbidden):
            raise ContentError(self.shown, "refers to an external DTD or entity, which a "
                               "WordPress export never does; refusing it") from None
        except (LookupError, UnicodeError) as exc:  # an encoding Python does not know
            raise ContentError(self.shown, f"cannot be decoded ({exc}); save the export "
                               "as UTF-8, as WordPress writes it") from None
        except OSError as exc:
            raise ContentError(self.shown, f"cannot be read: {exc.strerror}") from None
        if not self.channel.wxr_version:
            raise ContentError(self.shown, "is not a WordPress export (no <wp:wxr_version>; "
                               "make one with Tools → Export in WordPress)")

    def _items(self) -> Iterator[Item]:
        name = _Names()
        parser = _Parser()
        depth = 0
        channel_element = None
        for event, element in SafeET.iterparse(str(self.path), events=("start", "end"),
                                               parser=parser):
            if event == "start":
                depth += 1
                if depth == 2:
                    channel_element = element
                continue
            depth -= 1
            if depth != 2 or channel_element is None:
                continue
            tag = name(element.tag)
            if tag == "item":
                yield _item(element, name)
            else:
                _channel_field(self.channel, element, tag, name)
            channel_element.remove(element)
