"""A reader's browser for tests: Debian's Chromium driven headless by Playwright.

    launch()           one headless Chromium (no download: the system's /usr/bin/chromium)
    phone(browser)     a phone-size context (390×844), light or dark, JavaScript on or off
    Traffic            every request a page makes, and which of them left the copy or failed
    shot(page, name)   a full-page screenshot into test-output/screenshots/
    page_facts(page)   what a page offers assistive technology: headings, landmarks, alt text

A "copy" is one base URL (`http://host/bucket/`, `http://gw/ipfs/CID/`, `file:///…/site/`):
a page may load only what lies under it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright

from tests.sitekit import REPO

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "test-output" / "screenshots"
BUDGET = 50_000  # bytes: an article page without images, and an index page (SPEC §6.4)


def launch(playwright: Playwright) -> Browser:
    if not CHROMIUM.exists():
        raise AssertionError(f"{CHROMIUM} is missing: install Debian's chromium "
                             "(`make chromium`, or apt-get install -y chromium)")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def phone(browser: Browser, *, dark: bool = False, javascript: bool = True) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True, color_scheme="dark" if dark else "light",
        java_script_enabled=javascript)


@dataclass
class Traffic:
    """Everything one page asked for, checked against the copy it was opened from."""

    base: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Traffic:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.bad_status.append(
            f"{r.url}: HTTP {r.status}"))
        return self

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(self.base)
                and not u.startswith("data:")]

    def problems(self) -> list[str]:
        return ([f"left the copy: {u}" for u in self.outside()] + self.failed
                + self.bad_status)


def open_page(context: BrowserContext, url: str, traffic: Traffic) -> Page:
    page = context.new_page()
    traffic.watch(page)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    return page


def follow(page: Page, selector: str) -> None:
    """Click a link as a reader would and wait for the page it opens."""
    with page.expect_navigation(wait_until="load"):
        page.locator(selector).first.click()


def shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_FACTS_JS = """() => {
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  return {
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    title: document.title,
    headings: [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1]),
    landmarks: ['header', 'nav', 'main', 'footer'].filter(t => document.querySelector(t)),
    imagesWithoutAlt: [...document.images].filter(i => !i.hasAttribute('alt')).map(i => i.src),
    skipTarget: (document.querySelector('a.skip') || {}).hash || null,
    mainText: visible(document.querySelector('main')) ?
      document.querySelector('main').innerText.trim().length : 0,
  };
}"""


def page_facts(page: Page) -> dict[str, Any]:
    return page.evaluate(_FACTS_JS)


def outline_problems(url: str, facts: dict[str, Any]) -> list[str]:
    """Structure a screen reader relies on: one h1, then no skipped heading level."""
    problems = []
    levels = facts["headings"]
    if levels[:1] != [1] or levels.count(1) != 1:
        problems.append(f"{url}: expected one h1 first, got heading levels {levels}")
    for before, after in itertools.pairwise(levels):
        if after > before + 1:
            problems.append(f"{url}: heading level jumps from h{before} to h{after}")
    missing = {"header", "nav", "main", "footer"} - set(facts["landmarks"])
    if missing:
        problems.append(f"{url}: missing landmarks {sorted(missing)}")
    if facts["imagesWithoutAlt"]:
        problems.append(f"{url}: images without alt: {facts['imagesWithoutAlt']}")
    if facts["skipTarget"] != "#main":
        problems.append(f"{url}: no skip link to #main")
    if not facts["lang"] or facts["dir"] not in ("ltr", "rtl"):
        problems.append(f"{url}: lang/dir not set ({facts['lang']!r}, {facts['dir']!r})")
    if not facts["mainText"]:
        problems.append(f"{url}: the main content shows no text")
    return problems


def weight(page: Page) -> dict[str, int]:
    """Bytes the browser transferred for this page load, images apart (Resource Timing)."""
    return page.evaluate("""() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const rest = performance.getEntriesByType('resource').filter(e => e.initiatorType !== 'img');
      return {document: nav.transferSize, body: nav.decodedBodySize,
              others: rest.reduce((sum, e) => sum + e.transferSize, 0), count: rest.length};
    }""")
