"""Hostile HTML in articles never runs a script or loads from elsewhere in a built page.

First the findings of issue 21, one test each (each built on commit ad6d394 and reached
the reader): an event handler through markdown's attr_list, `ping` and `imagesrcset`
escaping the external-load check, a data:text/html frame, a contributor's own
`allow_external: true` lifting the bans; and markup a browser reads differently from
Python's HTMLParser (a comment closed by "--!>").

Then hypothesis: generated hostile markdown and HTML (attr_list, raw tags, entity-encoded
and mixed-case attributes and schemes, SVG and MathML, nesting, parser tricks) goes
through the real `mirrorpub build`. The answer is exit 1 with one line naming the file, or
a page in which an independent parse (lexbor, tests/pagecheck.py) finds no event handler,
no script and no load from elsewhere.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.pagecheck import page_problems
from tests.reliability.test_hostile import PROPERTY, assert_clean_outcome, build_in_process
from tests.sitekit import article, write_site

PNG = b"\x89PNG\r\n\x1a\n fake"


def site(root: Path, body: str, *, site_allows: bool = False, **front: Any) -> Path:
    """A site whose post.md has `body` (its first body line is line 5 of the file, after
    the front matter's lines 1-4); `site_allows`: [site] allow_external."""
    return write_site(root, {"post.md": article("T", body=body, **front),
                             "other.md": article("Other")},
                      files={"img.png": PNG}, allow_external=site_allows)


def build(root: Path) -> tuple[int, str, str]:
    """Exit code, stderr, and the built post's page ("" when nothing was built)."""
    code, err = build_in_process(root / "mirrorpub.toml")
    page = root / "public" / "articles" / "post.html"
    return code, err.strip(), page.read_text(encoding="utf-8") if code == 0 else ""


def assert_refused(root: Path, line: int, *words: str) -> None:
    code, err, _ = build(root)
    assert code == 1, f"built anyway: {err}"
    assert len(err.splitlines()) == 1, err
    assert re.search(rf"content/post\.md:{line}: ", err), err
    for word in words:
        assert word in err, err


# --- the findings ---------------------------------------------------------------------

@pytest.mark.parametrize(("markdown", "line"), [
    ('![x](img.png){: onload="alert(1)" }', 7),
    ('A paragraph.\n{: onmouseover="alert(1)" }', 8),
    ('[link](other.md){: OnClick="alert(1)" }', 7),
])
def test_an_event_handler_written_with_attr_list_is_refused(markdown: str, line: int,
                                                           tmp_path: Path) -> None:
    site(tmp_path, "Intro.\n\n" + markdown)
    assert_refused(tmp_path, line, "event handler", "content/post.md")


def test_ping_is_checked_like_any_load(tmp_path: Path) -> None:
    site(tmp_path, 'Intro.\n\n<a href="https://ok.example/" ping="https://evil.example/t">x</a>')
    assert_refused(tmp_path, 7, "https://evil.example/t", "from elsewhere")


@pytest.mark.parametrize("html", [
    '<img src="img.png" imagesrcset="https://evil.example/a.png 2x" alt="">',
    '<link rel="preload" as="image" imagesrcset="https://evil.example/a.png 2x">',
])
def test_imagesrcset_is_checked_like_srcset(html: str, tmp_path: Path) -> None:
    site(tmp_path, "Intro.\n\n" + html)
    assert_refused(tmp_path, 7)


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize("url", ["data:text/html,<script>alert(1)</script>",
                                 "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                                 "DATA:image/svg+xml,<svg onload=alert(1)>"])
def test_a_data_frame_is_refused_even_when_the_site_allows_external_loads(
        url: str, allow: bool, tmp_path: Path) -> None:
    site(tmp_path, f'Intro.\n\n<iframe src="{url}"></iframe>', site_allows=allow)
    assert_refused(tmp_path, 7, "data: URL")


def test_data_urls_stay_fine_for_pictures(tmp_path: Path) -> None:
    site(tmp_path, '<img alt="dot" src="data:image/png;base64,iVBORw0KGgo=">')
    code, err, page = build(tmp_path)
    assert code == 0, err
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page
    assert page_problems(page) == []


@pytest.mark.parametrize("body", ["<script>alert(1)</script>",
                                  '<img src="https://evil.example/pixel.gif" alt="">',
                                  '<base href="https://evil.example/">'])
def test_a_contributor_cannot_allow_external_loads_in_their_own_article(
        body: str, tmp_path: Path) -> None:
    site(tmp_path, body, allow_external=True)  # front matter line 4; the site says nothing
    assert_refused(tmp_path, 4, "allow_external", "[site]")


@pytest.mark.parametrize("body", ["<script>alert(1)</script>",
                                  '<base href="https://evil.example/">',
                                  '<img src="img.png" alt="" onerror="alert(1)">',
                                  '<a href="javascript:alert(1)">x</a>'])
def test_even_a_site_that_allows_external_loads_never_allows_scripts(
        body: str, tmp_path: Path) -> None:
    site(tmp_path, body, site_allows=True)
    assert_refused(tmp_path, 5)


def test_a_site_that_allows_external_loads_lets_its_articles_load_them(tmp_path: Path) -> None:
    site(tmp_path, '<img src="https://example.org/pixel.gif" alt="">', site_allows=True)
    code, err, page = build(tmp_path)
    assert code == 0, err
    assert page_problems(page, allow_external=True) == []
    assert "img-src 'self' file: https: http: data:" in page


def test_markup_htmlparser_misreads_is_cleaned_as_a_browser_reads_it(tmp_path: Path) -> None:
    # Python's HTMLParser reads a <p> whose title holds text; a browser ends <xmp> at
    # "</xmp>", so to it the <img> and its handler are real.
    site(tmp_path, '<xmp><p title="</xmp><img src=img.png alt=x onerror=alert(1)>"></xmp>')
    code, err, page = build(tmp_path)
    assert code == 0, err
    assert page_problems(page) == []
    assert "onerror" not in page


def test_a_load_hidden_from_htmlparser_is_still_refused(tmp_path: Path) -> None:
    site(tmp_path, 'Intro.\n\n<xmp><p title="</xmp><img src=https://evil.example/p.gif>">')
    assert_refused(tmp_path, 7, "https://evil.example/p.gif")


# --- generated hostile HTML ---------------------------------------------------------------

HANDLERS = ["onload", "onerror", "onclick", "OnLoad", "ONERROR", "onmouseover", "onfocus",
            "onbegin", "ontoggle", "onanimationstart", "on", "o&#110;load"]
URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
        "&#106;avascript:alert(1)", "&#x6A;avascript&colon;alert(1)", " javascript:alert(1)",
        "vbscript:x", "data:text/html,<script>alert(1)</script>", "data:text/html;base64,PA==",
        "data:image/svg+xml,<svg onload=alert(1)>", "DATA:text/html,x", "data:,x",
        "https://evil.example/x.png", "//evil.example/x.png", "\\\\evil.example/x.png",
        "/\\evil.example/x.png", "HTTPS://EVIL.EXAMPLE/x", "&#104;ttps://evil.example/x",
        "ht&#x09;tps://evil.example/x", "file:///etc/passwd", "/abs.png", "img.png",
        "data:image/png;base64,AAAA", "other.md", "img.png 1x, https://evil.example/b.png 2x",
        "https://ok.example/"]
URL_ATTRS = ["href", "src", "srcset", "imagesrcset", "poster", "data", "action", "formaction",
             "background", "ping", "xlink:href", "cite", "srcdoc", "HREF", "SrC", "style",
             "lowsrc", "attributeName", "to", "values", "sandbox", "http-equiv", "content"]
TAGS = ["a", "img", "iframe", "video", "audio", "source", "track", "object", "embed", "form",
        "input", "button", "table", "td", "div", "span", "p", "svg", "math", "image", "link",
        "meta", "base", "script", "style", "picture", "area", "details", "marquee", "body",
        "isindex", "frame", "applet", "set", "animate", "use", "foreignObject", "mtext",
        "mglyph", "noscript", "template", "textarea", "title", "xmp", "noembed", "select",
        "IMG", "ScRiPt", "A"]
CSS = ["color:red", "background:url(https://evil.example/a.png)", "background:url(img.png)",
       "background:u\\72l(//evil.example/a)", "@import 'https://evil.example/a.css'",
       "background-image:image-set(\"https://evil.example/a.png\" 1x)",
       "behavior:url(x.htc)", "x:expression(alert(1))"]
TRICKS = [
    "<!-- --!><img src=x onerror=alert(1)> -->", "<!---><img src=x onerror=alert(1)>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<style></style ><img src=x onerror=alert(1)>", "<textarea></textarea ><b onclick=x>b</b>",
    "<title><img src=x onerror=alert(1)></title>", "<img src=x onerror=alert(1)//",
    '<img """><script>alert(1)</script>">', '<a href="other.md"onclick="alert(1)">x</a>',
    "<img src onerror=alert(1)>", "<<img src=x onerror=alert(1)>", "<img/src=x/onerror=alert(1)>",
    "<img src=x\nonerror=alert(1)>", "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "<svg><![CDATA[</svg><img src=x onerror=alert(1)>]]></svg>",
    '<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style>'
    '<img onerror=alert(1) src>">',
    '<a href="&#x6A;avascript:alert(1)">x</a>', "<a href=javascript&colon;alert(1)>x</a>",
    "<x-tag onclick=alert(1)>x</x-tag>", "<p/onclick=alert(1)>x</p>", "</p onclick=x>",
    "<iframe src=other.md sandbox='allow-scripts allow-same-origin'></iframe>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<svg><animate attributeName=href values=javascript:alert(1) /><a><text>x</text></a></svg>",
    "<style>@import 'https://evil.example/a.css';</style>",
    "<style>*{background:url(//evil.example/a)}</style>",
    "<div style=\"background:url(&quot;//evil.example/bg.png&quot;)\">x</div>",
    "`<img src=x onerror=alert(1)>`", "```\n<script>alert(1)</script>\n```\n",
    "<https://evil.example/auto>", "<javascript:alert(1)>",
]


def _encoded(text: str, draw: st.DrawFn) -> str:
    """Some characters written as character references, as a browser would decode them."""
    how = draw(st.sampled_from(["plain", "plain", "decimal", "hex", "mixed-case"]))
    if how == "decimal":
        return "".join(f"&#{ord(c)};" if c.isalpha() and draw(st.booleans()) else c
                       for c in text)
    if how == "hex":
        return "".join(f"&#x{ord(c):x};" if c.isalpha() and draw(st.booleans()) else c
                       for c in text)
    if how == "mixed-case":
        return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)
    return text


@st.composite
def attribute(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 3)) == 0:
        name, value = draw(st.sampled_from(HANDLERS)), "alert(1)"
    else:
        name = draw(st.sampled_from(URL_ATTRS))
        value = draw(st.sampled_from(CSS)) if name == "style" else draw(st.sampled_from(URLS))
    value = _encoded(value, draw).replace('"', "&quot;")
    quote = draw(st.sampled_from(['"', "'", ""]))
    if quote == "" and any(c in value for c in " \t\n'\"=<>`"):
        quote = '"'
    if quote == "'":
        value = value.replace("'", "&#39;")
    return f"{name}={quote}{value}{quote}"


