"""WordPress shortcodes to HTML the converter understands, before WordPress's own
paragraphs are made (wpautop), as WordPress itself does.

    [caption]<img …> Text[/caption]     a figure with its caption
    [gallery ids="1,2"] (or the post's attached images)   a list of images
    [embed]URL[/embed], [youtube …], [vimeo …], [tweet …]  a plain link (noted)
    [audio]/[video]/[playlist]          links to the files (copied when they are uploads)
    [code]/[sourcecode]                 a code block
    [[name]]                            the literal text [name], as WordPress shows it
    anything else that reads as a shortcode: removed, the text inside kept, noted

Unknown names count as shortcodes only where the text leaves no doubt (attributes with
`=`, a closing tag, `/]`, or a plugin-like name with `-` or `_`): "[sic]" stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from mirrorpub.importers.shortcodes import wordpress_attributes

_NAME = re.compile(r"\[\[?/?([A-Za-z0-9_][\w-]*)")
_CAPTION_SPLIT = re.compile(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)",
                            re.IGNORECASE | re.DOTALL)
_MEDIA_KEYS = ("src", "mp3", "m4a", "ogg", "wav", "wma", "mp4", "m4v", "webm", "ogv", "wmv",
               "flv", "mov")
_EMBEDS = {"youtube": "https://www.youtube.com/watch?v={}", "vimeo": "https://vimeo.com/{}",
           "dailymotion": "https://www.dailymotion.com/video/{}", "tweet": "{}",
           "twitter": "{}", "instagram": "{}", "soundcloud": "{}", "spotify": "{}",
           "googlemaps": "{}", "slideshare": "{}", "scribd": "{}", "ted": "{}",
           "flickr": "{}", "facebook": "{}", "wpvideo": "https://videopress.com/v/{}"}
_CODE = ("code", "sourcecode", "source")


@dataclass(frozen=True)
class GalleryImage:
    url: str
    alt: str
    caption: str


@dataclass
class ShortcodeContext:
    """What the handlers need from the rest of the import, for one post."""

    gallery: Callable[[list[int] | None], list[GalleryImage]]  # by ids, or the post's own
    media_url: Callable[[int], str | None]  # an attachment's file URL by its ID
    note: Callable[[str, str], None]


def _regex(names: list[str]) -> re.Pattern[str]:
    """WordPress's get_shortcode_regex() for these names."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(
        r"\[(\[?)(" + alternatives + r")(?![\w-])([^\]\/]*(?:\/(?!\])[^\]\/]*)*?)"
        r"(?:(\/)\]|\](?:([^\[]*+(?:\[(?!\/\2\])[^\[]*+)*+)\[\/\2\])?)(\]?)")


def _looks_like_shortcode(name: str, text: str) -> bool:
    escaped = re.escape(name)
    return bool(re.search(rf"\[/{escaped}\]", text)
                or re.search(rf"\[{escaped}(?![\w-])[^\]]*(=|/\])", text)
                or (("-" in name or "_" in name) and f"[{name}]" in text))


def expand(text: str, context: ShortcodeContext) -> str:
    if "[" not in text:
        return text
    names = sorted({n for n in _NAME.findall(text)
                    if n.lower() in _HANDLERS or _looks_like_shortcode(n, text)})
    if not names:
        return text
    return _regex(names).sub(lambda m: _one(m, context), text)


def _one(match: re.Match[str], context: ShortcodeContext) -> str:
    if match.group(1) == "[" and match.group(6) == "]":
        return match.group(0)[1:-1]  # [[name]]: the literal shortcode text
    name = match.group(2).lower()
    attributes, positional = wordpress_attributes(match.group(3))
    inner = match.group(5) or ""
    handler = _HANDLERS.get(name)
    if handler is None:
        context.note(f"[{match.group(2)}]", "unknown shortcode: removed"
                     + (" (the text inside it kept)" if inner.strip() else ""))
        return expand(inner, context)
    return handler(attributes, positional, inner, context)


