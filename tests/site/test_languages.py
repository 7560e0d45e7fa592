"""Every page speaks its own language: built sites in each language mirrorpub ships carry
none of the theme's English words; dates and plurals follow the page's locale; a
multilingual site gets a copies page per language, linked from each other and from the
articles of that language; right-to-left pages isolate what editors wrote; builds stay
byte-identical and re-render what an edited catalog changes."""

from __future__ import annotations

import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from mirrorpub.config import load_config
from mirrorpub.publish.local import build_only
from mirrorpub.publish.state import MirrorState, SiteState, save_state
from mirrorpub.site.words import TEMPLATE
from tests.sitekit import (
    REPO,
    article,
    crawl,
    folder_fetcher,
    listed_files,
    mirrorpub,
    write_site,
)

# The languages as a site names them (BCP 47), with a tag in the language itself.
LANGUAGES = {"ru": "свобода", "kk": "бостандық", "ky": "эркиндик", "uz": "erkinlik",
             "tg": "озодӣ", "tk": "azatlyk", "az": "azadlıq", "be": "свабода",
             "uk": "свобода", "fa": "آزادی", "ar": "حرية", "tr": "özgürlük",
             "zh-Hans": "自由", "zh-Hant": "自由", "vi": "tự do", "my": "လွတ်လပ်ခွင့်",
             "am": "ነጻነት"}
DATE = "2026-11-25T12:30:00+06:00"


def english_chrome() -> list[str]:
    """The theme's English words, as they would show on a page: each msgid's text between
    its placeholders (the README's apart: it is checked on its own)."""
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    fragments = set()
    for message in template:
        if not message.id or any(f.endswith(".py") for f, _ in message.locations):
            continue
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            for part in re.split(r"%\(\w+\)s|\{\w+\}", text):
                if len(re.findall(r"[A-Za-z]", part)) >= 3:
                    fragments.add(part.strip())
    return sorted(fragments)


def readme_english() -> list[str]:
    with TEMPLATE.open("rb") as handle:
        template = read_po(handle)
    parts = [part.strip() for m in template if m.id and m.locations[0][0].endswith(".py")
             for part in re.split(r"%\(\w+\)s", m.id)]
    return [line.strip() for part in parts for line in part.splitlines()
            if not line.strip().startswith("mirrorpub ")  # the command is the same
            and len(re.findall(r"[A-Za-z]{3,}", line)) >= 3]


