"""The last step of an article body: only known-safe elements and attributes survive.

links.py reads the HTML as written, with Python's HTMLParser, to refuse what the editor
wrote with the file and line and to rewrite links. HTMLParser is not a browser: a comment
closed by "--!>", a <noscript> or <style> a browser reads differently can hide markup from
it. So the body is parsed again here as a browser parses it (nh3: html5ever, the HTML
standard's tree builder, behind ammonia's allowlist) and written out again from that tree:

- elements and attributes not listed below are dropped (an element's text stays), so no
  event handler (`on…=`) can survive, whatever it was hidden in;
- every URL left is judged again by urlpolicy's rule, on the value a browser would read;
  one that fails is refused (LinkProblem), since only markup built to fool a parser gets
  this far;
- frames always get `sandbox` (no scripts, no access to the page);
- CSS in style attributes and <style> elements is checked again for loads from elsewhere.

No SVG or MathML: inside them the HTML parser's rules change, and that is where
sanitizers have kept failing (links.py refuses both with advice).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from mirrorpub.content.links import LinkProblem, css_message, external_css_url
from mirrorpub.content.urlpolicy import (
    SRCSET_ATTRS,
    Use,
    problem,
    root_absolute,
    srcset_urls,
    use_of,
)

_TEXT = {"a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
         "caption", "cite", "code", "col", "colgroup", "data", "dd", "del", "details", "dfn",
         "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4",
         "h5", "h6", "header", "hgroup", "hr", "i", "ins", "kbd", "li", "mark", "nav", "ol",
         "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
         "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
         "time", "tr", "u", "ul", "var", "wbr", "map", "area", "style"}
_MEDIA = {"img", "picture", "source", "video", "audio", "track", "iframe"}
_FORMS = {"form", "input", "button", "label", "select", "option", "optgroup", "textarea",
          "fieldset", "legend", "meter", "progress", "output"}
TAGS = frozenset(_TEXT | _MEDIA | _FORMS)
# Dropped with everything inside: what is not meant to be read as text.
_DROPPED_WITH_CONTENT = {"script", "noscript", "template"}

_GLOBAL = {"class", "id", "title", "lang", "dir", "style", "role", "translate"}
ATTRIBUTES: dict[str, set[str]] = {
    "*": _GLOBAL,
    "a": {"href", "hreflang", "rel", "type"},
    "area": {"href", "hreflang", "rel", "alt", "shape", "coords"},
    "map": {"name"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding",
            "usemap", "ismap"},
    "source": {"src", "srcset", "sizes", "type", "media", "width", "height"},
    "video": {"src", "poster", "controls", "width", "height", "loop", "muted", "playsinline",
              "preload"},
    "audio": {"src", "controls", "loop", "muted", "preload"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "iframe": {"src", "width", "height", "loading", "name"},
    "blockquote": {"cite"}, "q": {"cite"}, "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"}, "time": {"datetime"}, "data": {"value"},
    "ol": {"start", "reversed", "type"}, "ul": {"type"}, "li": {"value"},
    "td": {"colspan", "rowspan", "headers"}, "th": {"colspan", "rowspan", "headers", "scope",
                                                   "abbr"},
    "col": {"span"}, "colgroup": {"span"}, "details": {"open"},
    "form": {"action", "method", "enctype", "accept-charset", "autocomplete", "name"},
    "input": {"type", "name", "value", "placeholder", "required", "checked", "disabled",
              "readonly", "min", "max", "step", "pattern", "size", "maxlength", "minlength",
              "multiple", "autocomplete", "alt", "src", "formaction"},
    "button": {"type", "name", "value", "disabled", "formaction"},
    "label": {"for"}, "select": {"name", "multiple", "required", "disabled", "size"},
    "option": {"value", "selected", "disabled", "label"}, "optgroup": {"label", "disabled"},
    "textarea": {"name", "rows", "cols", "placeholder", "required", "disabled", "readonly",
                 "maxlength", "minlength"},
    "fieldset": {"name", "disabled"}, "output": {"for", "name"},
    "meter": {"value", "min", "max", "low", "high", "optimum"}, "progress": {"value", "max"},
}
_GENERIC_PREFIXES = {"aria-", "data-"}
_FORCED = {"iframe": {"sandbox": ""}}  # a frame never runs scripts, whatever it shows
# Schemes ammonia itself lets through on the URL attributes it knows; the rest of the
# judgement is urlpolicy's, in _Judge.
_SCHEMES = {"http", "https", "mailto", "tel", "xmpp", "sms", "geo", "magnet", "ipfs", "ipns",
            "irc", "ircs", "matrix", "signal", "data"}
# The serializer writes <style> text as it is, so its content is exactly this.
_STYLE_ELEMENT = re.compile(r"<style(?:\s[^>]*)?>(.*?)</style>", re.DOTALL)


class _Judge:
    """urlpolicy's rule as ammonia's attribute filter: remembers the first failure."""

    def __init__(self, allow_external: bool) -> None:
        self.allow_external = allow_external
        self.failures: list[tuple[str, str]] = []

    def __call__(self, tag: str, attr: str, value: str) -> str | None:
        failure = self.failure(tag, attr, value)
        if failure is None:
            return value
        self.failures.append(failure)
        return None

    def failure(self, tag: str, attr: str, value: str) -> tuple[str, str] | None:
        if attr == "style":
            url = None if self.allow_external else external_css_url(value)
            return None if url is None else (url, css_message(url))
        use = use_of(tag, attr)
        if use is None:
            return None
        for url in srcset_urls(value) if attr in SRCSET_ATTRS else [value]:
            message = problem(url, use, allow_external=self.allow_external)
            if message is None and use is not Use.LINK and root_absolute(url):
                message = f"{url!r} starts with '/', which leaves the copy under a prefix"
            if message is not None:
                return url, message
        return None


@functools.cache
def _cleaner(allow_external: bool) -> tuple[Any, _Judge]:
    import nh3  # here, not at import: a build with nothing to render never loads it

    judge = _Judge(allow_external)
    cleaner = nh3.Cleaner(
        tags=set(TAGS), clean_content_tags=_DROPPED_WITH_CONTENT, attributes=ATTRIBUTES,
        attribute_filter=judge, generic_attribute_prefixes=_GENERIC_PREFIXES,
        set_tag_attribute_values=_FORCED, url_schemes=_SCHEMES, link_rel=None,
        strip_comments=True)
    return cleaner, judge


def clean(body_html: str, *, allow_external: bool) -> str:
    """The body as a browser would build it, with only allowlisted elements and
    attributes; LinkProblem for a URL or style that urlpolicy refuses."""
    cleaner, judge = _cleaner(allow_external)
    judge.failures.clear()
    out: str = cleaner.clean(body_html)
    if judge.failures:
        raise LinkProblem(*judge.failures[0])
    if not allow_external:
        for match in _STYLE_ELEMENT.finditer(out):
            url = external_css_url(match.group(1))
            if url is not None:
                raise LinkProblem(url, css_message(url))
    return out