def _caption(attributes: dict[str, str], positional: list[str], inner: str,
             context: ShortcodeContext) -> str:
    inner = expand(inner, context)
    caption = attributes.get("caption", "")
    split = _CAPTION_SPLIT.search(inner)
    if split:
        inner, rest = split.group(1), split.group(2).strip()
        caption = caption or rest
    figcaption = f"<figcaption>{caption}</figcaption>" if caption.strip() else ""
    return f"<figure>{inner.strip()}{figcaption}</figure>"


def _gallery(attributes: dict[str, str], positional: list[str], inner: str,
             context: ShortcodeContext) -> str:
    ids = attributes.get("ids") or attributes.get("include")
    wanted = [int(i) for i in re.findall(r"\d+", ids)] if ids else None
    images = context.gallery(wanted)
    if not images:
        context.note("[gallery]", "no images of this gallery are in the export: removed")
        return ""
    items = "".join(
        f'<li><img src="{html.escape(i.url)}" alt="{html.escape(i.alt)}" />'
        f"{' ' + i.caption if i.caption.strip() else ''}</li>" for i in images)
    return f"<ul>{items}</ul>"


def _embed(attributes: dict[str, str], positional: list[str], inner: str,
           context: ShortcodeContext) -> str:
    url = (inner or attributes.get("src") or attributes.get("url") or
           (positional[0] if positional else "")).strip()
    return _link(url, context) if url else ""


def _link(url: str, context: ShortcodeContext) -> str:
    url = html.unescape(url.lstrip("="))
    context.note(url, "an embed: kept as a link (copies load nothing from elsewhere)")
    safe = html.escape(url)
    return f'<p><a href="{safe}">{safe}</a></p>'


def _named_embed(template: str) -> Callable[..., str]:
    def handler(attributes: dict[str, str], positional: list[str], inner: str,
                context: ShortcodeContext) -> str:
        value = (attributes.get("url") or attributes.get("id") or attributes.get("src")
                 or (positional[0] if positional else "") or inner).strip().lstrip("=")
        if not value:
            return ""
        return _link(value if "://" in value else template.format(value), context)

    return handler


def _media(tag: str) -> Callable[..., str]:
    def handler(attributes: dict[str, str], positional: list[str], inner: str,
                context: ShortcodeContext) -> str:
        src = next((attributes[k] for k in _MEDIA_KEYS if attributes.get(k)), "")
        if not src and inner.strip().startswith("http"):
            src = inner.strip()
        return f'<{tag} src="{html.escape(src)}"></{tag}>' if src else ""

    return handler


def _playlist(attributes: dict[str, str], positional: list[str], inner: str,
              context: ShortcodeContext) -> str:
    ids = [int(i) for i in re.findall(r"\d+", attributes.get("ids", ""))]
    urls = [u for u in (context.media_url(i) for i in ids) if u]
    if not urls:
        context.note("[playlist]", "no files of this playlist are in the export: removed")
        return ""
    items = "".join(f'<li><a href="{html.escape(u)}">{html.escape(u.rsplit("/", 1)[-1])}</a>'
                    "</li>" for u in urls)
    return f"<ul>{items}</ul>"


def _code(attributes: dict[str, str], positional: list[str], inner: str,
          context: ShortcodeContext) -> str:
    language = attributes.get("lang") or attributes.get("language") or ""
    kind = f' class="language-{html.escape(language)}"' if language else ""
    code = html.escape(html.unescape(inner.strip("\n")), quote=False)
    return f"<pre><code{kind}>{code}</code></pre>"


_HANDLERS: dict[str, Callable[..., str]] = {
    "caption": _caption, "wp_caption": _caption, "gallery": _gallery, "embed": _embed,
    "audio": _media("audio"), "video": _media("video"), "playlist": _playlist,
    **{name: _named_embed(template) for name, template in _EMBEDS.items()},
    **dict.fromkeys(_CODE, _code),
}
