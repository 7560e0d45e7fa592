"""Every URL of a markdown body (links, images, reference definitions, raw HTML) through
an importer's Resolver, code left alone: what a Hugo or Jekyll post links becomes what
`mirrorpub build` accepts (local files and articles by path, nothing loaded from
elsewhere)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from mirrorpub.importers.htmlmd import Resolver, file_label, label, watch_url

_FENCE = re.compile(r"^[ \t]*(```+|~~~+)[^\n]*\n.*?^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_MASK = re.compile("\x00(\\d+)\x00")
_INLINE = re.compile(
    r"(!?)\[((?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]\(\s*(<[^>\n]*>|(?:[^\s()\\]|\\.|"
    r"\((?:[^\s()\\]|\\.)*\))*)(\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?\s*\)")
_REFERENCE = re.compile(r"^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)(.*)$", re.MULTILINE)
# An element with what is inside it (a player, a script), or a single tag; one pass, so
# nothing this module writes is read again.
_HTML = re.compile(r"<(iframe|video|audio|object|script)\b([^>]*)>(.*?)</\1\s*>"
                   r"|<(img|a|embed|source|link|iframe|script)\b([^>]*?)/?>",
                   re.IGNORECASE | re.DOTALL)
_ATTRIBUTE = re.compile(r"""\b([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_WHAT = {"iframe": "an embed", "object": "an embed", "embed": "an embed",
         "video": "a video", "audio": "an audio file"}


def _attributes(text: str) -> dict[str, str]:
    return {m.group(1).lower(): html.unescape(next(g for g in m.groups()[1:] if g is not None))
            for m in _ATTRIBUTE.finditer(text)}


def mask_code(text: str) -> tuple[str, Callable[[str], str]]:
    """`text` with code blocks and spans replaced by markers, and the function that puts
    them back."""
    kept: list[str] = []

    def keep(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    masked = _CODE_SPAN.sub(keep, _FENCE.sub(keep, text))
    return masked, lambda out: _MASK.sub(lambda m: kept[int(m.group(1))], out)


def rewrite_links(text: str, resolver: Resolver) -> str:
    masked, restore = mask_code(text)
    masked = _HTML.sub(lambda m: _element(m, resolver) if m.group(1) else _tag(m, resolver),
                       masked)
    masked = _INLINE.sub(lambda m: _inline(m, resolver), masked)
    masked = _REFERENCE.sub(lambda m: _reference(m, resolver), masked)
    return restore(masked)


def _url_of(raw: str) -> str:
    raw = raw.strip()
    return raw[1:-1] if raw.startswith("<") and raw.endswith(">") else raw


def _inline(match: re.Match[str], resolver: Resolver) -> str:
    bang, text, raw, title = match.group(1), match.group(2), _url_of(match.group(3)), \
        match.group(4) or ""
    if not raw:
        return match.group(0)
    if bang:
        local, target = resolver.image(raw)
        if local:
            return f"![{text}]({target}{title})"
        shown = text or file_label(raw)
        return f"[{shown}]({target})" if target else shown
    target = resolver.link(raw)
    return f"[{text}]({target}{title})" if target is not None else text


def _reference(match: re.Match[str], resolver: Resolver) -> str:
    target = resolver.link(_url_of(match.group(2)))
    return f"{match.group(1)}{target}{match.group(3)}" if target is not None else \
        f"{match.group(1)}#{match.group(3)}"


def _element(match: re.Match[str], resolver: Resolver) -> str:
    tag = match.group(1).lower()
    attributes = _attributes(match.group(2))
    if tag == "script":
        return _script(attributes, resolver)
    source = _attributes(match.group(3)).get("src") if "<source" in match.group(3) else None
    src = attributes.get("src") or attributes.get("data") or source or ""
    return _media_link(tag, src, resolver)


def _script(attributes: dict[str, str], resolver: Resolver) -> str:
    resolver.note(attributes.get("src", "<script>"), "a script: removed (copies run no "
                  "scripts)")
    return ""


def _media_link(tag: str, src: str, resolver: Resolver) -> str:
    if not src:
        return ""
    src = watch_url(src)
    target = resolver.link(src)
    if target is None:
        return ""
    if "://" in target:
        resolver.note(src, f"{_WHAT.get(tag, 'an embed')}: kept as a link (copies load "
                      "nothing from elsewhere)")
    shown = file_label(src) if tag in ("video", "audio") else src
    return f'<a href="{html.escape(target)}">{html.escape(shown)}</a>'


def _tag(match: re.Match[str], resolver: Resolver) -> str:
    tag = match.group(4).lower()
    attributes = _attributes(match.group(5))
    if tag == "script":
        return _script(attributes, resolver)
    if tag == "link":
        resolver.note(attributes.get("href", "<link>"), "a stylesheet or other resource of "
                      "the page: removed")
        return ""
    if tag in ("embed", "iframe"):
        return _media_link(tag, attributes.get("src", ""), resolver)
    if tag == "source":
        return ""
    if tag == "a":
        href = attributes.get("href")
        target = resolver.link(href) if href else None
        return f'<a href="{html.escape(target)}">' if target is not None else "<a>"
    src = attributes.get("src", "")
    alt = attributes.get("alt", "")
    local, target = resolver.image(src) if src else (False, None)
    if local and target is not None:
        return f'<img src="{html.escape(target)}" alt="{html.escape(alt)}" />'
    shown = html.escape(alt or label(file_label(src)))
    return f'<a href="{html.escape(target)}">{shown}</a>' if target else shown
