"""A realistic small newsroom for the browser tests: many articles, one long report with a
picture, tags, two languages, a signing key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.sitekit import REPO, article, mirrorpub, write_site

PICTURE = (REPO / "content" / "press-freedom" / "img" / "region-map.png").read_bytes()

_PARAGRAPH = ("Local reporters spent three months reading court records, customs filings and "
              "procurement notices, and spoke to more than forty people who asked not to be "
              "named. What they found is a pattern of contracts awarded to a small circle of "
              "companies, often within days of their registration, at prices well above what "
              "neighbouring regions paid for the same work. ")


def long_report(sections: int = 8) -> str:
    """About 2,000 words with the usual furniture of a report: headings, a list, a quote,
    a table, a picture and links to other articles."""
    parts = ["The report was published despite an order to remove it.", "",
             "![A map of the region](img/map.png)", ""]
    for n in range(1, sections + 1):
        parts += [f"## Part {n}: what the records show", "", _PARAGRAPH * 3, "",
                  "- a contract signed before the tender closed", "- an invoice paid twice",
                  "- a company with no staff", "",
                  "> We asked the ministry for comment; it did not answer.", ""]
    parts += ["| Year | Contracts | Share |", "|---|---|---|", "| 2024 | 41 | 63% |",
              "| 2025 | 57 | 71% |", "",
              "Background: [how to reach us](reach-us.md) and [in Persian](fa/guide.md)."]
    return "\n".join(parts)


def make_key(root: Path) -> str:
    """A signing key made with the real CLI; returns its path relative to the site."""
    key = root / "keys" / "site.key"
    key.parent.mkdir(parents=True, exist_ok=True)
    mirrorpub("keygen", str(key), cwd=root, check=True)
    return "keys/site.key"


def write_newsroom(root: Path, *, mirrors: list[dict[str, Any]] = (), articles: int = 24,
                   **site: Any) -> Path:
    texts = {
        "report.md": article("Contracts went to a circle of new firms", "2026-11-27T09:00:00+00:00",
                             long_report(), author="Investigations desk",
                             tags=["corruption", "procurement"]),
        "reach-us.md": article("How to reach us when the site is blocked",
                               "2026-11-20T10:00:00+00:00",
                               "Try [the report](report.md), or the copies listed below.",
                               tags=["help"]),
        "fa/guide.md": article("راهنمای خواندن نسخه‌های این سایت", "2026-11-21T10:00:00+03:30",
                               "اگر نشانی ما باز نمی‌شود، نسخه‌های دیگر را امتحان کنید.\n\n"
                               "## چرا نسخه‌های متعدد\n\nهر نسخه همان مقاله‌ها را دارد.",
                               lang="fa", tags=["help"]),
    }
    for n in range(articles):
        texts[f"news/item-{n:02d}.md"] = article(
            f"Short news item number {n}", f"2026-10-{1 + n % 28:02d}T08:00:00+00:00",
            _PARAGRAPH + f"\n\nSee also [the report](../report.md). Item {n}.",
            tags=["news"])
    settings = {"description": "Independent reporting, published to several copies at once.",
                "signing_key": make_key(root),
                "blocked_help": "If every copy is blocked, ask a friend abroad for the zip.",
                **site}
    return write_site(root, texts, files={"img/map.png": PICTURE}, mirrors=mirrors, **settings)


def persian_site(root: Path, *, mirrors: list[dict[str, Any]] = (), **site: Any) -> Path:
    """A right-to-left site: Persian interface and articles, one English article."""
    key = make_key(root)
    texts = {
        "rahnama.md": article("چگونه نسخه‌های سالم این سایت را پیدا کنیم",
                              "2026-11-22T08:00:00+03:30",
                              "اگر نشانی همیشگی ما باز نمی‌شود، یکی از نسخه‌هایی را امتحان "
                              "کنید که پایین هر صفحه فهرست شده‌اند.\n\n"
                              "![نقشهٔ منطقه](map.png)\n\n"
                              "## نسخه‌ها\n\n- فضای ذخیره‌سازی ابری\n- دروازهٔ IPFS\n- فلش\n\n"
                              "[مقالهٔ انگلیسی](english.md)",
                              tags=["راهنما"], author="تحریریه"),
        "khabar.md": article("گزارشی دربارهٔ قراردادها", "2026-11-20T08:00:00+03:30",
                             "متن گزارش. " * 40, tags=["گزارش"]),
        "english.md": article("An English article on a Persian site", "2026-11-19T08:00:00+00:00",
                              "Left to right inside a right-to-left site.", lang="en"),
    }
    return write_site(root, texts, files={"map.png": PICTURE}, mirrors=mirrors,
                      signing_key=key, title="خبرنامهٔ نمونه",
                      language="fa", description="گزارش‌های مستقل، در چند نسخه.",
                      blocked_help="اگر همهٔ نسخه‌ها مسدود است، فایل zip را از یک دوست بگیرید.",
                      **site)