class _Text(HTMLParser):
    """What a reader sees or hears: text outside scripts and styles, and the attributes
    that are read out or shown (aria-label, title, alt, the copies page's script texts)."""

    SHOWN = frozenset({"aria-label", "title", "alt", "data-current", "data-none",
                       "data-newer", "data-cannot", "content"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in self.SHOWN and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_in(text: str, fragments: list[str]) -> list[str]:
    text = re.sub(r"\S+://\S+", " ", text)  # the copies' addresses are no words
    return [f for f in fragments if re.search(rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])", text)]


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("key") / "site.key"
    mirrorpub("keygen", str(path), cwd=path.parent, check=True)
    return path


def language_site(root: Path, language: str, tag: str, key: Path) -> dict[str, str]:
    """Pages in `language` that show every part of the theme a build can show: pages of a
    listing, a tag, an updated article with an author, copies of
    every kind, a signed list, a bundle, other languages; and a new, unsigned, empty site."""
    articles = {f"a{n}.md": article(f"Kloop {n}", DATE if n == 1 else f"2026-11-2{n}T10:00:00Z",
                                    "Kloop.", tags=[tag], author="Kloop", updated="2026-11-26")
                for n in range(1, 4)}
    full, empty = root / "full", root / "empty"
    mirrors = [{"name": "cloud", "type": "s3", "bucket": "kloop-mirror", "region": "eu-central-1"},
               {"name": "ipfs", "type": "ipfs", "gateways": ["https://ipfs.io"]},
               {"name": "usb", "type": "directory", "path": "usb"}]
    other = "ru" if language == "en" else "en"
    write_site(full, articles, language=language, languages=[language, other], title="Kloop",
               per_page=2,
               signing_key=str(key), bundle=True, blocked_help="+996 555 000 000",
               mirrors=mirrors)
    write_site(empty, {}, language=language, title="Kloop", mirrors=mirrors[:1])
    delegate_from_a_root(full, key)
    as_published(full, mirrors)  # pages name only copies that published
    as_published(empty, mirrors[:1])
    for site in (full, empty):
        build_only(load_config(site / "mirrorpub.toml"))
    first = (full / "public" / "articles" / "a1.html").read_text(encoding="utf-8")
    tag_page = re.search(r'href="\.\./(tags/[a-z0-9-]+\.html)" rel="tag"', first)
    assert tag_page, first
    pages = {name: (full / "public" / name).read_text(encoding="utf-8") for name in
             ["index.html", "page-2.html", "articles/a1.html", tag_page.group(1),
              "mirrors.html"]}
    pages.update({f"new site: {name}": (empty / "public" / name).read_text(encoding="utf-8")
                  for name in ("index.html", "mirrors.html")})
    with zipfile.ZipFile(full / "public" / "site.zip") as bundle:
        pages["README.txt"] = bundle.read("README.txt").decode("utf-8")
    return pages


def delegate_from_a_root(site: Path, key: Path) -> None:
    """keys.json: the site's root key delegates `key` (the copies page names the root)."""
    from mirrorpub.commands.keys import delegate
    from mirrorpub.trust.signing import Signer, keygen, read_key_file

    root = site.parent / "root.key"
    if not root.exists():
        keygen(root)
    public = Signer(read_key_file(key, "test")).public_text
    delegate(str(site / "mirrorpub.toml"), str(root), public, "2099-01-01")


def as_published(site: Path, mirrors: list[dict[str, object]]) -> None:
    """The state a publish to every mirror leaves: readers may now be told of each."""
    when = "2026-11-26T10:00:00Z"
    state = SiteState(version=1, mirrors={str(m["name"]): MirrorState(
        created_at=when, updated_at=when) for m in mirrors})
    save_state(site / ".mirrorpub", state)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, key: Path) -> dict[str, dict[str, str]]:
    root = tmp_path_factory.mktemp("languages")
    return {language: language_site(root / language, language, tag, key)
            for language, tag in [*LANGUAGES.items(), ("en", "freedom")]}


def test_the_english_chrome_the_check_looks_for_is_on_the_english_pages(
        built: dict[str, dict[str, str]]) -> None:
    """The check below can fail: the English pages show all of these words, but for two
    that only a publish shows (a copy that failed, an IPFS copy's address)."""
    shown = "\n".join(shown_text(page) for name, page in built["en"].items()
                      if name != "README.txt")
    missing = set(english_chrome()) - set(english_in(shown, english_chrome()))
    assert missing == {"(not updated in the last publish; it may show older articles)",
                       "The same copy through other IPFS gateways:"}
    readme = built["en"]["README.txt"]
    assert [line for line in readme_english() if line in readme]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_a_page_in_each_language_has_none_of_the_english_chrome(
        built: dict[str, dict[str, str]], language: str) -> None:
    fragments = english_chrome()
    pages = dict(built[language])
    readme = pages.pop("README.txt")
    for name, page in pages.items():
        assert f'<html lang="{language}"' in page, name
        assert english_in(shown_text(page), fragments) == [], (language, name)
    assert readme.startswith("Kloop\n") and "mirrorpub verify kloop --key" in readme
    assert [line for line in readme_english() if line in readme] == [], language


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "November 25, 2026"), ("ru", "25 ноября 2026\u202fг."),
    ("uk", "25 листопада 2026\u202fр."),
    ("tr", "25 Kasım 2026"), ("fa", "۲۵ نوامبر ۲۰۲۶"), ("ar", "25 نوفمبر 2026"),
    ("zh-Hans", "2026年11月25日"), ("my", "၂၀၂၆ နိုဝင်ဘာ ၂၅"), ("vi", "25 tháng 11, 2026"),
])
def test_dates_are_written_as_the_pages_language_writes_them(
        built: dict[str, dict[str, str]], language: str, shown: str) -> None:
    page = built[language]["articles/a1.html"]
    assert f'<time datetime="{DATE}" dir="auto">{shown}</time>' in page
    assert shown in built[language]["index.html"]