@st.composite
def element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    gap = draw(st.sampled_from([" ", " ", "/", "\n", "\t"]))
    attrs = gap.join(draw(st.lists(attribute(), max_size=3)))
    start = f"<{tag}{gap if attrs else ''}{attrs}{draw(st.sampled_from(['', ' /']))}>"
    inner = draw(st.lists(st.one_of(st.sampled_from(["text", " & ", "<br>"]),
                                    st.sampled_from(TRICKS),
                                    element(depth + 1) if depth < 2 else st.just("x")),
                          max_size=2))
    return start + "".join(inner) + (f"</{tag}>" if draw(st.booleans()) else "")


@st.composite
def attr_list(draw: st.DrawFn) -> str:
    """Python-Markdown's attr_list: `{: key="value" }` after an image, link or block."""
    attrs = " ".join(draw(st.lists(attribute(), min_size=1, max_size=2)))
    target = draw(st.sampled_from([
        "![pic](img.png)", "[link](other.md)", "![pic](https://evil.example/p.png)",
        "[x](javascript:alert(1))", "# Heading", "A paragraph.\n"]))
    return f"{target}{{: {attrs} }}"


@st.composite
def markdown_link(draw: st.DrawFn) -> str:
    url = _encoded(draw(st.sampled_from(URLS)).split(" ")[0], draw)
    form = draw(st.sampled_from(["![a]({})", "[a]({})", "[a]: {}\n\n![a][a]", "<{}>"]))
    return form.format(url)


