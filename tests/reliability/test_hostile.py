"""Hostile input never crashes the build, never escapes content/, never leaks a file.

Property tests (hypothesis) feed generated front matter, markdown bodies, raw bytes and
file names to the real command line (`mirrorpub build`, in-process for speed, plus a few
real processes): the answer is exit 0, or exit 1 with one line naming the file; never a
traceback, an "internal error" or another exit code. A build that succeeds is crawled
like a reader would: no broken link, nothing loaded from elsewhere (an article cannot
allow that itself: only the site can), nothing written outside the output folder.

Explicit cases cover escapes (../, absolute paths, symlinks to files and folders out of
content/, template includes and template links out of the site), NUL and invalid UTF-8
(file and line named), and raw HTML that loads from elsewhere (refused, file and line
named; accepted only when the site sets allow_external, and never for what can run a
script). tests/reliability/test_hostile_html.py goes on with generated hostile HTML.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mirrorpub.cli import main as cli_main
from mirrorpub.content.frontmatter import KEYS
from tests.reliability.conftest import crawl_folder
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

SECRET = b"TOPSECRET-canary-6c1f0e"
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


# --- running `mirrorpub build` in-process, exactly as the command line does ---------------

def build_in_process(config: Path) -> tuple[int, str]:
    """Exit code and stderr of `mirrorpub build -c CONFIG` (same code path as the CLI)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            cli_main(["build", "-c", str(config)], standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, err.getvalue()


def assert_clean_outcome(code: int, err: str, names: list[str]) -> None:
    assert code in (0, 1), f"exit {code}: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 1:
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one error line, got: {err}"
        assert any(name in lines[0] for name in names), f"error does not name the file: {err}"


def assert_built_site_is_sound(root: Path, allow_external: bool) -> None:
    """What a reader would meet in the built copy."""
    result = crawl_folder(root / "public")
    problems = [p for p in result.problems
                if not (allow_external and "from elsewhere" in p)]
    assert "index.html" in result.pages
    assert not problems, problems
    for path, page in result.pages.items():
        if result.types[path].startswith("text/"):
            page.decode("utf-8")
    stray = {p.relative_to(root).parts[0] for p in root.iterdir()} - {
        "mirrorpub.toml", "content", "public", ".mirrorpub"}
    assert not stray, f"the build wrote outside its output folder: {stray}"


# --- strategies ---------------------------------------------------------------------------

HOSTILE_BODY = [
    "# Heading\n", "###### deep\n", "> quote\n", "- item\n  - nested\n", "1. one\n\n",
    "[other](other.md)", "[missing](missing.md)", "[up](../secret.txt)", "[abs](/etc/passwd)",
    "[file](file:///etc/passwd)", "[enc](..%2F..%2Fsecret.txt)", "![img](img.png)",
    "![ext](https://evil.example/x.png)", '<img src="https://evil.example/x.png">',
    "<script>alert(1)</script>", '<script src="//evil.example/x.js"></script>',
    '<iframe src="//evil.example/"></iframe>',
    "<style>body{background:url(http://evil.example/a.png)}</style>",
    '<link rel=stylesheet href="https://evil.example/a.css">',
    '<a href="javascript:alert(1)">x</a>', '<a href="https://ok.example/">ok</a>',
    '<base href="https://evil.example/">', '<meta http-equiv="refresh" content="0;url=x">',
    "<div style=\"background:url('//evil.example/a')\">x</div>", "```\ncode <script>\n```\n",
    "    indented code\n", "&amp; &lt; &#0; &#x110000; &bogus;", "\u202e rtl override",
    "\x00", "\ufeff", "\r\n", "\r", "<img src=x onerror=alert(1)>",
    '<object data="//evil.example/x"></object>', "<!-- comment -->", "<![CDATA[ x ]]>",
    "<", ">", "<<<<", "[x]: https://evil.example/ref.png\n\n![ref][x]\n", "*" * 300,
    "[" * 200, "<div>" * 100, "\t", "{{ 7*7 }}", "{% include 'base.html' %}",
    '<img srcset="img.png 1x, https://evil.example/b.png 2x">',
    '<video poster="https://evil.example/p.png"></video>',
    '<form action="https://evil.example/"><input type=image src="https://evil.example/i"></form>',
    '![](img.png "title")', "[x](other.md#anchor)", "[x](#top)", "[x](?q=1)", "[x](./)",
    "[x](sub/)", "[x](img.png?x=1)", '<img src="img.png">', '<a href="other.md">o</a>',
    '<a href="%2e%2e/%2e%2e/etc/passwd">e</a>', "\n---\n", "---\ntitle: again\n---\n",
    "<img src=\"\\\\evil.example/x.png\">", '<img src="HTTPS://EVIL.EXAMPLE/x.png">',
    '<img src=" //evil.example/x.png">', '<embed src="https://evil.example/e">',
    "> " * 120 + "deep\n", "  " * 60 + "- deep list\n",
]

YAML_ODDITIES = [
    "2026-11-25T12:30:00+06:00", "2026-13-45", "2026-02-30", "yesterday", "9999-12-31",
    "0001-01-01", "2026-11-25", "2026-11-25T25:61:00", "1e400", ".nan", "~", "{a: 1}",
    "[a, b", "!!python/object/apply:os.system ['true']", "*alias", "&anchor x", "'unclosed",
    '"\\x00"', "|\n  block\n  text", ">-\n  folded", "- a\n- b", "? complex\n: key", "@at",
    "`tick", "%TAG", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2026-01-01",
    "2026-11-25 12:30:00", "12:30", "0x1F", "0o17", "yes", "no", "on", "null", "ü" * 300,
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(YAML_ODDITIES))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
keys = st.sampled_from([*KEYS, "titel", "évil", "../x", "draft ", "", "Title", "123"])


@st.composite
def front_matter(draw: Any) -> str:
    lines = []
    if draw(st.booleans()):  # usually a valid core, so deeper code runs too
        lines += ['title: "A title"', "date: 2026-11-25T12:30:00+06:00"]
    for key in draw(st.lists(keys, max_size=5, unique=True)):
        if draw(st.booleans()):
            dumped = yaml.safe_dump({key: draw(values)}, allow_unicode=True).rstrip("\n")
            lines.append(dumped)
        else:
            lines.append(f"{key}: {draw(st.sampled_from(YAML_ODDITIES))}")
    return "\n".join(lines)


bodies = st.lists(st.one_of(st.sampled_from(HOSTILE_BODY), st.text(max_size=40)),
                  max_size=10).map("".join)


@st.composite
def article_bytes(draw: Any) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))  # anything at all
    text = f"---\n{draw(front_matter())}\n---\n{draw(bodies)}\n"
    shape = draw(st.sampled_from(["lf", "lf", "lf", "crlf", "cr", "bom", "no-close",
                                  "no-open", "bad-byte", "latin-1"]))
    if shape == "crlf":
        text = text.replace("\n", "\r\n")
    elif shape == "cr":
        text = text.replace("\n", "\r")
    elif shape == "bom":
        text = "\ufeff" + text
    elif shape == "no-close":
        text = text.replace("\n---\n", "\n", 1)
    elif shape == "no-open":
        text = text.removeprefix("---\n")
    data = text.encode("utf-8", "surrogatepass")
    if shape == "bad-byte":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"])) \
            + data[at:]
    elif shape == "latin-1":
        data = text.encode("latin-1", "replace")
    return data


