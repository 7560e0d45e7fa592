"""Readers are told to run `mirrorpub verify`; the copies page and the bundle's README.txt
also say, in one line and in the reader's language, how to get it."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.sitekit import article, mirrorpub, write_site

COMMAND, PAGE = "pipx install mirrorpub", "https://pypi.org/project/mirrorpub/"


def test_the_copies_page_and_the_readme_say_how_to_get_mirrorpub(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A")}, language="ru", languages=["ru", "en"])
    mirrorpub("build", cwd=tmp_path, check=True)
    russian = (tmp_path / "public" / "mirrors.html").read_text(encoding="utf-8")
    english = (tmp_path / "public" / "mirrors.en.html").read_text(encoding="utf-8")
    for page, words in ((russian, "установите её командой"), (english, "install it with")):
        line = next(line for line in page.splitlines() if COMMAND in line)
        assert words in line and f'href="{PAGE}"' in line
    mirrorpub("bundle", "-o", "site.zip", cwd=tmp_path, check=True)
    with zipfile.ZipFile(tmp_path / "site.zip") as archive:
        readme = archive.read("README.txt").decode("utf-8")
    line = next(line for line in readme.splitlines() if COMMAND in line)
    assert "установите её командой" in line and PAGE in line
