"""What an article's HTML may hold, and how its links are rewritten (SPEC §6.2).

Each refusal names the offending URL or tag and says what to do instead; each accepted
page comes out with its links pointing at the built pages and copied files. The same
rule is applied again to the tree a browser builds (sanitize.clean).
"""

from __future__ import annotations

import pytest

from mirrorpub.content import links, sanitize, urlpolicy
from mirrorpub.content.links import LinkProblem
from mirrorpub.content.urlpolicy import Use

ARTICLES = {"news/other.md": "articles/other.html", "help.md": "articles/help.html"}
FILES = {"news/img/m.png": "files/news/img/m.png", "news/a b.pdf": "files/news/a-b.pdf"}


def context(allow_external: bool = False) -> links.LinkContext:
    return links.LinkContext(
        source_dir="news", page_path="articles/report.html",
        resolve=lambda rel: ARTICLES.get(rel) or FILES.get(rel),
        is_folder=lambda rel: rel in ("news/img", "news"), allow_external=allow_external)


def refusal(html: str, *, allow_external: bool = False) -> tuple[str, str]:
    with pytest.raises(LinkProblem) as caught:
        links.rewrite(html, context(allow_external))
    return caught.value.url, str(caught.value)


def rewritten(html: str, *, allow_external: bool = False) -> str:
    return links.rewrite(html, context(allow_external))[0]


# --- refused whatever the site allows ---------------------------------------------------

@pytest.mark.parametrize(("html", "url", "advice"), [
    ("<p><script>alert(1)</script></p>", "<script", "scripts are not allowed"),
    ("<base href='https://evil.example/'>", "<base", "breaks mirrors"),
    ("<svg><circle r='1'/></svg>", "<svg", "save it as a .svg file"),
    ("<math><mi>x</mi></math>", "<math", "write the formula as text"),
    ("<object data='x.swf'></object>", "<object", "link to the file instead"),
    ("<embed src='x.swf'>", "<embed", "link to the file instead"),
    ("<applet code='x'></applet>", "<applet", "runs a plugin"),
    ("<frameset><frame src='x.html'></frameset>", "<frameset", "frames are not allowed"),
    ("<frame src='x.html'>", "<frame", "frames are not allowed"),
    ("<link rel='stylesheet' href='x.css'>", "<link", "style attribute instead"),
    ("<noscript><p>x</p></noscript>", "<noscript", "pages never run scripts"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "<meta http-equiv",
     "can redirect readers away"),
    ('<p onclick="steal()">x</p>', "onclick", "event handler"),
    ('<img src="img/m.png" onerror="steal()">', "onerror", "event handler"),
    ('<iframe srcdoc="&lt;p&gt;hi"></iframe>', "srcdoc", "page of its own"),
    ('<animate attributeName="href" to="https://evil.example/">', "<animate",
     "changes a link"),
    ('<set attributename="XLINK:HREF" to="https://evil.example/">', "<set", "changes a link"),
    ('<animate attributeName="src" to="https://evil.example/a.png">', "<animate",
     "changes a link"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:alert(1)",
     "javascript: URLs are not allowed"),
    ('<a href="java\tscript:alert(1)">x</a>', "java\tscript:alert(1)",
     "javascript: URLs are not allowed"),
    ('<a href="VBScript:x">x</a>', "VBScript:x", "vbscript: URLs are not allowed"),
    ('<a href="file:///etc/passwd">x</a>', "file:///etc/passwd", "file: URLs are not allowed"),
    ('<a href="data:text/html,<p>">x</a>', "data:text/html,<p>",
     "a data: URL (text/html) is allowed only for a picture"),
    ('<a href="data:,hello">x</a>', "data:,hello", "a data: URL (text/plain)"),
    ('<img src="data:image/svg+xml;base64,AAAA">', "data:image/svg+xml;base64,AAAA",
     "(image/svg+xml) is allowed only for a picture"),
    ('<iframe src="data:image/png;base64,AAAA">', "data:image/png;base64,AAAA",
     "allowed only for a picture"),  # a picture in a frame is a page
    ('<a href="ftp://files.example/x">x</a>', "ftp://files.example/x",
     "unknown link scheme 'ftp'"),
    ('<a href="gopher://x">x</a>', "gopher://x", "unknown link scheme 'gopher'"),
    ('<a href="//cdn.example/x">x</a>', "//cdn.example/x",
     "leaves out the scheme; write it in full, e.g. https://cdn.example/x"),
])
@pytest.mark.parametrize("allow_external", [False, True])
def test_what_can_run_a_script_or_leave_the_copy_is_refused(
        html: str, url: str, advice: str, allow_external: bool) -> None:
    found_url, message = refusal(html, allow_external=allow_external)
    assert found_url == url
    assert advice in message


