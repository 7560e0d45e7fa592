"""The theme's gettext catalogs: every language complete, compilable and with its
placeholders intact; messages.pot in step with the templates and code (`make messages`);
a site's own catalogs and its old labels.toml; English, with one warning, for a language
mirrorpub has no words for."""

from __future__ import annotations

import gettext
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from mirrorpub.site.words import PACKAGE_LOCALE, TEMPLATE, placeholder_problems, placeholders
from scripts import messages
from tests.sitekit import REPO, article, assert_no_traceback, mirrorpub, write_site

LANGUAGES = ["en", "ru", "kk", "ky", "uz", "tg", "tk", "az", "be", "uk", "fa", "ar", "tr",
             "zh_Hans", "zh_Hant", "vi", "my", "am"]


def catalog(language: str) -> Any:
    path = PACKAGE_LOCALE / language / "LC_MESSAGES" / "mirrorpub.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def template_ids() -> set[Any]:
    with TEMPLATE.open("rb") as handle:
        return {(m.id, m.context) for m in read_po(handle) if m.id}


def test_mirrorpub_ships_every_language_of_the_blocked_regions() -> None:
    shipped = sorted(p.name for p in PACKAGE_LOCALE.iterdir() if p.is_dir())
    assert shipped == sorted(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_is_complete_and_compiles(language: str) -> None:
    po = catalog(language)
    entries = {(m.id, m.context): m for m in po if m.id}
    assert entries.keys() == template_ids(), "run `make messages` and translate what is new"
    untranslated = [m.id for m in entries.values()
                    if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    assert not untranslated, untranslated
    assert not [m.id for m in entries.values() if m.fuzzy]
    assert not po.obsolete
    # The plural rule is Babel's (CLDR's) for the language, and every plural has its forms.
    assert po.plural_forms == get_plural(Locale.parse(language)).plural_forms
    for message in entries.values():
        if isinstance(message.id, tuple):
            assert len(message.string) == po.num_plurals, message.id
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    compiled = gettext.GNUTranslations(buffer)
    assert compiled.gettext("Home") == entries[("Home", None)].string


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_breaks_a_placeholder(language: str) -> None:
    problems = {m.id: placeholder_problems(m) for m in catalog(language) if m.id}
    assert not {k: v for k, v in problems.items() if v}
    for message in catalog(language):
        if message.id and not isinstance(message.id, tuple):
            assert placeholders(message.string) == placeholders(message.id), message.id
        if message.id:  # what Babel's own checkers say (python-format, plural counts)
            assert not list(message.check(catalog(language))), message.id


def test_the_placeholder_check_catches_what_would_break_a_page() -> None:
    from babel.messages.catalog import Message

    assert placeholder_problems(Message("Tags: %(tags)s", "Темы: %(tag)s"))
    assert placeholder_problems(Message("Tags: %(tags)s", "Темы"))  # the tags lost
    assert placeholder_problems(Message("List version %(version)s", "100% %(version)s"))
    assert placeholder_problems(Message("newer (version {version}):", "новее ({versoin}):"))
    assert not placeholder_problems(Message(("%(num)s article", "%(num)s articles"),
                                            ("مقالة واحدة", "%(num)s مقالة")))
    assert placeholder_problems(Message(("%(num)s article", "%(num)s articles"),
                                        ("%(num)s статья", "статей")))


def test_messages_pot_is_in_step_with_the_templates_and_code() -> None:
    assert not messages.is_stale(TEMPLATE, messages.template_catalog()), \
        "mirrorpub/locale/messages.pot is stale: run `make messages`"


def test_a_new_msgid_makes_messages_pot_stale(tmp_path: Path) -> None:
    for folder in ("templates", "mirrorpub"):
        shutil.copytree(REPO / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "locale"))
    base = tmp_path / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "</footer>", '<p>{{ _("A sentence nobody translated yet") }}</p>\n</footer>'),
        encoding="utf-8")
    assert messages.is_stale(TEMPLATE, messages.template_catalog(tmp_path))


