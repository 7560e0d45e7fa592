"""Markdown to HTML for article bodies (Python-Markdown), and the default summary.

One Markdown instance per process, reset between articles: building it is the slow part.
Body headings are moved one level down, because the page's <h1> is the article title.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

# Bump when the markdown setup or what follows it (links, sanitize) changes: cached bodies
# depend on it.
RENDERER_VERSION = "md-3"
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


def _make_markdown(*, quick: bool = True) -> Any:
    """The article renderer. `quick=False` leaves out the shortcuts below (same output,
    slower): the tests compare the two."""
    # Python-Markdown is imported here, not at module import: a build that renders no
    # article (nothing changed) never loads it.
    import markdown
    from markdown.extensions import Extension
    from markdown.treeprocessors import InlineProcessor, Treeprocessor
    from markdown.util import AtomicString

    class _Step(Treeprocessor):
        def __init__(self, md: markdown.Markdown, step: Callable[[ET.Element], None]) -> None:
            super().__init__(md)
            self.step = step

        def run(self, root: ET.Element) -> None:
            self.step(root)

    class _QuickInline(InlineProcessor):
        """Python-Markdown tries every inline pattern on every piece of text, and that is
        half its time. A pattern cannot match text without the characters it needs: such
        text is passed over at once, as the pattern would after trying (the loop below is
        upstream's, with that test added and the patterns looked up once). Same output."""

        def __init__(self, md: markdown.Markdown) -> None:
            super().__init__(md)
            self.patterns = list(md.inlinePatterns)  # in the order indexing gives
            needs = {id(md.inlinePatterns[name]): needles
                     for name, needles in _PATTERN_NEEDS.items() if name in md.inlinePatterns}
            self.pattern_needs = [needs.get(id(p)) for p in self.patterns]

        def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
            if isinstance(data, AtomicString) or not _INLINE_TRIGGERS.search(data):
                return data
            patterns, needs = self.patterns, self.pattern_needs
            start = 0
            while patternIndex < len(patterns):
                needles = needs[patternIndex]
                if needles is not None and not any(n in data for n in needles):
                    # What the pattern itself answers when it finds nothing: (data, no, 0).
                    patternIndex, start = patternIndex + 1, 0
                    continue
                data, matched, start = self._InlineProcessor__applyPattern(
                    patterns[patternIndex], data, patternIndex, start)
                if not matched:
                    patternIndex += 1
            return data

    class _ArticleExtension(Extension):
        def extendMarkdown(self, md: markdown.Markdown) -> None:
            md.treeprocessors.register(_Step(md, _demote_headings), "demote_headings", 5)
            md.treeprocessors.register(_Step(md, _lazy_images), "lazy_images", 4)
            if quick and hasattr(InlineProcessor, "_InlineProcessor__applyPattern"):
                md.treeprocessors.register(_QuickInline(md), "inline", 20)

    md = markdown.Markdown(extensions=[*_EXTENSIONS, _ArticleExtension()],
                           output_format="html")
    if quick:
        _quick_blocks(md)
    return md


# Block processors whose test (or, for those whose test always says yes, whose run)
# searches the whole block with a pattern that needs one of these strings: headings "#",
# setext underlines, quotes ">", definitions ":", tables "|", footnote, abbreviation and
# reference definitions. ~30 blocks an article meet ~15 processors each: a third of the
# block parser's time went to searches that could not match.
_TEST_NEEDS = {"hashheader": ("#",), "setextheader": ("\n=", "\n-"), "quote": (">",),
               "deflist": (":",), "table": ("|",)}
_RUN_NEEDS = {"footnote": ("[^",), "abbr": ("*[",), "reference": ("]:",)}


def _quick_blocks(md: Any) -> None:
    processors = md.parser.blockprocessors
    for name, needles in _TEST_NEEDS.items():
        if name in processors:
            processor = processors[name]
            processor.test = _test_needing(processor.test, needles)
    for name, needles in _RUN_NEEDS.items():
        if name in processors:
            processor = processors[name]
            processor.run = _run_needing(processor.run, needles)
    # Asked ~200 times per article; upstream looks the tag up in a list.
    blocks = frozenset(md.block_level_elements)
    md.is_block_level = lambda tag: isinstance(tag, str) and tag.lower().rstrip("/") in blocks


def _test_needing(test: Callable[[Any, str], bool],
                  needles: tuple[str, ...]) -> Callable[[Any, str], bool]:
    def quick_test(parent: Any, block: str) -> bool:
        return any(n in block for n in needles) and test(parent, block)
    return quick_test


def _run_needing(run: Callable[[Any, list[str]], Any],
                 needles: tuple[str, ...]) -> Callable[[Any, list[str]], Any]:
    def quick_run(parent: Any, blocks: list[str]) -> Any:
        if not any(n in blocks[0] for n in needles):
            return False  # what run answers when its pattern finds nothing
        return run(parent, blocks)
    return quick_run


@functools.cache
def _markdown() -> Any:
    """The process's one renderer (each forked worker makes its own on first use)."""
    return _make_markdown()


def to_html(text: str) -> str:
    md = _markdown()
    md.reset()
    return md.convert(text)


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
