"""Rewrite and check every URL in an article's HTML (markdown output and raw HTML alike).

Links to other articles by file (`other.md`) become relative links to the built page,
links to files beside the article become relative links to the copied file, and
anything that would break a mirror is refused with the article's file and line:
root-absolute paths, folders, missing files, paths leaving content/, and (unless the
editor sets `allow_external`) resources loaded from other sites (SPEC §6.2).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlsplit

# (tag, attribute) pairs that only link; every other URL attribute loads a resource.
_NAVIGATION = {("a", "href"), ("area", "href"), ("form", "action")}
_NAVIGATION_ATTRS = {"cite", "longdesc"}  # name a page, never fetched by a browser
_URL_ATTRS = {
    "href", "src", "srcset", "poster", "data", "action", "background", "cite", "formaction",
    "longdesc", "xlink:href",
}
_FORBIDDEN_TAGS = {"base": "a <base> tag changes every relative link and breaks mirrors",
                   "script": "scripts are not allowed in articles (pages must work without "
                             "JavaScript, and a script can load from elsewhere)"}
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)|@import\s+['\"]([^'\"]+)", re.IGNORECASE)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\(.)", re.DOTALL)
_CSS_STRING_URL = re.compile(r"""["']\s*((?:https?|ftp):[^"']*|//[^"']*)""", re.IGNORECASE)
_SAFE_SCHEMES = {"http", "https", "mailto", "tel", "xmpp", "sms", "geo", "magnet", "ipfs",
                 "ipns", "irc", "ircs", "matrix", "signal"}


class LinkProblem(Exception):
    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(message)


@dataclass(frozen=True)
class LinkContext:
    source_dir: str  # the article's folder, relative to content/ ("" for the top)
    page_path: str  # the built page's path in the site
    # content-relative path -> site path, or None when there is no such file or article
    resolve: Callable[[str], str | None]
    is_folder: Callable[[str], bool]
    allow_external: bool


def rewrite(body_html: str, context: LinkContext) -> tuple[str, tuple[str, ...]]:
    """Return (rewritten html, content-relative paths of every linked article/file)."""
    parser = _Rewriter(context)
    tags = simple_tags(body_html)
    if tags is None:
        parser.feed(body_html)
        parser.close()
    else:
        for match in tags:
            parser.simple_tag(match)
    return parser.result(body_html), tuple(sorted(parser.targets))


# Python-Markdown writes every tag as <name attr="value" …> with the value escaped; when
# every "<" of a page starts such a tag, the tags can be read with two regular expressions,
# and the page needs no HTMLParser (a sixth of rendering an article). Anything else (raw
# HTML with comments, single quotes, bare values; elements whose content is not HTML)
# goes to the parser, which reads it as a browser would.
_SIMPLE_TAG = re.compile(
    r'<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"<>]*")?)*)\s*(/?)>')
_SIMPLE_ATTR = re.compile(r'\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"<>]*)")?')
_RAW_TEXT = re.compile(r"<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript"
                       r"|plaintext)(?![a-zA-Z0-9])", re.IGNORECASE)
# The start tags the checks look at: those with attributes, and <base> even without.
_CHECKED = re.compile(r"<[a-zA-Z][a-zA-Z0-9]*\s|<base(?![a-zA-Z0-9])", re.IGNORECASE)


def simple_tags(body_html: str) -> list[re.Match[str]] | None:
    """The start tags the checks need to see, when every tag of `body_html` is plain (no
    "<" is left once they are taken out: none holds a "<" of its own); else None."""
    if "<" in _SIMPLE_TAG.sub("", body_html) or _RAW_TEXT.search(body_html):
        return None
    return [_SIMPLE_TAG.match(body_html, m.start())  # type: ignore[misc]
            for m in _CHECKED.finditer(body_html)]


class _Rewriter(HTMLParser):
    def __init__(self, context: LinkContext) -> None:
        super().__init__(convert_charrefs=True)
        self.context = context
        self.replacements: list[tuple[int, int, str]] = []
        self.targets: set[str] = set()
        self._line_starts: list[int] = []
        self._in_style = False

    def feed(self, data: str) -> None:
        starts, offset = [0], 0
        for line in data.splitlines(keepends=True):
            offset += len(line)
            starts.append(offset)
        self._line_starts = starts
        super().feed(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._check_css(data)

    def simple_tag(self, match: re.Match[str]) -> None:
        """A tag `simple_tags` found, read as HTMLParser would have read it."""
        if match.group(1):
            return  # an end tag: only </style> matters, and <style> is never simple
        attrs = [(m.group(1).lower(), None if m.group(2) is None else html.unescape(m.group(2)))
                 for m in _SIMPLE_ATTR.finditer(match.group(3))]
        self._start(match.group(2).lower(), attrs, (match.start(), match.group(0)))

    def _start(self, tag: str, attrs: list[tuple[str, str | None]],
               where: tuple[int, str] | None = None) -> None:
        if tag in _FORBIDDEN_TAGS and not self.context.allow_external:
            raise LinkProblem(f"<{tag}", _FORBIDDEN_TAGS[tag])
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            raise LinkProblem("<meta http-equiv", "a <meta http-equiv> tag can redirect "
                              "readers away from the copy; remove it")
        if not self.context.allow_external:
            _check_embedded(tag, attrs)
        if tag == "style":
            self._in_style = True
        changed = False
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            new_value = value
            if value is not None and name == "style":
                self._check_css(value)
            elif value is not None and name == "srcset":
                new_value = self._srcset(value)
            elif value is not None and name in _URL_ATTRS:
                new_value = self._url(value, navigation=(tag, name) in _NAVIGATION
                                     or name in _NAVIGATION_ATTRS)
            changed = changed or new_value != value
            new_attrs.append((name, new_value))
        if changed:
            self._replace(tag, new_attrs, where or self._parsed_tag())

    def _parsed_tag(self) -> tuple[int, str]:
        """Where the tag HTMLParser is on starts in the page, and its text."""
        line, column = self.getpos()
        return self._line_starts[line - 1] + column, self.get_starttag_text() or ""

    def _replace(self, tag: str, attrs: list[tuple[str, str | None]],
                 where: tuple[int, str]) -> None:
        start, original = where
        parts = [f"<{tag}"]
        for name, value in attrs:
            parts.append(f" {name}" if value is None else f' {name}="{html.escape(value)}"')
        parts.append(" />" if original.endswith("/>") else ">")
        self.replacements.append((start, start + len(original), "".join(parts)))

    def result(self, source: str) -> str:
        out, last = [], 0
        for start, end, text in sorted(self.replacements):
            out.append(source[last:start])
            out.append(text)
            last = end
        out.append(source[last:])
        return "".join(out)

    def _srcset(self, value: str) -> str:
        items = []
        for candidate in value.split(","):
            parts = candidate.strip().split(None, 1)
            if not parts:
                continue
            url = self._url(parts[0], navigation=False)
            items.append(" ".join([url, *parts[1:]]))
        return ", ".join(items)

    def _check_css(self, css: str) -> None:
        # Read it as a browser would: `\\68 ttps:` is "https:", and inside <svg> even a
        # <style> resolves "&#104;". Quoted URLs load too: image-set("https://…").
        plain = decoded(css)
        urls = [m.group(1) or m.group(2) for m in _CSS_URL.finditer(plain)]
        urls += [m.group(1) for m in _CSS_STRING_URL.finditer(plain)]
        for url in urls:
            if _is_external(url) and not self.context.allow_external:
                raise LinkProblem(url, f"style loads {url!r} from another site; copies must "
                                  "load nothing from elsewhere")

    def _url(self, url: str, *, navigation: bool) -> str:
        stripped = url.strip()
        parts = urlsplit(stripped)
        if parts.scheme or stripped.startswith("//"):
            return self._external(stripped, parts.scheme.lower(), navigation)
        if not parts.path:
            return url  # "#section" or "?q": stays on this page
        if parts.path.startswith("/"):
            raise LinkProblem(url, f"link {url!r} starts with '/', which breaks under a mirror's "
                              "prefix; link relative to the article instead")
        target = self._target(url, unquote(parts.path))
        relative = _relative(target, posixpath.dirname(self.context.page_path))
        suffix = (f"?{parts.query}" if parts.query else "") + \
                 (f"#{parts.fragment}" if parts.fragment else "")
        return quote(relative, safe="/-._~") + suffix

    def _external(self, url: str, scheme: str, navigation: bool) -> str:
        if scheme == "data" and not navigation:
            return url  # inline data loads nothing from elsewhere
        if scheme in ("javascript", "vbscript", "file", "data"):
            raise LinkProblem(url, f"{scheme}: URLs are not allowed in articles")
        if navigation:
            if not scheme:  # "//host/x" opens file://host/x from a copy on a USB stick
                raise LinkProblem(url, f"link {url!r} leaves out the scheme; write it in "
                                  f"full, e.g. https:{url}")
            if scheme not in _SAFE_SCHEMES:
                raise LinkProblem(url, f"unknown link scheme {scheme!r}")
            return url
        if self.context.allow_external:
            return url
        raise LinkProblem(url, f"{url!r} would be loaded from another site; copies must load "
                          "nothing from elsewhere (copy the file next to the article, or set "
                          "'allow_external: true' in the front matter if you must)")

    def _target(self, url: str, path: str) -> str:
        joined = posixpath.normpath(posixpath.join(self.context.source_dir, path))
        if joined == ".." or joined.startswith("../"):
            raise LinkProblem(url, f"link {url!r} points outside content/")
        if path.endswith("/") or self.context.is_folder(joined):
            raise LinkProblem(url, f"link {url!r} names a folder; link to a file in it")
        target = self.context.resolve(joined)
        if target is None:
            what = "article" if joined.endswith(".md") else "file"
            raise LinkProblem(url, f"link {url!r}: no such {what} content/{joined}")
        self.targets.add(joined)
        return target


def _relative(target: str, folder: str) -> str:
    """posixpath.relpath for two clean site paths, without its trips to os.getcwd()."""
    to, start = target.split("/"), folder.split("/") if folder else []
    common = 0
    while common < min(len(to), len(start)) and to[common] == start[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + to[common:]) or "."


def _check_embedded(tag: str, attrs: list[tuple[str, str | None]]) -> None:
    """Loads a URL attribute cannot show: a page inside srcdoc, an SVG animation of href."""
    if any(name == "srcdoc" for name, _ in attrs):
        raise LinkProblem("srcdoc", "an iframe's srcdoc is a page of its own that can load "
                          "from elsewhere; put that page next to the article instead")
    animated = {(v or "").lower() for k, v in attrs if k == "attributename"}
    if tag in ("set", "animate") and animated & {"href", "xlink:href", "src"}:
        raise LinkProblem(f"<{tag}", f"an SVG <{tag}> that changes a link can load from "
                          "elsewhere; remove it")


def decoded(text: str) -> str:
    """Text as a browser reads it: HTML character references and CSS escapes resolved."""
    return _CSS_ESCAPE.sub(_css_char, html.unescape(text))


def _css_char(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        return match.group(2)
    code = int(match.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.scheme and parts.scheme.lower() != "data") or url.strip().startswith("//")
