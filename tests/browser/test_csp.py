"""Every page's Content-Security-Policy, in Debian's Chromium, on each kind of copy:

    s3      path-style URL on SeaweedFS    http://127.0.0.1:P/BUCKET/…
    ipfs    kubo's gateway, under a path   http://127.0.0.1:G/ipfs/CID/…
    bundle  the unzipped bundle            file:///…/

The pages work under it (pictures and styles load, mirrors.html's own inline script runs,
nothing is reported as blocked), and a script that reached a page some other way (written
into the copy itself, past the build) does not run: neither a <script> nor an event
handler. The same page without the policy's <meta> runs both, so the test would notice a
policy that blocks nothing.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.browser.newsroom import write_newsroom
from tests.browser.reader import Traffic, follow, open_page, phone
from tests.sitekit import mirrorpub

pytestmark = [pytest.mark.browser, pytest.mark.s3, pytest.mark.ipfs]

COPIES = ["s3", "ipfs", "bundle"]
GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
INJECTED = ('<script>document.title = "script ran";</script>'
            f'<img alt="" src="{GIF}" onload="document.title = \'handler ran\'">')
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">\n?')


@pytest.fixture(scope="module")
def copies(seaweed: Any, kubo_daemon: Any, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Any]:
    """One newsroom published to a bucket and to kubo, and bundled; each copy's base URL,
    and a way to add a page to it (as someone who controls the copy could)."""
    root = tmp_path_factory.mktemp("csp-newsroom")
    bucket = seaweed.make_bucket(public=True)
    write_newsroom(root, articles=3, mirrors=[
        {"name": "bucket", "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
         "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET"},
        {"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
         "gateways": [kubo_daemon.gateway_url]},
    ])
    mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)
    mirrorpub("bundle", "-o", "site.zip", cwd=root, env=seaweed.env(), check=True)
    with zipfile.ZipFile(root / "site.zip") as archive:
        archive.extractall(root / "unzipped")
    (folder,) = [p for p in (root / "unzipped").iterdir() if p.is_dir()]
    s3 = seaweed.public_url(bucket)
    manifest = httpx.get(s3 + "mirrors.json", timeout=10).json()
    cid = next(m["cid"] for m in manifest["mirrors"] if m["name"] == "ipfs")

    def add_to_s3(pages: dict[str, bytes]) -> str:
        for path, data in pages.items():
            seaweed.client().put_object(Bucket=bucket, Key=path, Body=data,
                                        ContentType="text/html; charset=utf-8")
        return s3

    def add_to_ipfs(pages: dict[str, bytes]) -> str:
        tree = root / "ipfs-extra"
        for path, data in pages.items():
            (tree / path).parent.mkdir(parents=True, exist_ok=True)
            (tree / path).write_bytes(data)
        added = kubo_daemon.cli("add", "-r", "-Q", "--cid-version=1", str(tree)).stdout
        return f"{kubo_daemon.gateway_url}/ipfs/{added.strip()}/"

    def add_to_folder(pages: dict[str, bytes]) -> str:
        for path, data in pages.items():
            (folder / path).write_bytes(data)
        return folder.as_uri() + "/"

    return {"base": {"s3": s3, "ipfs": f"{kubo_daemon.gateway_url}/ipfs/{cid}/",
                     "bundle": folder.as_uri() + "/"},
            "add": {"s3": add_to_s3, "ipfs": add_to_ipfs, "bundle": add_to_folder},
            "article": (root / "public" / "articles" / "report.html").read_text("utf-8")}


def watch_policy(page: Page) -> list[str]:
    """Chromium's reports of what the page's Content-Security-Policy blocked."""
    blocked: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    return blocked


@pytest.mark.parametrize("copy", COPIES)
def test_pages_work_under_their_policy_and_the_themes_own_script_runs(
        copy: str, browser: Browser, copies: dict[str, Any]) -> None:
    base = copies["base"][copy]
    traffic = Traffic(base)
    context = phone(browser)
    try:
        page = context.new_page()
        blocked = watch_policy(page)
        traffic.watch(page)
        page.goto(base + "articles/report.html", wait_until="load")
        picture = page.locator("main img").first
        picture.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=picture.element_handle())
        assert picture.evaluate("img => img.naturalWidth") > 0, "the picture did not load"
        styled = page.evaluate("getComputedStyle(document.querySelector('a.skip')).position")
        assert styled == "absolute", "the theme's inline style did not apply"
        follow(page, "footer.copies a[href$='mirrors.html']")
        # The optional "newer list" part is shown by the theme's inline script only.
        assert page.locator("#check-copies").is_visible(), "the theme's script did not run"
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert not blocked, blocked
    assert not traffic.problems(), traffic.problems()


@pytest.mark.parametrize("copy", COPIES)
def test_a_script_written_into_a_page_does_not_run(copy: str, browser: Browser,
                                                   copies: dict[str, Any]) -> None:
    article = copies["article"]
    assert _CSP_META.search(article), "the built page has no policy"
    injected = article.replace("<main", INJECTED + "<main", 1)
    base = copies["add"][copy]({"articles/injected.html": injected.encode(),
                                "articles/unprotected.html":
                                    _CSP_META.sub("", injected, 1).encode()})
    context = phone(browser)
    try:
        page = open_page(context, base + "articles/unprotected.html", Traffic(base))
        page.wait_for_function("document.title.endsWith('ran')")  # the control: both run
        page = context.new_page()
        blocked = watch_policy(page)
        page.goto(base + "articles/injected.html", wait_until="load")
        page.wait_for_function("document.images[0].complete")
        title = page.title()
    finally:
        context.close()
    assert title.startswith("Contracts went to a circle"), title
    assert any("inline script" in m for m in blocked), blocked
    assert any("event handler" in m for m in blocked), blocked


def test_the_policy_names_the_themes_script_by_hash_and_nothing_external(
        copies: dict[str, Any]) -> None:
    page = httpx.get(copies["base"]["s3"] + "mirrors.html", timeout=10).text
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy, page[:500]
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";"))
    assert directives["default-src"] == "'none'"
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", directives["script-src"])
    assert "http" not in " ".join(v for k, v in directives.items() if k != "connect-src")
    assert copies["base"]["s3"].rstrip("/").rsplit("/", 1)[0] in directives["connect-src"]
