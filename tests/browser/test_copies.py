"""A reader opens each kind of copy in a real browser (Debian's Chromium, headless):

    s3      path-style URL on SeaweedFS    http://127.0.0.1:P/BUCKET/index.html
    ipfs    kubo's gateway                 http://127.0.0.1:G/ipfs/CID/index.html
    bundle  the unzipped `mirrorpub bundle` over file://  (a Persian, right-to-left site)

and clicks from the index to an article, a tag, mirrors.html and back. Every request the
browser makes is recorded: none may leave the copy (another origin or path prefix), fail,
or answer an error. Phone-size screenshots land in test-output/screenshots/.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from mirrorpub.trust.signing import fingerprint, parse_public_key
from tests.browser.newsroom import persian_site, write_newsroom
from tests.browser.reader import (
    BUDGET,
    Traffic,
    follow,
    open_page,
    outline_problems,
    page_facts,
    phone,
    shot,
    weight,
)
from tests.sitekit import mirrorpub

pytestmark = [pytest.mark.browser, pytest.mark.s3, pytest.mark.ipfs]

COPIES = ["s3", "ipfs", "bundle"]


@pytest.fixture(scope="module")
def published(seaweed: Any, kubo_daemon: Any, tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, Any]:
    """One English newsroom published with the CLI to a public bucket and to kubo."""
    root = tmp_path_factory.mktemp("newsroom")
    bucket = seaweed.make_bucket(public=True)
    write_newsroom(root, mirrors=[
        {"name": "bucket", "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
         "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET"},
        {"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
         "gateways": [kubo_daemon.gateway_url]},
    ])
    mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)
    s3_base = seaweed.public_url(bucket)
    manifest = httpx.get(s3_base + "mirrors.json", timeout=10).json()
    cid = next(m["cid"] for m in manifest["mirrors"] if m["name"] == "ipfs")
    return {"s3": s3_base, "ipfs": f"{kubo_daemon.gateway_url}/ipfs/{cid}/", "cid": cid,
            "manifest": manifest}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A Persian site as `mirrorpub bundle` makes it, unzipped; its file:// base URL."""
    root = tmp_path_factory.mktemp("persian")
    # A copy that published (an in-memory one, tests/plugins/): only such copies are named.
    persian_site(root, mirrors=[
        {"name": "bucket", "type": "memory", "bucket": "news-mirror-fa",
         "public_url": "https://news-mirror-fa.example/"}])
    mirrorpub("publish", cwd=root, check=True)
    mirrorpub("bundle", "-o", "site.zip", cwd=root, check=True)
    unpacked = root / "unzipped"
    with zipfile.ZipFile(root / "site.zip") as archive:
        archive.extractall(unpacked)
    (folder,) = [p for p in unpacked.iterdir() if p.is_dir()]
    return folder.as_uri() + "/"


def base_of(copy: str, request: pytest.FixtureRequest) -> str:
    if copy == "bundle":
        return request.getfixturevalue("bundled")
    return request.getfixturevalue("published")[copy]


def check_page(page: Page, traffic: Traffic) -> None:
    problems = outline_problems(page.url, page_facts(page))
    assert not problems, problems
    assert page.url.startswith(traffic.base), page.url


def pictures_show(page: Page) -> None:
    """Scroll every picture into view (they load lazily) and check it arrived."""
    for picture in page.locator("main img").all():
        picture.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=picture.element_handle())
        assert picture.evaluate("img => img.naturalWidth") > 0, picture.get_attribute("src")


@pytest.mark.parametrize("copy", COPIES)
def test_a_reader_clicks_through_without_leaving_the_copy(
        copy: str, browser: Browser, request: pytest.FixtureRequest) -> None:
    base = base_of(copy, request)
    traffic = Traffic(base)
    context = phone(browser)
    try:
        page = open_page(context, base + "index.html", traffic)
        check_page(page, traffic)
        assert page.locator("main .entry").count() >= 3
        shot(page, f"{copy}-index")

        follow(page, "main .entry h2 a")
        assert "/articles/" in page.url
        check_page(page, traffic)
        pictures_show(page)
        shot(page, f"{copy}-article")

        follow(page, "article .tags a")
        assert "/tags/" in page.url
        check_page(page, traffic)

        follow(page, "footer.copies a[href$='mirrors.html']")
        check_page(page, traffic)
        assert page.locator("#copies > li").count() >= 1
        shot(page, f"{copy}-mirrors")

        follow(page, "header.site a.brand")
        assert page.url == base + "index.html"
        if page.locator(".pages a[rel=next]").count():
            follow(page, ".pages a[rel=next]")
            check_page(page, traffic)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert traffic.requests, "the browser recorded no request at all"
    assert not traffic.problems(), traffic.problems()


