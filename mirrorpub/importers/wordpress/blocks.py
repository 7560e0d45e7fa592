"""Block-editor posts: the `<!-- wp:… -->` comments around each block are removed, and the
blocks whose HTML alone would lose something are replaced first: embeds (a plain link),
reusable blocks (the text of the block they refer to), and blocks WordPress makes only
when a page is shown (latest posts, archives…: noted and removed).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

# WordPress's block parser's delimiter (wp-includes/class-wp-block-parser.php).
_DELIMITER = re.compile(
    r"<!--\s+(?P<closer>/)?wp:(?P<namespace>[a-z][a-z0-9_-]*/)?(?P<name>[a-z][a-z0-9_-]*)"
    r"\s+(?P<attrs>\{(?:(?:[^}]+|\}+(?=\})|(?!\}\s+/?-->).)*+)?\}\s+)?(?P<void>/)?-->",
    re.DOTALL)
_EMBED_BLOCK = re.compile(
    r"<!--\s+wp:(?P<name>embed|core-embed/[a-z0-9_-]+)\s+(?P<attrs>\{.*?\})\s+-->"
    r"(?P<inner>.*?)<!--\s+/wp:(?P=name)\s+-->", re.DOTALL)
_FIGCAPTION = re.compile(r"<figcaption[^>]*>(.*?)</figcaption>", re.DOTALL | re.IGNORECASE)
_WRAPPED_URL = re.compile(r"wp-block-embed__wrapper\">\s*(https?://[^\s<]+)")
MAX_DEPTH = 8  # reusable blocks inside reusable blocks: enough for real sites, no loops


def has_blocks(text: str) -> bool:
    return "<!-- wp:" in text


def _attributes(text: str | None) -> dict[str, object]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _embed(match: re.Match[str], note: Callable[[str, str], None]) -> str:
    attributes = _attributes(match.group("attrs"))
    url = attributes.get("url")
    if not isinstance(url, str) or not url:
        wrapped = _WRAPPED_URL.search(match.group("inner"))
        url = wrapped.group(1) if wrapped else ""
    if not url:
        return ""
    note(url, "an embed: kept as a link (copies load nothing from elsewhere)")
    safe = html.escape(url)
    caption = _FIGCAPTION.search(match.group("inner"))
    shown = f"<p><em>{caption.group(1)}</em></p>" if caption and caption.group(1).strip() else ""
    return f'<p><a href="{safe}">{safe}</a></p>{shown}'


def remove_blocks(text: str, reusable: Callable[[int], str | None],
                  note: Callable[[str, str], None], depth: int = 0) -> str:
    """The post's HTML without block comments; embeds, reusable and dynamic blocks
    replaced by what a copy can show."""
    text = _EMBED_BLOCK.sub(lambda m: _embed(m, note), text)

    def delimiter(match: re.Match[str]) -> str:
        if not match.group("void") or match.group("closer"):
            return ""
        name = (match.group("namespace") or "") + match.group("name")
        if name == "block":
            return _reusable(_attributes(match.group("attrs")).get("ref"), reusable, note,
                             depth)
        note(f"block wp:{name}", "made by WordPress when the page is shown; removed")
        return ""

    return _DELIMITER.sub(delimiter, text)


def _reusable(ref: object, reusable: Callable[[int], str | None],
              note: Callable[[str, str], None], depth: int) -> str:
    content = reusable(ref) if isinstance(ref, int) else None
    if content is None or depth >= MAX_DEPTH:
        note(f"block wp:block {ref}", "a reusable block that is not in the export: removed")
        return ""
    return remove_blocks(content, reusable, note, depth + 1)