@pytest.mark.parametrize(("language", "counts"), [
    ("ru", {1: "1 статья", 3: "3 статьи", 5: "5 статей", 11: "11 статей", 21: "21 статья"}),
    ("ar", {1: "مقالة واحدة", 2: "مقالتان", 3: "3 مقالات", 11: "11 مقالة"}),
    ("en", {1: "1 article", 2: "2 articles"}),
    ("zh-Hans", {1: "1 篇文章", 3: "3 篇文章"}),
])
def test_plurals_follow_the_languages_rules(tmp_path: Path, language: str,
                                            counts: dict[int, str]) -> None:
    most = max(counts)
    write_site(tmp_path, {f"a{n}.md": article(f"{n}", "2026-11-01T10:00:00Z",
                                              tags=[f"t{c}" for c in counts if n <= c])
                          for n in range(1, most + 1)}, language=language, per_page=50)
    build_only(load_config(tmp_path / "mirrorpub.toml"))
    for count, shown in counts.items():
        page = (tmp_path / "public" / "tags" / f"t{count}.html").read_text(encoding="utf-8")
        assert f'<p class="meta">{shown}</p>' in page, (count, shown)


# --- a multilingual site -----------------------------------------------------------------

MULTI = {"ru.md": article("Новости", lang="ru"), "ky.md": article("Жаңылыктар", lang="ky"),
         "fa.md": article("اخبار", lang="fa"), "en.md": article("News", lang="en"),
         "kk.md": article("Жаңалықтар", lang="kk-KZ")}


def multilingual(root: Path, languages: list[str]) -> Path:
    write_site(root, MULTI, language=languages[0], languages=languages, title="Kloop",
               mirrors=[{"name": "usb", "type": "directory", "path": "usb"}])
    return root


def test_each_language_gets_a_copies_page_and_they_link_each_other(tmp_path: Path) -> None:
    root = multilingual(tmp_path, ["ru", "ky", "fa", "kk"])
    mirrorpub("publish", cwd=root, check=True)
    public = root / "public"
    pages = {name: (public / name).read_text(encoding="utf-8") for name in
             ["mirrors.html", "mirrors.ky.html", "mirrors.fa.html", "mirrors.kk.html"]}
    assert '<html lang="ru" dir="ltr">' in pages["mirrors.html"]
    assert "<h1>Копии сайта</h1>" in pages["mirrors.html"]
    assert '<html lang="ky" dir="ltr">' in pages["mirrors.ky.html"]
    assert "<h1>Сайттын көчүрмөлөрү</h1>" in pages["mirrors.ky.html"]
    assert '<html lang="fa" dir="rtl">' in pages["mirrors.fa.html"]
    for name, page in pages.items():
        links = set(re.findall(r'<a href="(mirrors[a-z.-]*\.html)" hreflang="([a-zA-Z-]+)"',
                               page))
        assert {href for href, _ in links} == set(pages) - {name}, name
        assert '<link rel="alternate" hreflang="ky" href="mirrors.ky.html">' in page or \
            name == "mirrors.ky.html"
    assert '>Кыргызча</a>' in pages["mirrors.html"] and '>فارسی</a>' in pages["mirrors.html"]

    # Each article links the copies page of its language; others the site's.
    def copies_link(slug: str) -> str:
        page = (public / "articles" / f"{slug}.html").read_text(encoding="utf-8")
        return re.search(r'<a href="\.\./(mirrors[a-z.-]*\.html)">', page).group(1)
    assert [copies_link(s) for s in ("ru", "ky", "fa", "kk", "en")] == [
        "mirrors.html", "mirrors.ky.html", "mirrors.fa.html", "mirrors.kk.html", "mirrors.html"]

    # A reader's crawl from the index reaches every copies page, and trips over nothing.
    for folder in (public, root / "usb"):
        reader = crawl(folder_fetcher(folder))
        assert reader.problems == []
        assert set(pages) <= set(reader.pages)
    listed = listed_files(root / "usb")
    for name in pages:
        assert (root / "usb" / name).read_bytes() == (public / name).read_bytes()
        assert listed[name]["size"] == (public / name).stat().st_size