@pytest.mark.parametrize("path", ["index.html", "articles/report.html",
                                  "articles/reach-us.html"])
def test_pages_stay_under_the_weight_budget(path: str, browser: Browser,
                                            published: dict[str, Any]) -> None:
    """SPEC §6.4: well under 50 KB without images, as a reader on a slow line receives it."""
    context = phone(browser)  # a fresh context: nothing comes from the cache
    try:
        traffic = Traffic(published["s3"])
        page = context.new_page()
        traffic.watch(page)
        response = page.goto(published["s3"] + path, wait_until="load")
        assert response is not None and response.ok
        document = len(response.body())
        sent = weight(page)
    finally:
        context.close()
    assert 0 < document < BUDGET, f"{path}: the HTML is {document} bytes"
    assert 0 < sent["document"] + sent["others"] < BUDGET, f"{path}: {sent}"
    # One request for the page; anything else it loads is a picture.
    pages = [u for u in traffic.requests if not u.endswith(".png")]
    assert pages == [published["s3"] + path], traffic.requests


@pytest.mark.parametrize("copy", ["s3", "bundle"])
def test_pages_are_complete_without_javascript(copy: str, browser: Browser,
                                               request: pytest.FixtureRequest) -> None:
    base = base_of(copy, request)
    traffic = Traffic(base)
    context = phone(browser, javascript=False)
    try:
        page = open_page(context, base + "index.html", traffic)
        assert page.locator("main .entry h2 a").first.is_visible()
        follow(page, "main .entry h2 a")
        assert page.locator("main h1").is_visible()
        assert page.locator("main article p").first.is_visible()
        assert page.locator("footer.copies").is_visible()
        follow(page, "nav a[href$='mirrors.html']")
        assert page.locator("#copies > li").first.is_visible()
        assert page.locator("main pre.cmd").first.is_visible()  # how to verify
        assert not page.locator("#newer").is_visible()  # the optional part needs a script
        shot(page, f"{copy}-mirrors-nojs")
    finally:
        context.close()
    assert not traffic.problems(), traffic.problems()


def test_mirrors_page_names_every_copy_and_how_to_check_it(
        browser: Browser, published: dict[str, Any]) -> None:
    bucket_url = published["s3"] + "index.html"
    gateway_url = published["ipfs"] + "index.html"
    texts: dict[str, str] = {}
    links: dict[str, list[str]] = {}
    context = phone(browser, javascript=False)
    try:
        for copy in ("s3", "ipfs"):
            page = open_page(context, published[copy] + "mirrors.html", Traffic(published[copy]))
            texts[copy] = page.locator("main").inner_text()
            links[copy] = page.locator("#copies a").evaluate_all("a => a.map(x => x.href)")
    finally:
        context.close()
    on_s3, on_ipfs = texts["s3"], texts["ipfs"]
    assert "Cloud storage" in on_s3 and bucket_url in links["s3"]
    assert published["cid"] in on_s3 and gateway_url in links["s3"]
    # The IPFS copy cannot name its own CID: it says where to find it instead.
    assert published["cid"] not in on_ipfs and "address bar" in on_ipfs
    assert bucket_url in links["ipfs"]
    for text in (on_s3, on_ipfs):
        key = re.search(r"ed25519:[A-Za-z0-9+/=]{44}", text)
        assert key, text
        assert fingerprint(parse_public_key(key.group())) in text
        assert f'mirrorpub verify URL-OF-THE-COPY --key "{key.group()}"' in text
        assert "mirrorpub verify FOLDER --key" in text
        assert "ask a friend abroad for the zip" in text


