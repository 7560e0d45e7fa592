"""`mirrorpub serve` in Debian's Chromium: an editor saves the article they are looking
at, and the open page shows the new text by itself, under the page's own policy (nothing
reported as blocked)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.reader import Traffic, phone
from tests.sitekit import article, serving, write_site

pytestmark = pytest.mark.browser


def test_an_edited_article_updates_in_the_open_page(browser: Browser, tmp_path: Path) -> None:
    write_site(tmp_path, {"story.md": article("A story", body="The first version.")})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serving(tmp_path, "--port", str(port)) as preview:
        context = phone(browser)
        blocked: list[str] = []
        traffic = Traffic(preview.url)
        page = context.new_page()
        traffic.watch(page)
        page.on("console", lambda m: "Content Security Policy" in m.text and
                blocked.append(m.text))
        page.goto(preview.url + "articles/story.html", wait_until="load")
        expect(page.locator("main")).to_contain_text("The first version.")
        loads = []
        page.on("load", lambda: loads.append(page.url))

        (tmp_path / "content" / "story.md").write_text(
            article("A story, corrected", body="The second version."), encoding="utf-8")

        expect(page.locator("main")).to_contain_text("The second version.", timeout=30_000)
        assert "A story, corrected" in page.title()
        assert loads == [preview.url + "articles/story.html"]  # reloaded itself, once
        assert blocked == [] and traffic.outside() == []
        context.close()