def test_a_language_the_site_drops_leaves_its_copies_page_behind(tmp_path: Path) -> None:
    root = multilingual(tmp_path, ["ru", "ky", "fa"])
    mirrorpub("publish", cwd=root, check=True)
    assert (root / "usb" / "mirrors.fa.html").is_file()
    multilingual(tmp_path, ["ru", "ky"])
    mirrorpub("publish", cwd=root, check=True)
    for copy in (root / "public", root / "usb"):
        assert not (copy / "mirrors.fa.html").exists()
        listed = listed_files(copy)
        assert "mirrors.fa.html" not in listed
        assert "mirrors.ky.html" in listed
    fa = (root / "public" / "articles" / "fa.html").read_text(encoding="utf-8")
    assert '<a href="../mirrors.html">' in fa


def test_multilingual_builds_are_byte_identical(tmp_path: Path) -> None:
    root = multilingual(tmp_path, ["ru", "ky", "fa"])
    outputs = []
    for _ in range(2):
        mirrorpub("build", cwd=root, check=True)
        public = root / "public"
        outputs.append({p.relative_to(public).as_posix(): p.read_bytes()
                        for p in sorted(public.rglob("*")) if p.is_file()})
        shutil.rmtree(public)
        shutil.rmtree(root / ".mirrorpub")  # from scratch: nothing reused
    assert outputs[0] == outputs[1]
    assert {"mirrors.html", "mirrors.ky.html", "mirrors.fa.html"} <= set(outputs[0])


def test_an_edited_catalog_rerenders_the_pages_in_its_language_only(tmp_path: Path) -> None:
    write_site(tmp_path, {"ru.md": article("Новости", lang="ru"),
                          "en.md": article("News", "2026-11-24T10:00:00Z")})
    config = load_config(tmp_path / "mirrorpub.toml")
    assert build_only(config).rendered > 0
    english = (tmp_path / "public" / "articles" / "en.html").stat()
    po = tmp_path / "templates" / "locale" / "ru" / "LC_MESSAGES" / "mirrorpub.po"
    po.parent.mkdir(parents=True)
    shutil.copy(REPO / "mirrorpub" / "locale" / "ru" / "LC_MESSAGES" / "mirrorpub.po", po)
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "Главная"',
                                                         'msgstr "На главную"'),
                  encoding="utf-8")
    again = build_only(config)
    assert again.rendered == 1  # the Russian article; the index is in English
    assert ">На главную</a>" in (tmp_path / "public/articles/ru.html").read_text("utf-8")
    assert (tmp_path / "public" / "articles" / "en.html").stat().st_ino == english.st_ino
    assert build_only(config).rendered == 0


# --- right to left -------------------------------------------------------------------------

def test_what_editors_wrote_is_isolated_on_a_right_to_left_page(tmp_path: Path) -> None:
    write_site(tmp_path, {"fa.md": article("اخبار", lang="fa", author="Jane Doe",
                                           tags=["press-freedom", "ایران"])},
               title="Kloop News", description="News from Kloop.")
    mirrorpub("build", cwd=tmp_path, check=True)
    page = (tmp_path / "public" / "articles" / "fa.html").read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in page
    assert '<a class="brand" href="../index.html" dir="auto">Kloop News</a>' in page
    assert " · <bdi>Jane Doe</bdi>" in page
    # The label and its punctuation are the translator's; each tag is its own isolate.
    assert re.search(r'<p class="tags" lang="fa" dir="rtl">برچسب‌ها: '
                     r'<a href="[^"]+" rel="tag" dir="auto">press-freedom</a>، '
                     r'<a href="[^"]+" rel="tag" dir="auto">ایران</a></p>', page), page
    index = (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert '<p class="lead" dir="auto">News from Kloop.</p>' in index


def test_the_theme_has_no_left_to_right_only_css() -> None:
    css = (REPO / "templates" / "style.css").read_text(encoding="utf-8")
    physical = re.findall(r"(?:margin|padding|border)-(?:left|right)|(?<![-\w])(?:left|right)"
                          r"\s*:|float\s*:\s*(?:left|right)|text-align\s*:\s*(?:left|right)",
                          css)
    assert physical == []
    # Four-value margins and paddings must be the same on both sides.
    for prop, values in re.findall(r"(margin|padding)\s*:\s*([^;}]+)", css):
        parts = values.split()
        assert len(parts) < 4 or parts[1] == parts[3], (prop, values)