def test_make_messages_keeps_translations_and_adds_what_is_new(tmp_path: Path) -> None:
    template = messages.template_catalog()
    template.add("A sentence nobody translated yet", locations=[("templates/base.html", 1)])
    po = tmp_path / "ru" / "LC_MESSAGES" / "mirrorpub.po"
    po.parent.mkdir(parents=True)
    shutil.copy(PACKAGE_LOCALE / "ru" / "LC_MESSAGES" / "mirrorpub.po", po)
    updated = read_po(io.BytesIO(messages.updated(po, template)))
    assert updated.get("Home").string == "Главная"
    assert updated.get("A sentence nobody translated yet").string == ""


# --- a site's own words ------------------------------------------------------------------

def own_catalog(root: Path, language: str, entries: dict[str, str]) -> Path:
    path = root / "templates" / "locale" / language / "LC_MESSAGES" / "mirrorpub.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'\nmsgid "{k}"\nmsgstr "{v}"\n' for k, v in entries.items())
    path.write_text(f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n'
                    f'"Content-Type: text/plain; charset=UTF-8\\n"\n{body}', encoding="utf-8")
    return path


def test_a_sites_own_catalog_changes_a_word_and_adds_a_language(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("Статья", lang="ru"),
                          "b.md": article("Artikel", "2026-11-24T10:00:00Z", lang="sw")})
    own_catalog(tmp_path, "ru", {"Home": "На главную"})
    own_catalog(tmp_path, "sw", {"Home": "Nyumbani"})
    result = mirrorpub("build", cwd=tmp_path, check=True)
    russian = (tmp_path / "public/articles/a.html").read_text(encoding="utf-8")
    assert ">На главную</a>" in russian and "Копии сайта" in russian  # the rest: ours
    swahili = (tmp_path / "public/articles/b.html").read_text(encoding="utf-8")
    assert ">Nyumbani</a>" in swahili and "If this site is blocked" in swahili
    # sw is still mostly English: said once, with how much and where to add the rest.
    assert result.stderr.count("WARNING") == 1, result.stderr
    assert "language 'sw': 51 of 52 phrases of the theme have no translation" in result.stderr
    assert "templates/locale/sw/LC_MESSAGES/mirrorpub.po" in result.stderr


def test_a_broken_placeholder_in_a_sites_catalog_names_the_file_and_line(
        tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("Статья", lang="ru", tags=["тема"])})
    po = own_catalog(tmp_path, "ru", {"Home": "На главную", "Tags: %(tags)s": "Темы: %(tag)s"})
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 1
    assert_no_traceback(result)
    assert f"{po}:9: the translation of 'Tags: %(tags)s' uses %(tag)s" in result.stderr


def test_a_language_mirrorpub_lacks_is_english_with_one_warning(tmp_path: Path) -> None:
    write_site(tmp_path, {f"{n}.md": article(f"Makala {n}", f"2026-11-2{n}T10:00:00Z",
                                             lang="sw") for n in range(1, 4)})
    result = mirrorpub("build", cwd=tmp_path, check=True)
    page = (tmp_path / "public/articles/1.html").read_text(encoding="utf-8")
    assert '<footer class="copies" lang="en" dir="ltr">' in page  # marked as English
    assert "If this site is blocked" in page
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, result.stderr
    assert "language 'sw'" in warnings[0] and "templates/locale/sw/" in warnings[0]
    again = mirrorpub("build", cwd=tmp_path, check=True)  # nothing to render: still said
    assert again.stderr.count("language 'sw'") == 1


def test_a_sites_labels_toml_is_still_read_with_a_warning(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("Статья", lang="ru", tags=["тема"])}, language="ru")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "labels.toml").write_text(
        '[ru]\nhome = "На главную"\ntags = "Рубрики"\n', encoding="utf-8")
    result = mirrorpub("build", cwd=tmp_path, check=True)
    page = (tmp_path / "public/articles/a.html").read_text(encoding="utf-8")
    assert ">На главную</a>" in page
    assert "Рубрики: <a" in page
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1, result.stderr
    assert "labels.toml" in warnings[0] and "templates/locale/<language>/LC_MESSAGES/" \
        "mirrorpub.po" in warnings[0]
