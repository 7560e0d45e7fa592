"""What a URL in an article may be, judged by what a browser does with it.

One rule, applied twice: by links.py to the HTML as the editor wrote it (to refuse with the
file and line, and to rewrite links), and by sanitize.py to the tree a browser builds from
the result (so markup the two parsers read differently cannot slip a URL past the first).

    LINK   followed only when the reader clicks: a/area href, form action, formaction, cite
    IMAGE  fetched to show a picture: img src, srcset, poster, background, input src
    LOAD   fetched by the page itself: media, frames, a ping, anything else
"""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import urlsplit


class Use(Enum):
    LINK = "link"
    IMAGE = "image"
    LOAD = "load"


_LINK_PAIRS = {("a", "href"), ("area", "href"), ("form", "action")}
_LINK_ATTRS = {"cite", "longdesc", "formaction"}  # name a page, never fetched by the page
_IMAGE_PAIRS = {("img", "src"), ("input", "src"), ("video", "poster"), ("source", "srcset")}
_IMAGE_ATTRS = {"srcset", "imagesrcset", "background", "lowsrc", "dynsrc", "poster"}
# Every attribute a browser reads as a URL, on whatever element it appears.
URL_ATTRS = frozenset({
    "href", "src", "srcset", "imagesrcset", "poster", "data", "action", "background", "cite",
    "formaction", "longdesc", "xlink:href", "ping", "lowsrc", "dynsrc", "codebase",
    "manifest", "icon",
})
# Attributes holding a comma-separated list of "URL [descriptor]".
SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})

LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "xmpp", "sms", "geo", "magnet",
                          "ipfs", "ipns", "irc", "ircs", "matrix", "signal"})
_EXTERNAL_SCHEMES = frozenset({"http", "https"})
# Pictures a data: URL may carry. Not image/svg+xml: an SVG is a document that can script.
DATA_IMAGES = frozenset({"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp",
                         "image/avif", "image/bmp", "image/x-icon",
                         "image/vnd.microsoft.icon"})
_NEVER = frozenset({"javascript", "vbscript", "file"})
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def use_of(tag: str, attr: str) -> Use | None:
    """What a browser does with this attribute's URL; None when it holds no URL."""
    if attr not in URL_ATTRS:
        return None
    if (tag, attr) in _LINK_PAIRS or attr in _LINK_ATTRS:
        return Use.LINK
    if (tag, attr) in _IMAGE_PAIRS or attr in _IMAGE_ATTRS:
        return Use.IMAGE
    return Use.LOAD


def as_browser_reads(url: str) -> str:
    """The URL a browser resolves: outer spaces and controls gone, tabs and newlines
    removed anywhere ("java\\tscript:" is "javascript:"), backslashes read as slashes."""
    return _TAB_OR_NEWLINE.sub("", url.strip(_C0_OR_SPACE)).replace("\\", "/")


def scheme_of(url: str) -> str:
    """The URL's scheme, lowercase ("" for a relative URL or a "//host/…" one)."""
    match = _SCHEME.match(as_browser_reads(url))
    return match.group(1).lower() if match else ""


def leaves_the_copy(url: str) -> bool:
    """True for a URL naming another site: any scheme but data:, or "//host/…"."""
    plain = as_browser_reads(url)
    scheme = scheme_of(plain)
    return bool(scheme and scheme != "data") or plain.startswith("//")


def srcset_urls(value: str) -> list[str]:
    """The URLs of a srcset: each candidate is "URL [descriptor]", comma-separated."""
    return [c.split()[0] for c in value.split(",") if c.strip()]


def problem(url: str, use: Use, *, allow_external: bool) -> str | None:
    """Why `url` may not stand where it is used, judged by its scheme; None when fine.
    Relative URLs are fine here: where they lead is for the caller to check."""
    plain = as_browser_reads(url)
    scheme = scheme_of(plain)
    if scheme in _NEVER:
        return f"{scheme}: URLs are not allowed in articles"
    if scheme == "data":
        return _data_problem(plain, use)
    if use is Use.LINK:
        if plain.startswith("//"):  # opens file://host/x from a copy on a USB stick
            return (f"link {url!r} leaves out the scheme; write it in full, e.g. "
                    f"https:{plain}")
        if scheme and scheme not in LINK_SCHEMES:
            return f"unknown link scheme {scheme!r}"
        return None
    if not scheme and not plain.startswith("//"):
        return None
    if allow_external:
        if scheme in _EXTERNAL_SCHEMES or not scheme:
            return None
        return f"{url!r}: only http: and https: URLs may be loaded from elsewhere"
    return (f"{url!r} would be loaded from another site; copies must load nothing from "
            "elsewhere (copy the file next to the article, or, if the whole site accepts "
            "that, set allow_external = true under [site] in mirrorpub.toml)")


def _data_problem(plain: str, use: Use) -> str | None:
    media_type = re.split("[;,]", plain[len("data:"):], maxsplit=1)[0].strip().lower()
    if use is Use.IMAGE and media_type in DATA_IMAGES:
        return None
    shown = media_type or "text/plain"
    return (f"a data: URL ({shown}) is allowed only for a picture (data:image/png, jpeg, "
            "gif, webp, avif): anything else can hold a page that runs scripts")


def root_absolute(url: str) -> bool:
    """A path from the server's root ("/x"), which leaves the copy under any prefix."""
    plain = as_browser_reads(url)
    return not scheme_of(plain) and plain.startswith("/") and not plain.startswith("//")


def path_of(url: str) -> str:
    return urlsplit(as_browser_reads(url)).path
