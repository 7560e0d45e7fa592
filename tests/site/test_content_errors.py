"""Content problems come all at once, one line each (issue 20): an editor fixes them in
one go instead of one build per mistake; nothing is pushed after a failed build."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.errors import CONTENT_ERRORS_SHOWN
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site


def test_every_broken_article_is_named_on_its_own_line(tmp_path: Path) -> None:
    write_site(tmp_path, {
        "good.md": article("Good"),
        "no-title.md": "---\ndate: 2026-11-25\n---\nBody.\n",
        "bad-date.md": "---\ntitle: Bad date\nauthor: Me\ndate: 2026-13-45\n---\nBody.\n",
        "unclosed.md": "---\ntitle: Unclosed\n",
    }, mirrors=[{"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])
    for command in ("build", "publish"):
        result = mirrorpub(command, cwd=tmp_path)
        assert_no_traceback(result)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 3, result.stderr
        assert any(x.endswith("content/no-title.md:2: front matter needs 'title:'")
                   for x in lines), lines
        (date,) = [x for x in lines if "content/bad-date.md:4:" in x]
        assert "front matter 'date': 2026-13-45 is not a real date" in date
        assert "YAML" not in date
        assert any("content/unclosed.md:1: front matter is not closed" in x for x in lines)
    assert not (tmp_path / "usb").exists()  # nothing pushed


def test_broken_links_in_several_articles_are_listed_together(tmp_path: Path) -> None:
    write_site(tmp_path, {
        "a.md": article("A", body="See [gone](gone.md)."),
        "b.md": article("B", body="![map](img/missing.png)"),
        "c.md": article("C", body="Back to [a](a.md)."),
    })
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert [x.split(":")[1].strip() for x in lines] == ["content/a.md", "content/b.md"], lines
    assert "gone.md" in lines[0] and "img/missing.png" in lines[1]


def test_past_the_cap_the_rest_are_counted(tmp_path: Path) -> None:
    broken = CONTENT_ERRORS_SHOWN + 5
    write_site(tmp_path, {f"a{i:02d}.md": "---\ndate: 2026-11-25\n---\nBody.\n"
                          for i in range(broken)})
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == CONTENT_ERRORS_SHOWN + 1
    assert all("front matter needs 'title:'" in x for x in lines[:-1])
    assert "and 5 more content problems" in lines[-1]
