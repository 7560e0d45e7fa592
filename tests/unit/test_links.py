"""Link checks read plain pages without HTMLParser; they must decide exactly as it does.

Pages whose every tag is plain (what Python-Markdown writes) are read with two regular
expressions; anything else goes to HTMLParser. Generated pages mixing both, full of
links that must be rewritten or refused, give the same page, the same targets and the
same refusal either way.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mirrorpub.content import links

ARTICLES = {"news/other.md": "articles/other.html", "help.md": "articles/help.html"}
FILES = {"news/img/m.png": "files/news/img/m.png", "news/a b.pdf": "files/news/a-b.pdf"}


def context(allow_external: bool = False) -> links.LinkContext:
    return links.LinkContext(
        source_dir="news", page_path="articles/report.html",
        resolve=lambda rel: ARTICLES.get(rel) or FILES.get(rel),
        is_folder=lambda rel: rel in ("news/img", "news"), allow_external=allow_external)


def with_parser(html: str, ctx: links.LinkContext) -> object:
    parser = links._Rewriter(ctx)
    try:
        parser.feed(html)
        parser.close()
    except links.LinkProblem as exc:
        return ("refused", exc.url, str(exc))
    return (parser.result(html), tuple(sorted(parser.targets)))


def as_built(html: str, ctx: links.LinkContext) -> object:
    try:
        return links.rewrite(html, ctx)
    except links.LinkProblem as exc:
        return ("refused", exc.url, str(exc))


URLS = ["other.md", "../help.md#options", "img/m.png", "a%20b.pdf?x=1", "img", "missing.md",
        "/abs.html", "../../out.md", "#top", "?q", "https://example.org/x", "//cdn.example/x",
        "javascript:alert(1)", "data:image/png;base64,AAAA", "mailto:desk@example.org",
        "&#104;ttps://example.org/x", "other.md&amp;x", "  other.md  ", "ftp://x", "geo:1,2",
        "HTTPS://EXAMPLE.ORG", "img/m.png 1x, img/m.png 2x", "url(https://x/y.png)", ""]
NAMES = ["a", "img", "p", "source", "video", "iframe", "object", "form", "area", "link",
         "base", "meta", "set", "animate", "svg", "div", "A", "IMG", "use", "table", "td"]
ATTRS = ["href", "src", "srcset", "poster", "data", "action", "cite", "longdesc", "style",
         "srcdoc", "http-equiv", "attributename", "xlink:href", "class", "title", "HREF",
         "background", "formaction", "alt", "loading", "id"]

text = st.text(alphabet="ab &;>\"'=/\n", max_size=8)
attribute = st.tuples(st.sampled_from(ATTRS), st.one_of(st.none(), st.sampled_from(URLS)))


@st.composite
def plain_tag(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    if draw(st.booleans()) and draw(st.booleans()):
        return f"</{name}>"
    attrs = "".join(f" {k}" if v is None else f' {k}="{v}"'
                    for k, v in draw(st.lists(attribute, max_size=3)))
    return f"<{name}{attrs}{draw(st.sampled_from(['', ' /', '/']))}>"


# What only HTMLParser reads right: these send the page down the slow path.
ODD = ["<!-- <a href='https://x'> -->", "<a href='https://evil.example/x'>", "<a href=x.md>",
       "<style>p{background:url(https://x/y.png)}</style>", "<script src=x></script>",
       "<title>https://x</title>", "a < b", "<a href = \"other.md\">", "<my-tag src=\"//x\">",
       "<![CDATA[x]]>", "<?php ?>", "<img src=\"a>b\">", "<textarea><img src=//x></textarea>"]


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(pieces=st.lists(st.one_of(text, plain_tag(), plain_tag(), st.sampled_from(ODD)),
                       max_size=12),
       allow_external=st.booleans())
def test_plain_pages_are_read_as_htmlparser_reads_them(pieces: list[str],
                                                       allow_external: bool) -> None:
    html = "".join(pieces)
    ctx = context(allow_external)
    assert as_built(html, ctx) == with_parser(html, ctx)


def test_markdown_output_takes_the_quick_path_and_odd_html_does_not() -> None:
    page = ('<h2 id="x">Head</h2>\n<p>See <a href="other.md" title="a &amp; b">it</a>'
            '<br />\n<img alt="m" loading="lazy" src="img/m.png" /></p>')
    assert links.simple_tags(page) is not None
    assert links.rewrite(page, context())[0] == page.replace(
        'href="other.md"', 'href="other.html"').replace(
        'src="img/m.png"', 'src="../files/news/img/m.png"')
    for odd in ODD:
        assert links.simple_tags(f"<p>{odd}</p>") is None, odd


def test_a_bare_base_tag_is_refused_on_the_quick_path_too() -> None:
    assert links.simple_tags("<p><base></p>") is not None
    assert as_built("<p><base></p>", context())[0] == "refused"