# Odd but legitimate: each of these must build, and the copy must stay sound.
TRICKY_BODY = [
    "# Heading\n", "###### deep\n", "> quote\n", "- item\n  - nested\n", "1. one\n\n",
    "[other](other.md)", "![img](img.png)", '<a href="https://ok.example/">ok</a>',
    "\n\n```\ncode <script>alert(1)</script> <img src=https://evil.example/x>\n```\n\n",
    "\n\n    indented code\n\n", "`<img src=https://evil.example/i>`",
    "&amp; &lt; &#0; &#x110000; &bogus; &#128512;", "\u202e rtl override \u200f",
    "\r\n", "<!-- comment <b> -->", "a < b > c", "<<<<", "*" * 300,
    "[" * 200, "{{ 7*7 }}", "{% include 'base.html' %}", '![](img.png "title")',
    '<img srcset="img.png 1x, img.png 2x" src="img.png" alt="">', "[x](other.md#anchor)",
    "[x](#top)", "[x](img.png?x=1)", '<a href="other.md">o</a>', "\n---\n", "\u00a0\u200d",
    "[mail](mailto:x@example.org)", "<https://example.org/auto>", "www.example.org",
    "| a | b |\n|---|---|\n| 1 | 2 |\n", "Term\n: definition\n", "text[^1]\n\n[^1]: note\n",
    '<span style="color:red">red</span>', "<abbr title=\"x\">X</abbr>", "\\<script\\>",
    "[sub doc](sub/doc.txt)", "![a](img.png){: .cls }",
]
plain_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                             blacklist_characters="\x00<>[]()!&`\\"),
                     max_size=40)
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                max_size=60).filter(str.strip)


