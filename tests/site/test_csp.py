"""The Content-Security-Policy in every page follows the theme, whatever the theme is.

A site's own template with an inline script of its own gets that script's hash (computed
here from the script as written, the way a browser hashes it); the article body never
contributes one; a theme that leaves out the policy's <meta> is refused, one line.
(tests/browser/test_csp.py checks in Chromium that the policy does what it says.)
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from mirrorpub.site.pages import Entry, PageRenderer, SiteContext
from mirrorpub.site.theme import Theme
from mirrorpub.site.words import Words
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

OWN_SCRIPT = 'document.documentElement.dataset.theme = "mine";'
OVERRIDE = ('{% extends "base.html" %}{% block main %}<h1>{{ article.title }}</h1>'
            "{{ body | safe }}<script>" + OWN_SCRIPT + "</script>{% endblock %}")


def policy_of(page: str) -> dict[str, list[str]]:
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page)
    assert match, page[:400]
    return {d.split()[0]: d.split()[1:] for d in match.group(1).split(";")}


def sha256_source(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


def test_a_themes_own_inline_script_is_allowed_by_its_hash(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A", body="Body <em>text</em>.")})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "article.html").write_text(OVERRIDE, encoding="utf-8")
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "public" / "articles" / "a.html").read_text(encoding="utf-8")
    policy = policy_of(page)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [sha256_source(OWN_SCRIPT)]
    index = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "script-src" not in policy_of(index)  # no script there: none may run


def test_a_theme_without_the_policy_is_refused(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A")})
    (tmp_path / "templates").mkdir()
    base = (Path(__file__).resolve().parents[2] / "templates" / "base.html").read_text()
    (tmp_path / "templates" / "base.html").write_text(
        re.sub(r"<meta http-equiv=\"Content-Security-Policy\"[^>]*>\n", "", base),
        encoding="utf-8")
    result = mirrorpub("build", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Content-Security-Policy" in result.stderr and "{{ csp }}" in result.stderr


def test_a_script_in_the_article_body_never_gets_a_hash(tmp_path: Path) -> None:
    # links.py and sanitize.py keep scripts out of bodies; were one to slip through, the
    # policy is computed from the page without the body, so it still could not run.
    theme = Theme(None)
    site = SiteContext(title="T", description="", language="en", languages=("en",),
                       mirror_links=(), fingerprint=None, feed_id="urn:x")
    entry = Entry(slug="a", title="A", date="2026-01-01T00:00:00+00:00", updated=None,
                  summary="", lang="en", author=None, tags=())
    body = "<p>x</p><script>document.title = 'body';</script>"
    page = PageRenderer(theme, site, Words(None)).article(entry, body, []).decode("utf-8")
    assert body in page
    assert "script-src" not in policy_of(page)