@pytest.mark.parametrize("html", [
    '<animate attributeName="fill" to="red">',  # an animation of a colour loads nothing
    '<meta name="description" content="x">',
    '<a href="mailto:desk@example.org">x</a>',
    '<a href="https://example.org/report">x</a>',  # a link the reader follows is fine
    '<a href="HTTPS://EXAMPLE.ORG">x</a>',
    '<a href="geo:42.87,74.59">x</a>',
    '<img src="data:image/png;base64,AAAA">',
    '<img src="data:IMAGE/JPEG;base64,AAAA">',
    '<a href="#top">x</a>',
    '<a href="?q=1">x</a>',
])
def test_harmless_markup_is_kept_as_written(html: str) -> None:
    assert rewritten(html) == html


# --- loads from elsewhere: refused unless the site allows them ---------------------------

@pytest.mark.parametrize(("html", "url"), [
    ('<img src="https://cdn.example/a.png">', "https://cdn.example/a.png"),
    ('<img src="//cdn.example/a.png">', "//cdn.example/a.png"),
    ('<img srcset="img/m.png 1x, https://cdn.example/a.png 2x">', "https://cdn.example/a.png"),
    ('<video poster="https://cdn.example/p.jpg"></video>', "https://cdn.example/p.jpg"),
    ('<iframe src="https://video.example/embed"></iframe>', "https://video.example/embed"),
    ('<p style="background: url(https://cdn.example/bg.png)">x</p>',
     "https://cdn.example/bg.png"),
    ('<p style="background: url(\\68 ttps://cdn.example/bg.png)">x</p>',
     "https://cdn.example/bg.png"),
    ('<p style="background-image: image-set(&quot;https://cdn.example/a.png&quot; 1x)">x</p>',
     "https://cdn.example/a.png"),
    ("<style>@import 'https://cdn.example/a.css';</style>", "https://cdn.example/a.css"),
    ("<style>p { background: url(https://cdn.example/bg.png) }</style>",
     "https://cdn.example/bg.png"),
])
def test_loads_from_elsewhere_are_refused_unless_the_site_allows_them(html: str,
                                                                      url: str) -> None:
    found_url, message = refusal(html)
    assert found_url == url
    assert "from another site" in message
    assert rewritten(html, allow_external=True) == html.replace(
        '"img/m.png', '"../files/news/img/m.png')


def test_only_web_urls_may_be_loaded_even_when_the_site_allows_external_loads() -> None:
    url, message = refusal('<img src="ftp://files.example/a.png">', allow_external=True)
    assert url == "ftp://files.example/a.png"
    assert "only http: and https: URLs may be loaded from elsewhere" in message
    assert rewritten('<img src=" https://cdn.example/a.png ">', allow_external=True) == \
        '<img src="https://cdn.example/a.png">'


def test_text_after_a_style_element_is_not_read_as_css() -> None:
    html = "<style>p { color: red }</style><p>write url(https://example.org) in CSS</p>"
    assert rewritten(html) == html


# --- links inside the site ---------------------------------------------------------------

