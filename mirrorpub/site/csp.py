"""The Content-Security-Policy every page carries, as a <meta> in the theme's <head>.

The theme writes `<meta http-equiv="Content-Security-Policy" content="{{ csp }}">`; the
page renderer replaces `{{ csp }}` (MARKER) once the page is rendered, because only then
are the theme's own inline scripts known: each is allowed by its sha256, computed from the
page as rendered *without* the article body, so an override of the theme stays correct and
nothing an article brings can ever match.

What a copy loads lies under its own prefix, which the same bytes cannot name (pages are
identical on every copy). So the policy names kinds of places, not addresses:

    'self'   the page's own origin: a bucket's endpoint, an IPFS gateway. Links cannot go
             above the copy (links.py and sanitize.py refuse '/…' and '//…'), so within the
             origin only the copy's own files are ever asked for.
    file:    a copy opened from a folder or a USB stick, whose pages have no origin 'self'
             could name. A page served over http(s) can never load file: URLs anyway.
    data:    pictures only (sanitize.py refuses every other data: URL).

No external anything, unless the site sets `allow_external` (then pictures, media, frames,
styles and fonts may also come over http(s)). Never an external or injected script: scripts
are the theme's inline ones, by hash, or none; `connect-src` names only the copies a page
may ask (mirrors.html's "newer list" button).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urlsplit

MARKER = "mirrorpub-content-security-policy"
_LOCAL = ("'self'", "file:")
_EXTERNAL = ("https:", "http:")
_SCRIPT_TAG = re.compile(r"<script", re.IGNORECASE)
_IP_ADDRESS = re.compile(r"[0-9.]+|[0-9a-f:]+", re.IGNORECASE)


class _InlineScripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._text is not None:
            self.scripts.append("".join(self._text))
            self._text = None


def inline_script_hashes(page: str) -> list[str]:
    """The CSP hash source of every inline <script> of `page`, as a browser hashes it
    (after the HTML parser has turned CR LF and CR into LF)."""
    if not _SCRIPT_TAG.search(page):
        return []  # most pages: no need to parse them
    parser = _InlineScripts()
    parser.feed(page.replace("\r\n", "\n").replace("\r", "\n"))
    parser.close()
    hashes = {base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii")
              for s in parser.scripts}
    return [f"'sha256-{h}'" for h in sorted(hashes)]


def origins(urls: Iterable[str]) -> list[str]:
    """The http(s) origins of `urls` ("https://host[:port]"), sorted, each once; for a
    host name also its subdomains, since a gateway may redirect /ipfs/CID/ to
    CID.ipfs.host (a policy's paths and hosts are checked again after a redirect)."""
    found = set()
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
            continue
        netloc = parts.netloc.lower()
        found.add(f"{parts.scheme}://{netloc}")
        if "." in parts.hostname and not _IP_ADDRESS.fullmatch(parts.hostname):
            found.add(f"{parts.scheme}://*.{netloc}")
    return sorted(found)


def policy(*, scripts: Iterable[str] = (), connect: Iterable[str] = (),
           allow_external: bool = False) -> str:
    """The policy text for one page: its scripts' hash sources, the origins it may
    fetch from, and whether the site lets articles load from elsewhere."""
    loads = _LOCAL + (_EXTERNAL if allow_external else ())
    directives = [
        "default-src 'none'",
        "img-src " + " ".join((*loads, "data:")),
        "media-src " + " ".join(loads),
        "style-src " + " ".join((*loads, "'unsafe-inline'")),  # style="…" in articles
        "font-src " + " ".join(loads),
        "frame-src " + " ".join(loads),  # frames are always sandboxed: no scripts in them
    ]
    script_sources = list(scripts)
    if script_sources:
        directives.append("script-src " + " ".join(script_sources))
    connect_sources = list(connect)
    if connect_sources:
        directives.append("connect-src " + " ".join(connect_sources))
    directives.append("base-uri 'none'")
    return "; ".join(directives)
