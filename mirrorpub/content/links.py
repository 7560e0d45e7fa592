"""Rewrite and check every URL in an article's HTML (markdown output and raw HTML alike).

Links to other articles by file (`other.md`) become relative links to the built page,
links to files beside the article become relative links to the copied file, and
anything that would break a mirror is refused with the article's file and line:
root-absolute paths, folders, missing files, paths leaving content/, and (unless the
site sets `allow_external`) resources loaded from other sites (SPEC §6.2). What can run a
script is refused whatever the settings: <script>, event handlers (`onload=`), javascript:
URLs, data: URLs other than pictures, inline SVG, plugins, <base>. What the URLs may be is
urlpolicy.py's rule; sanitize.py applies it again to the tree a browser builds.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlsplit

from mirrorpub.content.urlpolicy import (
    SRCSET_ATTRS,
    Use,
    as_browser_reads,
    leaves_the_copy,
    problem,
    scheme_of,
    use_of,
)
from mirrorpub.layout import relative_to

_FORBIDDEN_TAGS = {
    "base": "a <base> tag changes every relative link and breaks mirrors",
    "script": "scripts are not allowed in articles (pages must work without JavaScript, "
              "and a script can load from elsewhere)",
    "svg": "inline <svg> is not allowed in articles (SVG markup can run scripts); save it "
           "as a .svg file next to the article and show it as a picture: ![what](chart.svg)",
    "math": "inline <math> (MathML) is not allowed in articles; write the formula as text "
            "or show it as a picture",
    "object": "an <object> runs a plugin or a page with the article's rights; link to the "
              "file instead",
    "embed": "an <embed> runs a plugin with the article's rights; link to the file instead",
    "applet": "an <applet> runs a plugin; link to the file instead",
    "frame": "frames are not allowed in articles; link to the page instead",
    "frameset": "frames are not allowed in articles; link to the page instead",
    "link": "a <link> in an article acts on the whole page (stylesheets, preloads); put "
            "styles in a style attribute instead",
    "noscript": "<noscript> has no use in an article: pages never run scripts, so every "
                "reader sees everything; write its content without it",
}
_CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)|@import\s+['\"]([^'\"]+)", re.IGNORECASE)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\(.)", re.DOTALL)
_CSS_STRING_URL = re.compile(r"""["']\s*((?:https?|ftp):[^"']*|//[^"']*)""", re.IGNORECASE)


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
# The start tags the checks look at: those with attributes, and refused ones even without.
_REFUSED_NAMES = "|".join(sorted(_FORBIDDEN_TAGS))
_CHECKED = re.compile(rf"<[a-zA-Z][a-zA-Z0-9]*\s|<(?:{_REFUSED_NAMES})(?![a-zA-Z0-9])",
                      re.IGNORECASE)


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
        if tag in _FORBIDDEN_TAGS:
            raise LinkProblem(f"<{tag}", _FORBIDDEN_TAGS[tag])
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            raise LinkProblem("<meta http-equiv", "a <meta http-equiv> tag can redirect "
                              "readers away from the copy; remove it")
        _check_scripting(tag, attrs)
        if tag == "style":
            self._in_style = True
        changed = False
        new_attrs: list[tuple[str, str | None]] = []
        for name, value in attrs:
            new_value = value
            use = use_of(tag, name)
            if value is not None and name == "style":
                self._check_css(value)
            elif value is not None and name in SRCSET_ATTRS:
                new_value = self._srcset(value)
            elif value is not None and use is not None:
                new_value = self._url(value, use)
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
            url = self._url(parts[0], Use.IMAGE)
            items.append(" ".join([url, *parts[1:]]))
        return ", ".join(items)

    def _check_css(self, css: str) -> None:
        if self.context.allow_external:
            return
        url = external_css_url(css)
        if url is not None:
            raise LinkProblem(url, css_message(url))

    def _url(self, url: str, use: Use) -> str:
        stripped = url.strip()
        if scheme_of(stripped) or as_browser_reads(stripped).startswith("//"):
            refused = problem(stripped, use, allow_external=self.context.allow_external)
            if refused:
                raise LinkProblem(url, refused)
            return stripped
        parts = urlsplit(stripped)
        if not parts.path:
            return url  # "#section" or "?q": stays on this page
        if parts.path.startswith("/"):
            raise LinkProblem(url, f"link {url!r} starts with '/', which breaks under a mirror's "
                              "prefix; link relative to the article instead")
        target = self._target(url, unquote(parts.path))
        relative = relative_to(target, posixpath.dirname(self.context.page_path))
        suffix = (f"?{parts.query}" if parts.query else "") + \
                 (f"#{parts.fragment}" if parts.fragment else "")
        return quote(relative, safe="/-._~") + suffix

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


def _check_scripting(tag: str, attrs: list[tuple[str, str | None]]) -> None:
    """What runs a script or a page of its own, whatever the site allows: an event
    handler, a page inside srcdoc, an SVG animation of a link."""
    for name, _ in attrs:
        if name.startswith("on"):
            raise LinkProblem(name, f"{name}= is an event handler: it runs JavaScript, and "
                              "articles cannot run scripts; remove it")
    if any(name == "srcdoc" for name, _ in attrs):
        raise LinkProblem("srcdoc", "an iframe's srcdoc is a page of its own that can load "
                          "from elsewhere; put that page next to the article instead")
    animated = {(v or "").lower() for k, v in attrs if k == "attributename"}
    if tag in ("set", "animate") and animated & {"href", "xlink:href", "src"}:
        raise LinkProblem(f"<{tag}", f"an SVG <{tag}> that changes a link can load from "
                          "elsewhere; remove it")


def external_css_url(css: str) -> str | None:
    """The first URL in `css` that loads from another site, if any. Read as a browser
    would: `\\68 ttps:` is "https:", and inside <svg> even a <style> resolves "&#104;".
    Quoted URLs load too: image-set("https://…")."""
    plain = decoded(css)
    urls = [m.group(1) or m.group(2) for m in _CSS_URL.finditer(plain)]
    urls += [m.group(1) for m in _CSS_STRING_URL.finditer(plain)]
    return next((url for url in urls if leaves_the_copy(url)), None)


def css_message(url: str) -> str:
    return f"style loads {url!r} from another site; copies must load nothing from elsewhere"


def decoded(text: str) -> str:
    """Text as a browser reads it: HTML character references and CSS escapes resolved."""
    return _CSS_ESCAPE.sub(_css_char, html.unescape(text))


def _css_char(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        return match.group(2)
    code = int(match.group(1), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