@st.composite
def tricky_article(draw: Any) -> str:
    front = {"title": draw(texts), "date": draw(st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-12)),
                                   timezone(timedelta(hours=14))]))).isoformat()}
    for key, strategy in (("author", texts), ("summary", texts),
                          ("tags", st.lists(texts, max_size=4)),
                          ("lang", st.sampled_from(["ru", "ky", "fa", "ar", "he", "en-GB"]))):
        if draw(st.booleans()):
            front[key] = draw(strategy)
    body = "".join(draw(st.lists(st.one_of(st.sampled_from(TRICKY_BODY), plain_text),
                                 max_size=12)))
    return "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body + "\n"


def _site(root: Path, extra_site: dict[str, Any] | None = None) -> Path:
    """A small site whose post.md the test replaces; other.md and img.png are fine."""
    config = write_site(root, {"other.md": article("Other", body="Fine.")},
                        files={"img.png": b"\x89PNG fake", "sub/doc.txt": b"doc"},
                        **(extra_site or {}))
    (root.parent / "secret.txt").write_bytes(SECRET)
    return config


@PROPERTY
@given(data=article_bytes())
def test_any_article_builds_or_fails_with_one_line_naming_it(data: bytes,
                                                             tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        config = _site(root)
        (root / "content" / "post.md").write_bytes(data)
        code, err = build_in_process(config)
        event(f"exit {code}")  # --hypothesis-show-statistics: how many built, how many not
        assert_clean_outcome(code, err, ["post.md"])
        if code == 0:  # the site does not allow external loads: no article can
            assert_built_site_is_sound(root, allow_external=False)
            for page in (root / "public").rglob("*"):
                assert not page.is_file() or SECRET not in page.read_bytes()


@settings(PROPERTY, max_examples=150)
@given(text=tricky_article())
def test_odd_but_legitimate_articles_build_into_a_sound_copy(text: str,
                                                             tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        config = _site(root)
        (root / "content" / "post.md").write_text(text, encoding="utf-8")
        code, err = build_in_process(config)
        assert code == 0, err
        assert_built_site_is_sound(root, allow_external=False)
        feed = ElementTree.parse(root / "public" / "feed.xml").getroot()
        entries = feed.findall("{http://www.w3.org/2005/Atom}entry")
        assert len(entries) == 2  # post.md and other.md


name_bytes = st.binary(min_size=1, max_size=255).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b".."))


@settings(PROPERTY, max_examples=100)
@given(names=st.lists(name_bytes, min_size=1, max_size=3, unique=True),
       article_name=name_bytes)
