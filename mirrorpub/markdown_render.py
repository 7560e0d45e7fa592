"""Markdown to HTML for article bodies (Python-Markdown), and the default summary.

One Markdown instance per process, reset between articles: building it is the slow part.
Body headings are moved one level down, because the page's <h1> is the article title.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

# Bump when the markdown setup changes: cached bodies depend on it.
RENDERER_VERSION = "md-2"
_EXTENSIONS = ["extra", "sane_lists"]
_SUMMARY_CHARS = 280


_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# What each of Python-Markdown's inline patterns (with "extra") needs to match: code `,
# escapes \, links, images and footnotes [, HTML and autolinks <, entities &, emphasis * _,
# and a hard line break (two spaces at the end of a line).
_INLINE_TRIGGERS = re.compile(r"[`\\\[<&*_]|  \n")
# The same, pattern by pattern (by the names Python-Markdown registers them under).
_PATTERN_NEEDS = {"backtick": ("`",), "escape": ("\\",), "reference": ("[",), "link": ("[",),
                  "image_link": ("![",), "image_reference": ("![",), "short_reference": ("[",),
                  "short_image_ref": ("![",), "autolink": ("<",), "automail": ("<",),
                  "linebreak": ("  \n",), "html": ("<",), "entity": ("&",),
                  "em_strong": ("*", "_"), "footnote": ("[^",)}


def _demote_headings(root: ET.Element) -> None:
    """The page's <h1> is the title: the body's top heading level becomes <h2>."""
    found = [e for e in root.iter() if e.tag in _HEADINGS]
    if not found:
        return
    shift = 2 - min(int(e.tag[1]) for e in found)
    for element in found:
        element.tag = f"h{min(6, int(element.tag[1]) + shift)}"


def _lazy_images(root: ET.Element) -> None:
    for element in root.iter("img"):
        element.set("loading", "lazy")


def _make_markdown() -> Any:
    # Python-Markdown is imported here, not at module import: a build that renders no
    # article (nothing changed) never loads it.
    import markdown
    from markdown.extensions import Extension
    from markdown.treeprocessors import InlineProcessor, Treeprocessor

    class _Step(Treeprocessor):
        def __init__(self, md: markdown.Markdown, step: Callable[[ET.Element], None]) -> None:
            super().__init__(md)
            self.step = step

        def run(self, root: ET.Element) -> None:
            self.step(root)

    class _QuickInline(InlineProcessor):
        """Python-Markdown tries every inline pattern on every piece of text, and that is
        half its time. A pattern cannot match text without the characters it needs: such
        text is passed over at once, as the pattern would after trying. Same output."""

        def __init__(self, md: markdown.Markdown) -> None:
            super().__init__(md)
            self.needs = {id(md.inlinePatterns[name]): needles
                          for name, needles in _PATTERN_NEEDS.items()
                          if name in md.inlinePatterns}

        def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
            if not _INLINE_TRIGGERS.search(data):
                return data
            return super()._InlineProcessor__handleInline(data, patternIndex)

        def _InlineProcessor__applyPattern(self, pattern: Any, data: str, patternIndex: int,
                                           startIndex: int = 0) -> tuple[str, bool, int]:
            needles = self.needs.get(id(pattern))
            if needles is not None and not any(n in data for n in needles):
                return data, False, 0  # what the pattern itself answers when it finds none
            return super()._InlineProcessor__applyPattern(pattern, data, patternIndex,
                                                          startIndex)

    class _ArticleExtension(Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:
            md.treeprocessors.register(_Step(md, _demote_headings), "demote_headings", 5)
            md.treeprocessors.register(_Step(md, _lazy_images), "lazy_images", 4)
            if all(hasattr(InlineProcessor, f"_InlineProcessor__{name}")
                   for name in ("handleInline", "applyPattern")):
                md.treeprocessors.register(_QuickInline(md), "inline", 20)

    return markdown.Markdown(extensions=[*_EXTENSIONS, _ArticleExtension()],
                             output_format="html")


_md: Any = None


def to_html(text: str) -> str:
    global _md
    if _md is None:
        _md = _make_markdown()
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
