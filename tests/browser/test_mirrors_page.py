"""mirrors.html's optional button: it asks the other copies for a newer list of copies.

Nothing may be fetched before the reader presses it; then only the copies' mirrors.json
and its signature. A newer list counts only when its signature checks out with the key
printed on the page, so a copy someone took over cannot send readers elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.newsroom import make_key
from tests.browser.reader import Traffic, open_page, phone
from tests.sitekit import article, mirrorpub, write_site

pytestmark = [pytest.mark.browser, pytest.mark.s3]

CURRENT = "This list is the newest the other copies know."


@pytest.fixture
def two_buckets(seaweed: Any, tmp_path: Path) -> dict[str, Any]:
    """A signed site published to two buckets of one SeaweedFS (one origin, two copies)."""
    buckets = {"a": seaweed.make_bucket(), "b": seaweed.make_bucket()}
    write_site(tmp_path, {"one.md": article("First story", body="Some news.")},
               signing_key=make_key(tmp_path), mirrors=[
                   {"name": name, "type": "s3", "bucket": bucket,
                    "endpoint_url": seaweed.endpoint, "access_key_id_env": "TEST_S3_KEY",
                    "secret_access_key_env": "TEST_S3_SECRET"}
                   for name, bucket in buckets.items()])
    mirrorpub("publish", cwd=tmp_path, env=seaweed.env(), check=True)
    return {"root": tmp_path, "buckets": buckets,
            **{name: seaweed.public_url(bucket) for name, bucket in buckets.items()}}


def ask_the_copies(page: Page) -> str:
    page.locator("#check-copies").click()
    page.wait_for_function("() => { const t = document.getElementById('newer-result')"
                           ".textContent; return t && t !== '…'; }")
    return page.locator("#newer-result").inner_text()


def result_links(page: Page) -> list[str]:
    return page.locator("#newer-result a").evaluate_all("links => links.map(a => a.href)")


def test_nothing_is_fetched_until_the_reader_asks(browser: Browser,
                                                  two_buckets: dict[str, Any]) -> None:
    a, b = two_buckets["a"], two_buckets["b"]
    traffic = Traffic(a)
    context = phone(browser)
    try:
        page = open_page(context, a + "mirrors.html", traffic)
        page.wait_for_load_state("networkidle")
        assert traffic.requests == [a + "mirrors.html"]
        assert page.locator("#check-copies").is_visible()

        answer = ask_the_copies(page)
    finally:
        context.close()
    asked = set(traffic.requests[1:])
    assert asked <= {a + "mirrors.json", a + "mirrors.json.sig", b + "mirrors.json",
                     b + "mirrors.json.sig"}, asked
    assert {b + "mirrors.json", b + "mirrors.json.sig"} <= asked
    assert answer == CURRENT
    assert not traffic.failed and not traffic.bad_status


def test_a_newer_signed_list_is_shown_and_a_forged_one_is_not(
        browser: Browser, seaweed: Any, two_buckets: dict[str, Any]) -> None:
    root, a, b = two_buckets["root"], two_buckets["a"], two_buckets["b"]
    # Only copy b gets the next version; copy a's page still says the one before.
    (root / "content" / "two.md").write_text(article("Second story", "2026-11-26T10:00:00Z"),
                                             encoding="utf-8")
    mirrorpub("publish", "--mirror", "b", cwd=root, env=seaweed.env(), check=True)
    newer = json.loads(seaweed.anonymous_get(two_buckets["buckets"]["b"],
                                             "mirrors.json").content)["version"]
    context = phone(browser)
    try:
        page = open_page(context, a + "mirrors.html", Traffic(a))
        answer = ask_the_copies(page)
        assert f"newer list (version {newer})" in answer, answer
        assert {a + "index.html", b + "index.html"} <= set(result_links(page))

        # Someone who controls bucket b raises the version and adds an address of theirs,
        # but cannot sign it.
        manifest = json.loads(seaweed.anonymous_get(two_buckets["buckets"]["b"],
                                                    "mirrors.json").content)
        manifest["version"] = 99
        manifest["mirrors"].append({"name": "trap", "type": "s3", "status": "active",
                                    "url": "https://forged.example/index.html"})
        seaweed.client().put_object(Bucket=two_buckets["buckets"]["b"], Key="mirrors.json",
                                    Body=json.dumps(manifest).encode())
        answer = ask_the_copies(page)
        links = result_links(page)
    finally:
        context.close()
    assert answer == CURRENT, answer
    assert not any("forged.example" in link for link in links)