def test_any_file_names_build_or_fail_naming_the_file(names: list[bytes], article_name: bytes,
                                                      tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        config = _site(root)
        content = os.fsencode(root / "content")
        for name in names:
            with open(os.path.join(content, name), "wb") as handle:
                handle.write(b"data " + name)
        md_name = article_name[:252] + b".md"
        with open(os.path.join(content, md_name), "wb") as handle:
            handle.write(article("Named", body="Body.").encode())
        code, err = build_in_process(config)
        assert_clean_outcome(code, err, ["content/"])
        if code == 0:
            assert_built_site_is_sound(root, allow_external=False)
            for path in (root / "public").rglob("*"):
                rel = path.relative_to(root / "public").as_posix()
                assert rel.isascii() and " " not in rel, rel


@settings(PROPERTY, max_examples=8)
@given(data=article_bytes())
def test_the_real_command_answers_hostile_articles_with_0_or_1(data: bytes, tmp_path: Path,
                                                               tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        root = Path(folder) / "site"
        _site(root)
        (root / "content" / "post.md").write_bytes(data)
        result = mirrorpub("build", cwd=root)
        assert_no_traceback(result)
        assert_clean_outcome(result.returncode, result.stderr, ["post.md"])


# --- explicit escapes ---------------------------------------------------------------------

def _build(root: Path) -> Any:
    result = mirrorpub("build", cwd=root)
    assert_no_traceback(result)
    return result


def _no_secret(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and "public" in path.parts:
            assert SECRET not in path.read_bytes(), f"{path} leaks the secret"


@pytest.mark.parametrize("slug", ["../escape", "/etc/passwd", "a/../../b", "..", "x" * 81,
                                  "UPPER", "", "a b", "a\\b", "%2e%2e", "ы"])
def test_slugs_that_try_to_escape_are_refused_naming_file_and_line(
        slug: str, tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    write_site(tmp_path, {"post.md": article("T", slug=slug)})
    result = _build(tmp_path)
    assert result.returncode == 1
    assert "content/post.md:4" in result.stderr and "slug" in result.stderr, result.stderr
    assert not (tmp_path / "escape.html").exists() and not (tmp_path.parent / "b.html").exists()


@pytest.mark.parametrize("link", ["[x](../secret.txt)", "[x](../../secret.txt)",
                                  "![x](/etc/passwd)", "![x](file:///etc/passwd)",
                                  "[x](..%2Fsecret.txt)", "![x](sub/../../secret.txt)",
                                  "<img src=\"../secret.txt\">", "[x](%2E%2E/secret.txt)"])
def test_links_out_of_content_are_refused_naming_file_and_line(
        link: str, tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    root = tmp_path / "site"
    _site(root)
    (root / "content" / "post.md").write_text(article("T", body=f"One.\n\nTwo {link}.\n"))
    result = _build(root)
    assert result.returncode == 1
    assert "content/post.md:7" in result.stderr, result.stderr
    _no_secret(tmp_path)


@pytest.mark.parametrize("kind", ["file", "folder", "article", "dangling", "loop", "nested"])
def test_symlinks_out_of_content_are_refused(kind: str, tmp_path: Path,
                                             tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    root = tmp_path / "site"
    _site(root)
    content = root / "content"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.png").write_bytes(SECRET)
    (outside / "leak.md").write_text(article("Leak", body=SECRET.decode()))
    link = {"file": content / "leak.png", "folder": content / "stuff",
            "article": content / "leak.md", "dangling": content / "gone.png",
            "loop": content / "loop", "nested": content / "sub" / "deeper"}[kind]
    target = {"file": outside / "leak.png", "folder": outside, "article": outside / "leak.md",
              "dangling": tmp_path / "nothing.png", "loop": content / "loop",
              "nested": Path("../../outside")}[kind]
    link.symlink_to(target)
    result = _build(root)
    assert result.returncode == 1, result.stderr
    assert f"content/{link.relative_to(content).as_posix()}" in result.stderr, result.stderr
    _no_secret(tmp_path)


def test_a_symlink_inside_content_is_fine(tmp_path: Path) -> None:
    root = tmp_path / "site"
    _site(root)
    (root / "content" / "same.png").symlink_to(root / "content" / "img.png")
    (root / "content" / "post.md").write_text(article("T", body="![a](same.png)"))
    assert _build(root).returncode == 0


def test_long_and_strange_names_publish_under_short_ascii_paths(tmp_path: Path) -> None:
    names = {"й" * 126 + ".md": "cyrillic", "x" * 252 + ".md": "latin",
             "a b ? # % & ' \" < > .md": "punctuation", "ﷺ‮evil.md": "bidi"}
    articles = {name: article(title) for name, title in names.items()}
    files = {"ф" * 120 + ".png": b"png", "deep/" + "/".join(["д" * 100] * 8) + "/f.txt": b"t"}
    write_site(tmp_path, articles, files=files)
    result = _build(tmp_path)
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "public").rglob("*"):
        rel = path.relative_to(tmp_path / "public").as_posix()
        assert rel.isascii() and len(rel) < 1024, rel
        assert all(len(part) <= 100 for part in rel.split("/")), rel
    assert_built_site_is_sound(tmp_path, allow_external=False)


def test_nul_in_an_article_names_file_and_line(tmp_path: Path) -> None:
    write_site(tmp_path, {"post.md": article("T", body="one\ntwo\nthree\x00four\n")},
               files={"blob.bin": b"\x00\x01\x00" * 100})
    result = _build(tmp_path)
    assert result.returncode == 1
    assert "content/post.md:7" in result.stderr and "NUL" in result.stderr, result.stderr


@pytest.mark.parametrize(("data", "line"), [
    (article("T", body="ok\nok\n").encode() + b"bad \xff byte\n", 8),
    (b"---\ntitle: \"caf\xe9\"\ndate: 2026-11-25\n---\nbody\n", 2),
    ("---\ntitle: T\ndate: 2026-11-25\n---\nüñí\n".encode("utf-16"), 1),
])
def test_invalid_utf8_names_file_and_line(data: bytes, line: int, tmp_path: Path,
                                          tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    write_site(tmp_path, {})
    (tmp_path / "content" / "post.md").write_bytes(data)
    result = _build(tmp_path)
    assert result.returncode == 1
    assert f"content/post.md:{line}: " in result.stderr and "UTF-8" in result.stderr, \
        result.stderr


def test_template_syntax_in_articles_is_not_run(tmp_path: Path) -> None:
    write_site(tmp_path, {"post.md": article("{{ 7*7 }} {% if true %}", body="{{ 6*7 }}")})
    assert _build(tmp_path).returncode == 0
    page = (tmp_path / "public" / "articles" / "post.html").read_text()
    assert "{{ 7*7 }}" in page and "{{ 6*7 }}" in page and ">42<" not in page


@pytest.mark.parametrize("template", [
    '{% include "../../secret.txt" %}', '{% include "/etc/passwd" %}',
    '{% extends "../secret.txt" %}', '{% import "../../../../etc/passwd" as x %}'])
def test_templates_cannot_include_files_outside_the_theme(template: str, tmp_path: Path,
                                                          tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    root = tmp_path / "site"
    _site(root)
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(template)
    result = _build(root)
    assert result.returncode == 1
    assert "templates/article.html" in result.stderr, result.stderr
    assert "root:" not in result.stderr and SECRET.decode() not in result.stderr
    _no_secret(tmp_path)


@pytest.mark.parametrize("kind", ["template file", "templates folder", "nested folder"])
def test_template_links_out_of_the_site_are_refused(kind: str, tmp_path: Path,
                                                    tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    root = tmp_path / "site"
    _site(root)
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "article.html").write_bytes(SECRET)
    templates = root / "templates"
    if kind == "template file":
        templates.mkdir()
        (templates / "article.html").symlink_to(tmp_path / "secret.txt")
    elif kind == "templates folder":
        templates.symlink_to(evil)
    else:
        templates.mkdir()
        (templates / "partials").symlink_to(evil)
    result = _build(root)
    assert result.returncode == 1
    assert "templates" in result.stderr and "link" in result.stderr, result.stderr
    _no_secret(tmp_path)


# --- raw HTML that loads from elsewhere -----------------------------------------------------

EXTERNAL_LOADS = [
    '<img src="https://evil.example/pixel.gif">',
    '<img src="HTTP://EVIL.EXAMPLE/pixel.gif">',
    '<img src="//evil.example/pixel.gif">',
    '<img src="  https://evil.example/pixel.gif">',
    '<img src="ht&#x09;tps://evil.example/pixel.gif">',
    '<img src="&#104;ttps://evil.example/pixel.gif">',
    '<img srcset="https://evil.example/a.png 2x">',
    '<iframe src="//evil.example/frame"></iframe>',
    '<style>body { background: url(http://evil.example/bg.png) }</style>',
    '<style>@import "https://evil.example/a.css";</style>',
    '<style>@import url(//evil.example/a.css);</style>',
    '<style>@font-face { src: url("https://evil.example/f.woff") }</style>',
    '<style>div { background: url(\\68 ttps://evil.example/bg.png) }</style>',
    '<style>div { background-image: image-set("https://evil.example/a.png" 1x) }</style>',
    '<div style="background:url(https://evil.example/bg.png)">x</div>',
    '<div style="background:url(&quot;//evil.example/bg.png&quot;)">x</div>',
    '<video src="https://evil.example/v.mp4"></video>',
    '<video poster="https://evil.example/p.png"></video>',
    '<audio><source src="https://evil.example/a.ogg"></audio>',
    '<input type="image" src="https://evil.example/i.png">',
    '<table background="https://evil.example/t.png"><tr><td>x</td></tr></table>',
    "![pixel](https://evil.example/pixel.gif)",
    "[ref]: https://evil.example/r.png\n\n![r][ref]",
    '<image src="https://evil.example/i.png">',
    '<style>div { background: u\\72l(https://evil.example/bg.png) }</style>',
]


# Refused whatever the site allows: each can run a script, or a page of its own.
SCRIPTING = [
    '<script src="https://evil.example/x.js"></script>',
    '<link rel="stylesheet" href="https://evil.example/a.css">',
    '<link rel=preload href=//evil.example/font.woff2 as=font>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<svg><image href="https://evil.example/i.png"/></svg>',
    '<svg><image xlink:href="https://evil.example/i.png"/></svg>',
    '<iframe srcdoc="<img src=https://evil.example/i.png>"></iframe>',
    '<svg><style>@import url(&#104;ttps://evil.example/a.css);</style></svg>',
    '<svg><image><set attributeName="href" to="https://evil.example/i.png"/>'
    "</image></svg>",
]


def _refused_naming_the_line(tmp_path: Path, body: str, html: str) -> None:
    refused = _build(tmp_path)
    assert refused.returncode == 1, f"not refused: {html}"
    first_line = html.splitlines()[0]
    line = 4 + body.splitlines().index(first_line) + 1  # after 4 lines of front matter
    shown = refused.stderr.strip()
    assert re.search(rf"content/post\.md:{line}: ", shown), shown
    assert len(shown.splitlines()) == 1, shown


@pytest.mark.parametrize("html", EXTERNAL_LOADS)
def test_raw_html_loading_from_elsewhere_is_refused_unless_the_site_allows_it(
        html: str, tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    body = f"First paragraph.\n\nSecond.\n\n{html}\n"
    write_site(tmp_path, {"post.md": article("T", body=body)})
    _refused_naming_the_line(tmp_path, body, html)

    write_site(tmp_path, {"post.md": article("T", body=body)}, allow_external=True)
    allowed = _build(tmp_path)
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize("html", SCRIPTING)
def test_what_can_run_scripts_is_refused_even_when_the_site_allows_external_loads(
        html: str, tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    body = f"First paragraph.\n\nSecond.\n\n{html}\n"
    for allow in (False, True):
        write_site(tmp_path, {"post.md": article("T", body=body)}, allow_external=allow)
        _refused_naming_the_line(tmp_path, body, html)


@pytest.mark.parametrize("html", ['<a href="javascript:alert(1)">x</a>',
                                  '<a href="vbscript:x">x</a>', '<img src="file:///etc/passwd">',
                                  '<a href="data:text/html,<script>x</script>">x</a>'])
def test_dangerous_schemes_are_refused_even_when_external_loads_are_allowed(
        html: str, tmp_path: Path, tally: Counter[str]) -> None:
    tally["hostile inputs tried"] += 1
    write_site(tmp_path, {"post.md": article("T", body=html)}, allow_external=True)
    result = _build(tmp_path)
    assert result.returncode == 1 and "content/post.md:" in result.stderr, result.stderr


def test_links_to_other_sites_are_fine(tmp_path: Path) -> None:
    body = ('[a](https://example.org/) <a href="mailto:x@example.org">m</a> '
            '<form action="https://example.org/"></form>')
    write_site(tmp_path, {"post.md": article("T", body=body)})
    assert _build(tmp_path).returncode == 0


def test_a_link_without_scheme_is_refused_with_the_fix(tmp_path: Path) -> None:
    # "//example.org/x" would open file://example.org/x from a copy on a USB stick.
    write_site(tmp_path, {"post.md": article("T", body='<a href="//example.org/x">p</a>')})
    result = _build(tmp_path)
    assert result.returncode == 1
    assert "content/post.md:5" in result.stderr and "https://example.org/x" in result.stderr
