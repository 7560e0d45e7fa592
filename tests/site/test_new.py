"""`mirrorpub new "Title"`: a draft article to write in, never over an existing one."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.config import load_config
from mirrorpub.content.frontmatter import split
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site


def test_new_writes_a_draft_with_its_front_matter_and_prints_its_path(tmp_path: Path) -> None:
    write_site(tmp_path, {"old.md": article("Old")})
    result = mirrorpub("new", "Суд: решение «о блокировке»", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "content/sud-reshenie-o-blokirovke.md\n"
    text = (tmp_path / "content" / "sud-reshenie-o-blokirovke.md").read_text(encoding="utf-8")
    front = split("x.md", text).front
    assert front.title == "Суд: решение «о блокировке»" and front.draft is True
    assert front.date.tzinfo is not None
    built = mirrorpub("build", cwd=tmp_path, check=True)  # a draft: built, never published
    assert_no_traceback(built)
    assert not (tmp_path / "public" / "articles" / "sud-reshenie-o-blokirovke.html").exists()


def test_new_never_overwrites(tmp_path: Path) -> None:
    write_site(tmp_path, {"court-hearing.md": article("Court hearing", body="My work.")})
    result = mirrorpub("new", "Court hearing", cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: content/court-hearing.md already exists; not "
                                     "overwriting it (choose another title, or edit that file)")
    assert "My work." in (tmp_path / "content" / "court-hearing.md").read_text(encoding="utf-8")


def test_new_writes_into_the_configured_content_folder(tmp_path: Path) -> None:
    write_site(tmp_path, {}, content_dir="articles")
    (tmp_path / "articles").mkdir()
    result = mirrorpub("new", "Hello", "-c", "mirrorpub.toml", cwd=tmp_path, check=True)
    assert result.stdout.strip() == "articles/hello.md"
    assert load_config(tmp_path / "mirrorpub.toml").site.content_dir.joinpath("hello.md").is_file()
