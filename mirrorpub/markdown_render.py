"""Markdown to HTML for article bodies (Python-Markdown), and the default summary.

One Markdown instance per process, reset between articles: building it is the slow part.
Body headings are moved one level down, because the page's <h1> is the article title.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Bump when the markdown setup changes: cached bodies depend on it.
RENDERER_VERSION = "md-2"
_EXTENSIONS = ["extra", "sane_lists"]
_SUMMARY_CHARS = 280


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class _DemoteHeadings(Treeprocessor):
    """The page's <h1> is the title: the body's top heading level becomes <h2>."""

    def run(self, root: ET.Element) -> None:
        found = [e for e in root.iter() if e.tag in _HEADINGS]
        if not found:
            return
        shift = 2 - min(int(e.tag[1]) for e in found)
        for element in found:
            element.tag = f"h{min(6, int(element.tag[1]) + shift)}"


class _LazyImages(Treeprocessor):
    def run(self, root: ET.Element) -> None:
        for element in root.iter("img"):
            element.set("loading", "lazy")


class _ArticleExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_DemoteHeadings(md), "demote_headings", 5)
        md.treeprocessors.register(_LazyImages(md), "lazy_images", 4)


_md: markdown.Markdown | None = None


def to_html(text: str) -> str:
    global _md
    if _md is None:
        _md = markdown.Markdown(extensions=[*_EXTENSIONS, _ArticleExtension()],
                                output_format="html")
    _md.reset()
    return _md.convert(text)


_FIRST_P = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def first_paragraph(body_html: str) -> str:
    """Plain text of the first paragraph, cut at a word near _SUMMARY_CHARS."""
    match = _FIRST_P.search(body_html)
    if not match:
        return ""
    text = " ".join(html.unescape(_TAG.sub("", match.group(1))).split())
    if len(text) <= _SUMMARY_CHARS:
        return text
    cut = text[:_SUMMARY_CHARS].rsplit(" ", 1)[0]
    return cut + "…"