def _luminance(css_rgb: str) -> float:
    channels = [int(c) / 255 for c in css_rgb[css_rgb.index("(") + 1:-1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("copy", ["s3", "bundle"])
def test_light_and_dark_follow_the_phone_setting(copy: str, dark: bool, browser: Browser,
                                                 request: pytest.FixtureRequest) -> None:
    base = base_of(copy, request)
    context = phone(browser, dark=dark)
    try:
        page = open_page(context, base + "index.html", Traffic(base))
        follow(page, "main .entry h2 a")
        colours = page.evaluate("""() => {
          const style = e => getComputedStyle(document.querySelector(e));
          return {bg: style('body').backgroundColor, fg: style('body').color,
                  link: style('footer.copies a').color, muted: style('.meta').color};
        }""")
        shot(page, f"{copy}-article-{'dark' if dark else 'light'}")
    finally:
        context.close()
    background = _luminance(colours["bg"])
    assert (background < 0.1) if dark else (background > 0.8), colours
    assert _contrast(colours["fg"], colours["bg"]) >= 7, colours  # WCAG AAA body text
    assert _contrast(colours["link"], colours["bg"]) >= 4.5, colours
    assert _contrast(colours["muted"], colours["bg"]) >= 4.5, colours


def test_persian_pages_read_right_to_left(browser: Browser, bundled: str) -> None:
    context = phone(browser)
    try:
        page = open_page(context, bundled + "index.html", Traffic(bundled))
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.lang") == "fa"
        # Text hugs the right edge; the navigation starts on the right.
        edges = page.evaluate("""() => {
          const h1 = document.querySelector('main h1'), range = document.createRange();
          range.selectNodeContents(h1);
          const nav = [...document.querySelectorAll('header.site nav a')];
          return {text: range.getBoundingClientRect().right,
                  box: h1.getBoundingClientRect().right,
                  textLeft: range.getBoundingClientRect().left,
                  boxLeft: h1.getBoundingClientRect().left,
                  firstNav: nav[0].getBoundingClientRect().left,
                  secondNav: nav[1].getBoundingClientRect().left};
        }""")
        assert abs(edges["text"] - edges["box"]) < 2, edges
        assert edges["textLeft"] - edges["boxLeft"] > 20, edges
        assert edges["firstNav"] > edges["secondNav"], edges
        # An English article on the Persian site is laid out left to right.
        follow(page, "main .entry a[href$='english.html']")
        assert page.evaluate("getComputedStyle(document.querySelector('main article'))"
                             ".direction") == "ltr"
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


def test_keyboard_readers_can_skip_to_the_content_and_see_focus(browser: Browser,
                                                                bundled: str) -> None:
    context = phone(browser)
    try:
        page = open_page(context, bundled + "index.html", Traffic(bundled))
        page.keyboard.press("Tab")
        skip = page.evaluate("""() => {
          const e = document.activeElement, r = e.getBoundingClientRect();
          return {cls: e.className, top: r.top, width: r.width, left: r.left,
                  outline: getComputedStyle(e).outlineStyle}; }""")
        assert skip["cls"] == "skip" and skip["width"] > 0 and skip["left"] >= 0, skip
        assert skip["outline"] != "none", skip
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        first = page.evaluate("""() => { const e = document.activeElement;
          return {inMain: !!e.closest('main'), tag: e.tagName,
                  outline: getComputedStyle(e).outlineStyle}; }""")
        assert first == {"inMain": True, "tag": "A", "outline": "solid"}, first
    finally:
        context.close()


def test_printing_drops_the_navigation_but_keeps_the_other_copies(browser: Browser,
                                                                   published: dict[str, Any]
                                                                   ) -> None:
    context = phone(browser)
    try:
        page = open_page(context, published["s3"] + "articles/report.html",
                         Traffic(published["s3"]))
        page.emulate_media(media="print", color_scheme="dark")
        shown = page.evaluate("""() => ({
          nav: getComputedStyle(document.querySelector('header.site nav')).display,
          copies: getComputedStyle(document.querySelector('footer.copies ul')).display,
          background: getComputedStyle(document.body).backgroundColor})""")
        pdf = page.pdf()
    finally:
        context.close()
    assert shown["nav"] == "none" and shown["copies"] != "none", shown
    assert shown["background"] == "rgb(255, 255, 255)", shown  # no dark ink on paper
    assert pdf.startswith(b"%PDF")
