"""Readers read their own language, in a real browser (Debian's Chromium, headless): a
Persian article on an English site is Persian and right to left in every part of its
chrome, as Chromium computes it; the copies pages in each language link each other; and
phone-size screenshots of an article and a copies page in Persian, Russian and Chinese
land in test-output/screenshots/ (lang-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.newsroom import make_key
from tests.browser.reader import Traffic, follow, open_page, phone, shot
from tests.sitekit import article, mirrorpub, write_site

pytestmark = [pytest.mark.browser]

BODY = ("The report was published despite an order to remove it. Copies of it are listed "
        "at the bottom of the page.")
ARTICLES = {
    "en.md": article("The outlet is blocked again", "2026-11-24T10:00:00Z", BODY,
                     tags=["press-freedom"], author="News desk"),
    "fa.md": article("دسترسی به سایت دوباره مسدود شد", "2026-11-25T12:30:00+03:30",
                     "گزارش با وجود دستور حذف منتشر شد. نسخه‌های دیگر این صفحه در پایین "
                     "آمده‌اند.", lang="fa", tags=["press-freedom", "ایران"],
                     author="Jane Doe", updated="2026-11-26"),
    "ru.md": article("Издание снова заблокировано", "2026-11-25T09:00:00+03:00",
                     "Материал опубликован, несмотря на требование его удалить. Копии "
                     "страницы перечислены внизу.", lang="ru", tags=["свобода-прессы"],
                     author="Редакция", updated="2026-11-26"),
    "zh.md": article("网站再次被封锁", "2026-11-25T15:00:00+08:00",
                     "尽管有删除令，报道仍然发表了。本页的其他副本列在页面底部。",
                     lang="zh-Hans", tags=["新闻自由"], author="编辑部",
                     updated="2026-11-26"),
}
# The chrome of a page, as a reader meets it: what must all be right to left in Persian.
CHROME = ["html", "header.site", "header.site nav", "main article", "main article p.meta",
          "main article p.tags", "footer.copies", "footer.copies h2", "footer.copies p"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An English site with articles in Persian, Russian and Chinese, built with the CLI;
    the file:// base of its public/ folder."""
    root = tmp_path_factory.mktemp("languages")
    write_site(root, ARTICLES, title="Kloop", language="en",
               languages=["en", "fa", "ru", "zh-Hans"], signing_key=make_key(root),
               mirrors=[{"name": "cloud", "type": "s3", "bucket": "kloop-mirror",
                         "region": "eu-central-1"}])
    mirrorpub("build", cwd=root, check=True)
    return (root / "public").as_uri() + "/"


def computed(page: Page, selector: str, prop: str) -> str:
    return page.locator(selector).first.evaluate(
        f"e => getComputedStyle(e).getPropertyValue('{prop}')")


def fits_the_phone(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_persian_article_on_an_english_site_is_persian_and_right_to_left(
        browser: Browser, site: str) -> None:
    traffic = Traffic(site)
    context = phone(browser)
    try:
        page = open_page(context, site + "articles/fa.html", traffic)
        assert {s: computed(page, s, "direction") for s in CHROME} == dict.fromkeys(CHROME,
                                                                                     "rtl")
        assert page.locator("html").get_attribute("lang") == "fa"
        assert page.locator("header.site nav a").all_inner_texts() == [
            "خانه", "نسخه‌های این سایت", "خوراک"]
        assert page.locator("footer.copies h2").inner_text() == "اگر این سایت مسدود است"
        assert page.locator("footer.copies").get_by_text("کلید امضا:").count() == 1
        assert page.locator("p.meta time").first.inner_text() == "۲۵ نوامبر ۲۰۲۶"
        # The label stays on the right, its colon after it (to its left), then the tags.
        tags = page.locator("main article p.tags")
        assert tags.inner_text().startswith("برچسب‌ها: ")
        label, first_tag = tags.evaluate("""p => {
            const range = document.createRange();
            range.selectNodeContents(p.firstChild);
            return [range.getBoundingClientRect().toJSON(),
                    p.querySelector('a').getBoundingClientRect().toJSON()];
        }""")
        assert first_tag["right"] <= label["left"] + 1, (label, first_tag)
        # An English tag inside the Persian line is isolated, and reads left to right.
        assert computed(page, "p.tags a[rel=tag]", "direction") == "ltr"
        assert computed(page, "p.tags a[rel=tag]", "unicode-bidi") == "isolate"
        assert computed(page, "p.meta bdi", "unicode-bidi") == "isolate"
        assert fits_the_phone(page)
        follow(page, "footer.copies a[href$='mirrors.fa.html']")
        assert page.locator("html").get_attribute("lang") == "fa"
        assert computed(page, "main", "direction") == "rtl"
        assert page.locator("h1").inner_text() == "نسخه‌های این سایت"
    finally:
        context.close()
    assert traffic.problems() == []


def test_the_english_pages_around_it_stay_left_to_right(browser: Browser, site: str) -> None:
    traffic = Traffic(site)
    context = phone(browser)
    try:
        page = open_page(context, site + "index.html", traffic)
        assert computed(page, "html", "direction") == "ltr"
        assert page.locator("header.site nav a").first.inner_text() == "Home"
        persian = page.locator("main .entry[lang=fa]")
        assert computed(page, "main .entry[lang=fa] h2", "direction") == "rtl"
        assert persian.locator("p.meta").get_attribute("lang") == "en"
        follow(page, "main .entry[lang=ru] h2 a")
        assert page.locator("header.site nav a").first.inner_text() == "Главная"
        assert page.locator("p.meta time").first.inner_text() == "25 ноября 2026\u202fг."
    finally:
        context.close()
    assert traffic.problems() == []


def test_the_copies_pages_in_each_language_link_each_other(browser: Browser, site: str) -> None:
    traffic = Traffic(site)
    context = phone(browser)
    try:
        page = open_page(context, site + "mirrors.html", traffic)
        seen = []
        for name in ["فارسی", "Русский", "中文 (简体)", "English"]:
            with page.expect_navigation(wait_until="load"):
                page.locator("nav.languages a", has_text=name).click()
            seen.append((page.url.rsplit("/", 1)[1], page.locator("html").get_attribute("lang"),
                         computed(page, "html", "direction")))
        assert seen == [("mirrors.fa.html", "fa", "rtl"), ("mirrors.ru.html", "ru", "ltr"),
                        ("mirrors.zh-hans.html", "zh-Hans", "ltr"),
                        ("mirrors.html", "en", "ltr")]
    finally:
        context.close()
    assert traffic.problems() == []


@pytest.mark.parametrize(("language", "slug", "copies"), [
    ("fa", "fa", "mirrors.fa.html"), ("ru", "ru", "mirrors.ru.html"),
    ("zh", "zh", "mirrors.zh-hans.html")])
def test_screenshots_at_phone_width(browser: Browser, site: str, language: str, slug: str,
                                    copies: str) -> None:
    traffic = Traffic(site)
    context = phone(browser)
    made: list[Path] = []
    try:
        page = open_page(context, site + f"articles/{slug}.html", traffic)
        assert fits_the_phone(page)
        made.append(shot(page, f"lang-{language}-article"))
        follow(page, f"footer.copies a[href$='{copies}']")
        assert fits_the_phone(page)
        made.append(shot(page, f"lang-{language}-copies"))
    finally:
        context.close()
    assert traffic.problems() == []
    assert all(p.stat().st_size > 10_000 for p in made), made