@pytest.mark.parametrize(("html", "expected"), [
    ('<a href="other.md">x</a>', '<a href="other.html">x</a>'),
    ('<a href="../help.md#options">x</a>', '<a href="help.html#options">x</a>'),
    ('<a href="a%20b.pdf?x=1">x</a>', '<a href="../files/news/a-b.pdf?x=1">x</a>'),
    ('<a href="  other.md  " title="a &amp; b">x</a>',
     '<a href="other.html" title="a &amp; b">x</a>'),
    ('<img alt="m" src="img/m.png" />', '<img alt="m" src="../files/news/img/m.png" />'),
    ('<img srcset="img/m.png 1x, ,img/m.png 2x">',
     '<img srcset="../files/news/img/m.png 1x, ../files/news/img/m.png 2x">'),
    ("<a href='other.md' data-x>x</a>", '<a href="other.html" data-x>x</a>'),  # parser path
])
def test_links_to_articles_and_files_point_at_what_the_build_writes(html: str,
                                                                    expected: str) -> None:
    assert rewritten(html) == expected


def test_links_from_a_top_level_page_and_to_itself() -> None:
    top = links.LinkContext(source_dir="", page_path="index.html",
                            resolve=lambda rel: {"news/img/m.png": "files/news/img/m.png",
                                                 "help.md": "articles/help.html"}.get(rel),
                            is_folder=lambda rel: False, allow_external=False)
    assert links.rewrite('<a href="help.md">h</a><img src="news/img/m.png">', top)[0] == \
        '<a href="articles/help.html">h</a><img src="files/news/img/m.png">'
    assert rewritten('<a href="../help.md">x</a>') == '<a href="help.html">x</a>'


def test_a_rewrite_several_lines_down_lands_where_the_tag_was() -> None:
    html = "<!-- a comment -->\n<p>first line\n<a href='other.md'>x</a> <img src='img/m.png'></p>\n"
    page, targets = links.rewrite(html, context())
    assert page == ('<!-- a comment -->\n<p>first line\n<a href="other.html">x</a> '
                    '<img src="../files/news/img/m.png"></p>\n')
    assert targets == ("news/img/m.png", "news/other.md")


@pytest.mark.parametrize(("href", "advice"), [
    ("/abs.html", "starts with '/', which breaks under a mirror's prefix"),
    ("../../out.md", "points outside content/"),
    ("img/", "names a folder; link to a file in it"),
    ("img", "names a folder; link to a file in it"),
    ("missing.md", "no such article content/news/missing.md"),
    ("missing.png", "no such file content/news/missing.png"),
])
def test_links_that_would_break_on_a_mirror_are_refused(href: str, advice: str) -> None:
    url, message = refusal(f'<a href="{href}">x</a>')
    assert url == href
    assert advice in message


# --- the rule itself ---------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "attr", "use"), [
    ("a", "href", Use.LINK), ("area", "href", Use.LINK), ("form", "action", Use.LINK),
    ("blockquote", "cite", Use.LINK), ("button", "formaction", Use.LINK),
    ("img", "src", Use.IMAGE), ("input", "src", Use.IMAGE), ("video", "poster", Use.IMAGE),
    ("div", "background", Use.IMAGE), ("img", "srcset", Use.IMAGE),
    ("iframe", "src", Use.LOAD), ("link", "href", Use.LOAD), ("a", "ping", Use.LOAD),
    ("a", "class", None), ("img", "alt", None),
])
def test_each_url_attribute_is_judged_by_what_a_browser_does_with_it(tag: str, attr: str,
                                                                     use: Use | None) -> None:
    assert urlpolicy.use_of(tag, attr) is use


@pytest.mark.parametrize(("url", "leaves"), [
    ("https://example.org/a.png", True), ("mailto:x@example.org", True),
    ("//cdn.example/a", True), ("\\\\cdn.example/a", True), (" \x01//cdn.example", True),
    ("data:image/png;base64,AA", False), ("DATA:image/png,AA", False),
    ("img/a.png", False), ("#top", False), ("", False),
])
def test_a_url_leaves_the_copy_when_it_names_another_site(url: str, leaves: bool) -> None:
    assert urlpolicy.leaves_the_copy(url) is leaves


