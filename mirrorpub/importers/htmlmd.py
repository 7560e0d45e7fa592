"""HTML (a WordPress body, a Hugo or Jekyll page written in HTML) to the markdown mirrorpub
renders, with every URL decided by the importer's `Resolver`.

markdownify does the converting; this subclass makes its output safe for Python-Markdown
(text that would read as markup is escaped, nested lists are indented by four spaces),
keeps images only when they are local files, and turns what a copy cannot load (frames,
embeds, scripts, remote images and media) into plain links or removes it, saying so.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from markdownify import MarkdownConverter, chomp

_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINK_CLOSE = re.compile(r"\](?=[(\[:])")
_LINE_MARKER = re.compile(r"(^|\n)([ \t]*)([-+*]|#{1,6}|>|\d{1,9}[.)])(?=[ \t]|$)")
_LANGUAGE = re.compile(r"(?:^|\s)(?:language|lang)[-:]([\w+#-]+)|brush:\s*([\w+#-]+)")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACE_ONLY_LINE = re.compile(r"\n[ \t]+\n")
_YOUTUBE_EMBED = re.compile(r"^(?:www\.)?youtube(?:-nocookie)?\.com$")


class Resolver(Protocol):
    """Decides, for one article, what each URL of its body becomes."""

    def link(self, url: str) -> str | None:
        """The markdown destination for a link to `url`; None: keep only the text."""

    def image(self, url: str) -> tuple[bool, str | None]:
        """(True, local destination) for a file that is copied next to the article;
        else (False, a destination to link to instead, or None: nothing to link)."""

    def note(self, what: str, why: str) -> None:
        """Report something that could not be carried over."""


def label(text: str) -> str:
    """Text safe inside a markdown link's or image's brackets."""
    return " ".join(text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").split())


def file_label(url: str) -> str:
    name = posixpath.basename(unquote(urlsplit(url).path.rstrip("/")))
    return label(name or url)


def watch_url(url: str) -> str:
    """A YouTube player URL (…/embed/ID) as the page a reader can open."""
    parts = urlsplit(url)
    if _YOUTUBE_EMBED.match(parts.hostname or "") and parts.path.startswith("/embed/"):
        return f"https://www.youtube.com/watch?v={parts.path.split('/')[2]}"
    return url


class _Converter(MarkdownConverter):
    def __init__(self, resolver: Resolver) -> None:
        super().__init__(heading_style="atx", bullets="-", autolinks=False,
                         escape_misc=False, keep_inline_images_in=["td", "th"],
                         sup_symbol="<sup>", sub_symbol="<sub>",
                         code_language_callback=_code_language)
        self.resolver = resolver

    def escape(self, text: str, parent_tags: Any) -> str:
        text = text.replace("\\", "\\\\").replace("`", "\\`").replace("{", "\\{")
        text = super().escape(text, parent_tags)
        text = _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;")
        text = _LINK_CLOSE.sub("\\\\]", text).replace("[^", "\\[^")
        return _LINE_MARKER.sub(lambda m: f"{m.group(1)}{m.group(2)}\\{m.group(3)}", text)

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        if "_noformat" in parent_tags:
            return text
        prefix, suffix, text = chomp(text)
        if not text:
            return ""
        href = (el.get("href") or "").strip()
        target = self.resolver.link(href) if href else None
        if target is None:
            return f"{prefix}{text}{suffix}"
        return f"{prefix}[{text}]({target}){suffix}"

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        src = (el.get("src") or el.get("data-src") or "").strip()
        alt = label(el.get("alt") or "")
        if not src or ("_inline" in parent_tags and el.parent.name not in ("td", "th")):
            return alt
        local, target = self.resolver.image(src)
        if local:
            return f"![{alt}]({target})"
        inside_link = el.find_parent("a") is not None
        shown = alt or file_label(src)
        return shown if inside_link or target is None else f"[{shown}]({target})"

    def convert_figure(self, el: Any, text: str, parent_tags: Any) -> str:
        if "_inline" in parent_tags:
            return f" {text.strip()} "
        text = text.strip()
        return f"\n\n{text}\n\n" if text else ""

    def convert_figcaption(self, el: Any, text: str, parent_tags: Any) -> str:
        text = text.strip()
        if not text:
            return ""
        shown = text if "*" in text or "\n" in text else f"*{text}*"
        return f"\n\n{shown}\n\n"

    def _media(self, el: Any, src: str, what: str) -> str:
        if not src:
            return ""
        src = watch_url(src.strip())
        target = self.resolver.link(src)
        if target is None:
            return ""
        self.resolver.note(src, f"{what}: kept as a link (copies load nothing from "
                           "elsewhere)") if "://" in target else None
        return f"\n\n[{file_label(src) if what != 'an embed' else label(src)}]({target})\n\n"

    def convert_iframe(self, el: Any, text: str, parent_tags: Any) -> str:
        return self._media(el, el.get("src") or el.get("data-src") or "", "an embed")

    def convert_embed(self, el: Any, text: str, parent_tags: Any) -> str:
        return self._media(el, el.get("src") or "", "an embed")

    def convert_object(self, el: Any, text: str, parent_tags: Any) -> str:
        return self._media(el, el.get("data") or "", "an embed")

    def convert_video(self, el: Any, text: str, parent_tags: Any) -> str:
        return self._media(el, _media_source(el), "a video")

    def convert_audio(self, el: Any, text: str, parent_tags: Any) -> str:
        return self._media(el, _media_source(el), "an audio file")

    def convert_source(self, el: Any, text: str, parent_tags: Any) -> str:
        return ""  # read by its <video> or <audio>

    def convert_script(self, el: Any, text: str, parent_tags: Any) -> str:
        self.resolver.note(el.get("src") or "<script>", "a script: removed (copies run no "
                           "scripts)")
        return ""

    def convert_noscript(self, el: Any, text: str, parent_tags: Any) -> str:
        return ""

    def convert_del(self, el: Any, text: str, parent_tags: Any) -> str:
        # Python-Markdown has no ~~strike~~: the tag itself says it.
        prefix, suffix, text = chomp(text)
        return f"{prefix}<del>{text}</del>{suffix}" if text else ""

    convert_s = convert_del
    convert_strike = convert_del

    def convert_li(self, el: Any, text: str, parent_tags: Any) -> str:
        # Python-Markdown reads a list item's further lines (a nested list, a second
        # paragraph) only when they are indented by four spaces, whatever the bullet.
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            first = int(start) if start and str(start).isdigit() else 1
            bullet = f"{first + len(el.find_previous_siblings('li'))}."
        else:
            bullet = "-"
        lines = text.split("\n")
        rest = [f"    {line}" if line.strip() else "" for line in lines[1:]]
        return "\n".join([f"{bullet} {lines[0]}", *rest]) + "\n"


def _media_source(el: Any) -> str:
    if el.get("src"):
        return str(el.get("src"))
    source = el.find("source", attrs={"src": True})
    return str(source.get("src")) if source is not None else ""


def _code_language(el: Any) -> str:
    classes = " ".join(el.get("class") or [])
    code = el.find("code")
    if code is not None:
        classes += " " + " ".join(code.get("class") or [])
    match = _LANGUAGE.search(classes)
    return (match.group(1) or match.group(2)) if match else ""


def to_markdown(html: str, resolver: Resolver) -> str:
    text = _Converter(resolver).convert(html)
    text = _SPACE_ONLY_LINE.sub("\n\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


def query_id(url: str, *keys: str) -> int | None:
    """The number in `?p=12` (or another of `keys`) of a URL, if any."""
    values = parse_qs(urlsplit(url).query)
    for key in keys:
        for value in values.get(key, []):
            if value.isdigit():
                return int(value)
    return None
