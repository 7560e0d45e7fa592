"""What a browser would run or load from a built page, read independently of mirrorpub.

The page is parsed with lexbor (selectolax), a parser that follows the HTML standard as
browsers do, and judged by rules written out again here rather than imported from
mirrorpub: a bug in mirrorpub's own rule must not make its test agree with it.

    page_problems(html, allow_external)   every script, handler or load a reader would meet
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

# Attributes a browser reads as a URL, and which of them only navigate when clicked.
URL_ATTRIBUTES = {"href", "src", "srcset", "imagesrcset", "poster", "data", "action",
                  "formaction", "background", "ping", "xlink:href", "cite", "longdesc",
                  "lowsrc", "dynsrc", "codebase", "manifest", "icon", "archive", "classid",
                  "usemap", "itemtype"}
_NAVIGATES = {("a", "href"), ("area", "href"), ("form", "action"), ("input", "formaction"),
              ("button", "formaction")}
_NAVIGATES_ANYWHERE = {"cite", "longdesc", "itemtype", "usemap"}
_NEVER_IN_BODY = {"script", "base", "object", "embed", "applet", "frame", "frameset", "svg",
                  "math", "link", "meta", "portal", "fencedframe"}
_RASTER = re.compile(r"data:image/(png|jpeg|jpg|gif|webp|avif|bmp|x-icon)[;,]", re.I)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
# url(…), @import "…", and any quoted absolute URL (image-set("https://…")).
_CSS_LOADS = re.compile(r"""url\(\s*["']?([^"')\s]*)|@import\s*["']([^"']*)"""
                        r"""|["'](\s*(?:https?:|//)[^"']*)""", re.I)


def _as_browser_reads(url: str) -> str:
    return re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21))))).replace("\\", "/")


def _scheme(url: str) -> str:
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


def _load_problem(url: str, allow_external: bool, image: bool) -> str | None:
    plain = _as_browser_reads(url)
    scheme = _scheme(plain)
    if scheme == "data":
        return None if image and _RASTER.match(plain) else f"loads a data: URL {url!r}"
    if scheme in ("http", "https") or (not scheme and plain.startswith("//")):
        return None if allow_external else f"loads {url!r} from elsewhere"
    if scheme:
        return f"loads a {scheme}: URL {url!r}"
    if plain.startswith("/"):
        return f"loads {url!r} from outside the copy"
    return None


def _link_problem(url: str) -> str | None:
    scheme = _scheme(_as_browser_reads(url))
    if scheme in ("javascript", "vbscript", "data", "file"):
        return f"links to a {scheme}: URL {url!r}"
    return None


def _css_unescaped(css: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2)
        code = int(match.group(1), 16)
        return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else "?"
    return _CSS_ESCAPE.sub(one, css)


def _css_problems(css: str, allow_external: bool) -> list[str]:
    found = []
    for match in _CSS_LOADS.finditer(_css_unescaped(css)):
        url = next(g for g in match.groups() if g is not None)
        problem = _load_problem(url, allow_external, image=True) if url.strip() else None
        if problem:
            found.append(f"style {problem}")
    return found


def _attribute_problems(tag: str, name: str, value: str, allow_external: bool) -> list[str]:
    if name.startswith("on"):
        return [f"<{tag} {name}=…>: an event handler"]
    if name == "srcdoc":
        return [f"<{tag} srcdoc>: a page of its own"]
    if name == "style":
        return [f"<{tag} style>: {p}" for p in _css_problems(value, allow_external)]
    if name not in URL_ATTRIBUTES:
        return []
    if (tag, name) in _NAVIGATES or name in _NAVIGATES_ANYWHERE:
        problem = _link_problem(value)
        return [f"<{tag} {name}>: {problem}"] if problem else []
    urls = [c.split()[0] for c in value.split(",") if c.strip()] \
        if name in ("srcset", "imagesrcset") else [value]
    image = tag in ("img", "input", "picture", "source", "video", "table", "td", "body")
    return [f"<{tag} {name}>: {p}" for url in urls
            if (p := _load_problem(url, allow_external, image))]


def page_problems(page: str, *, allow_external: bool = False,
                  scripts_allowed: bool = False) -> list[str]:
    """Everything in `page` that would run a script nobody put in the theme, or load from
    outside the copy (from elsewhere at all, unless `allow_external`)."""
    tree = LexborHTMLParser(page)
    problems = []
    if tree.body is None or tree.head is None:
        return ["the page has no head or body"]
    for node in tree.body.traverse(include_text=False):
        tag = node.tag
        if tag in _NEVER_IN_BODY:
            problems.append(f"<{tag}> in the page's body")
        if tag == "iframe":
            sandbox = node.attributes.get("sandbox")
            if sandbox is None or "allow-scripts" in sandbox:
                problems.append("an <iframe> that may run scripts")
        if tag == "style":
            problems += [f"<style>: {p}" for p in _css_problems(node.text(), allow_external)]
        for name, value in node.attributes.items():
            problems += _attribute_problems(tag, name.lower(), value or "", allow_external)
    if not scripts_allowed and tree.css("script"):
        problems.append("the page has a <script>")
    return problems + _policy_problems(tree)


def _policy_problems(tree: LexborHTMLParser) -> list[str]:
    """The Content-Security-Policy meta: there, once, and allowing no script by kind."""
    policies = [m.attributes.get("content") or "" for m in tree.head.css("meta")
                if (m.attributes.get("http-equiv") or "").lower() == "content-security-policy"]
    if len(policies) != 1:
        return [f"expected one Content-Security-Policy meta, found {len(policies)}"]
    directives = {d.split()[0]: d.split()[1:] for d in policies[0].split(";") if d.split()}
    problems = []
    if directives.get("default-src") != ["'none'"]:
        problems.append(f"default-src is not 'none': {policies[0]}")
    scripts = directives.get("script-src", [])
    if any(not re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", s) for s in scripts):
        problems.append(f"script-src allows more than hashed inline scripts: {scripts}")
    return problems