def test_urls_are_read_as_a_browser_reads_them() -> None:
    assert urlpolicy.as_browser_reads(" \x00java\n\tscript:x\r ") == "javascript:x"
    assert urlpolicy.scheme_of("HtTpS://x") == "https"
    assert urlpolicy.scheme_of("a/b:c") == ""
    assert urlpolicy.srcset_urls("a.png 1x, b.png 2x,, c.png") == ["a.png", "b.png", "c.png"]
    assert urlpolicy.path_of(" /x\\y.html?q#f") == "/x/y.html"
    assert [urlpolicy.root_absolute(u) for u in ("/x", "//x", "x", "https://x/", " \\x")] == \
        [True, False, False, False, True]


@pytest.mark.parametrize(("css", "plain"), [
    ("\\68 ttps:", "https:"), ("\\000068ttps:", "https:"), ("\\:", ":"), ("&#104;", "h"),
    ("\\0 x", "\ufffdx"), ("\\110000", "\ufffd"), ("\\10FFFF", "\U0010ffff"),
    ("\\D800", "\ufffd"), ("\\DFFF", "\ufffd"), ("\\D7FF", "\ud7ff"), ("\\E000", "\ue000"),
    ("\\1 ", "\x01"), ("\\a", "\n"),
])
def test_css_escapes_are_resolved_as_a_browser_resolves_them(css: str, plain: str) -> None:
    assert links.decoded(css) == plain


def test_the_first_load_from_elsewhere_in_css_is_named() -> None:
    assert links.external_css_url("a { background: url(img/a.png) }") is None
    assert links.external_css_url("@import 'https://a.example/x.css'; b { c: url(/d) }") == \
        "https://a.example/x.css"
    assert links.external_css_url('b { c: image-set("//b.example/y.png" 1x) }') == \
        "//b.example/y.png"
    assert links.external_css_url("b { c: url(data:image/png,AA) }") is None


# --- the browser's reading (sanitize) -----------------------------------------------------

def test_the_browsers_tree_keeps_only_known_safe_markup() -> None:
    out = sanitize.clean('<iframe src="clip.html"></iframe><p onclick="x()">a<script>b()'
                         '</script>c</p><a href="/x">d</a>', allow_external=False)
    assert out == '<iframe src="clip.html" sandbox=""></iframe><p>ac</p><a href="/x">d</a>'


@pytest.mark.parametrize(("html", "url", "advice"), [
    ('<iframe src="data:text/html,x"></iframe>', "data:text/html,x", "(text/html) is allowed"),
    ('<img src="/abs.png">', "/abs.png", "starts with '/'"),
    ('<img srcset="a.png 1x, https://cdn.example/b.png 2x">', "https://cdn.example/b.png",
     "from another site"),
    ('<p style="background:url(https://cdn.example/a.png)">x</p>',
     "https://cdn.example/a.png", "style loads"),
    ("<style>@import 'https://cdn.example/a.css';</style>", "https://cdn.example/a.css",
     "style loads"),
])
def test_the_browsers_tree_is_judged_by_the_same_rule(html: str, url: str,
                                                      advice: str) -> None:
    with pytest.raises(LinkProblem) as caught:
        sanitize.clean(html, allow_external=False)
    assert caught.value.url == url
    assert advice in str(caught.value)
    # A refusal is not remembered: the next article is judged on its own.
    assert sanitize.clean("<p>fine</p>", allow_external=False) == "<p>fine</p>"


def test_a_site_that_allows_external_loads_keeps_them_in_the_browsers_tree() -> None:
    html = ('<img src="https://cdn.example/a.png"><p style="background:url(https://cdn.example'
            '/b.png)">x</p><style>@import "https://cdn.example/c.css";</style>')
    assert sanitize.clean(html, allow_external=True) == html
    with pytest.raises(LinkProblem):
        sanitize.clean('<iframe src="data:text/html,x"></iframe>', allow_external=True)
    # What ammonia knows is no URL to keep goes without a word: links.py named it before.
    assert sanitize.clean('<a href="javascript:x()">x</a>', allow_external=True) == "<a>x</a>"