# Elements whose content a browser reads as text up to their end tag, which Python's
# HTMLParser reads as markup: "</xmp>" inside an attribute ends them for a browser only.
RAW_TEXT = ["xmp", "textarea", "title", "noembed", "noframes", "iframe", "style", "XMP"]


@st.composite
def hidden(draw: st.DrawFn) -> str:
    """Markup a browser reads as an element but HTMLParser as an attribute's text."""
    wrapper = draw(st.sampled_from(RAW_TEXT))
    inner = draw(element()).replace('"', "'")
    return f'<{wrapper}><p title="</{wrapper}>{inner}"></{wrapper}>'


hostile_bodies = st.lists(st.one_of(element(), element(), attr_list(), markdown_link(),
                                    hidden(), hidden(), st.sampled_from(TRICKS),
                                    st.sampled_from(["\n\n", "text "])),
                          min_size=1, max_size=4).map("".join)


@settings(PROPERTY, max_examples=600)
@given(body=hostile_bodies, allow_external=st.booleans())
def test_no_built_page_runs_a_script_or_loads_from_elsewhere(
        body: str, allow_external: bool, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        site(root, body, site_allows=allow_external)
        code, err, page = build(root)
        event(f"exit {code}")
        assert_clean_outcome(code, err, ["content/post.md"])
        if code == 0:
            problems = page_problems(page, allow_external=allow_external)
            assert not problems, (problems, body)
