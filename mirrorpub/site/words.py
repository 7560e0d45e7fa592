"""The theme's words in every language: gettext catalogs, read and compiled in memory when a
language is first asked for.

    mirrorpub/locale/<id>/LC_MESSAGES/mirrorpub.po          shipped (ids: ru, zh_Hans, …)
    mirrorpub/locale/messages.pot                           every msgid (`make messages`)
    <site>/templates/locale/<id>/LC_MESSAGES/mirrorpub.po   a site's own words, over ours
    <site>/templates/labels.toml                            the old format, for one release

A page's BCP 47 tag (`fa`, `zh-TW`, `uz-Cyrl`) is served by the catalog of the same language
in the same script (CLDR's likely subtags fill in a missing script: `zh-TW` is Hant, `uz`
is Latn), so `uz-Cyrl` never gets Latin words. English fills whatever no catalog has.

Compiled at first use rather than when the wheel is built: a site's own `.po` files have to
be compiled at build time anyway, so one path serves both, and a source checkout needs no
build step. It costs ~10 ms a language (after ~0.1 s of importing Babel's catalog code,
only in a build that renders something), and writes nothing (not into site-packages, not
into .mirrorpub/), so it cannot go stale or differ between machines.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from mirrorpub.errors import BuildError

log = logging.getLogger(__name__)

DOMAIN = "mirrorpub"
PACKAGE_LOCALE = Path(__file__).resolve().parents[1] / "locale"
TEMPLATE = PACKAGE_LOCALE / "messages.pot"
SITE_LOCALE = "locale"  # inside a site's templates folder
LEGACY_LABELS = "labels.toml"
FALLBACK = "en"

_RTL_SCRIPTS = frozenset({"Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc",
                          "Thaa", "Yezi"})
# Written right to left in their usual script; a tag naming another script (ku-Latn) wins.
_RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku", "ps", "sd",
                            "syr", "ug", "ur", "yi"})
# %(name)s as Python formats it, {name} as the copies page's script fills it in.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdif]|\{(\w+)\}")
# Unicode's digit zero of the decimal numbering systems CLDR makes a default for some
# locale; their other digits follow it in order. Babel knows the names, not the digits.
_ZEROS = {"arab": 0x0660, "arabext": 0x06F0, "beng": 0x09E6, "deva": 0x0966, "khmr": 0x17E0,
          "laoo": 0x0ED0, "mymr": 0x1040, "thai": 0x0E50, "tibt": 0x0F20}
_STRAY_PERCENT = re.compile(r"%(?!%|\(\w+\)[#0 +-]*\d*(?:\.\d+)?[sdif])")


# --- which catalog serves a tag ---------------------------------------------------------

def language_key(tag: str) -> tuple[str, str]:
    """(language, script) of a BCP 47 tag or a gettext id (`zh-TW`, `zh_Hant`), the script
    taken from CLDR's likely subtags where the tag leaves it out."""
    from babel.core import get_global

    parts = tag.replace("_", "-").split("-")
    language = parts[0].lower()
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), "")
    region = next((p.upper() for p in parts[1:]
                   if (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit())), "")
    if not script:
        likely = get_global("likely_subtags")
        for key in ([f"{language}_{region}"] if region else []) + [language]:
            if key in likely:
                script = likely[key].split("_")[1]
                break
    return language, script


def best_match(tag: str, candidates: Iterable[str]) -> str | None:
    """The candidate that serves `tag`: the same tag, else one of the same language and
    script (the same region first); None when there is none."""
    options = list(candidates)
    for candidate in options:
        if candidate.replace("_", "-").lower() == tag.replace("_", "-").lower():
            return candidate
    wanted = language_key(tag)
    same = [c for c in options if language_key(c) == wanted]
    region = _region(tag)
    same.sort(key=lambda c: (_region(c) != region, _region(c) != "", c))
    return same[0] if same else None


def _region(tag: str) -> str:
    parts = tag.replace("_", "-").split("-")[1:]
    return next((p.upper() for p in parts if len(p) == 2 and p.isalpha()), "")


def text_direction(tag: str) -> str:
    parts = tag.replace("_", "-").split("-")
    explicit = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), "")
    if explicit:
        return "rtl" if explicit in _RTL_SCRIPTS else "ltr"
    if parts[0].lower() in _RTL_LANGUAGES:
        return "rtl"
    return "rtl" if language_key(tag)[1] in _RTL_SCRIPTS else "ltr"


# --- placeholders -----------------------------------------------------------------------

def placeholders(text: str) -> set[str]:
    return {a or b for a, b in _PLACEHOLDER.findall(text)}


def placeholder_problems(message: Any) -> list[str]:
    """What is wrong with a translation's placeholders: one it invents, one it drops, a
    stray %. (A plural's forms for one item may leave the number out; its last may not.)"""
    ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    wanted = set().union(*(placeholders(i) for i in ids))
    problems = []
    for n, text in enumerate(strings):
        if not text:
            continue
        found = placeholders(text)
        if found - wanted:
            problems.append(f"uses {_names(found - wanted)}, which the English text does "
                            f"not have (it has {_names(wanted) or 'none'})")
        must_have = wanted if n == len(strings) - 1 else set()
        if must_have - found:
            problems.append(f"leaves out {_names(must_have - found)}")
        if _STRAY_PERCENT.search(text):
            problems.append("has a % that is not a placeholder (write %% for a percent sign)")
    return problems


def _names(names: set[str]) -> str:
    return ", ".join(f"%({n})s" for n in sorted(names))


# --- a page's language --------------------------------------------------------------------

@dataclass(frozen=True)
class PageWords:
    """What a page in one language needs: its words, direction, dates and numbers."""

    tag: str
    direction: str
    translations: gettext.NullTranslations
    locale: Any  # babel.Locale: dates, numbers and the language's own name
    digits: Mapping[int, str]  # ASCII digit -> the locale's own, when it has its own
    translated: bool  # whether any catalog has this language: else its words are English
    _dates: dict[date, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def chrome_lang(self) -> str:
        """The language the theme's words are in: the page's, or English where none has
        been translated."""
        return self.tag if self.translated else FALLBACK

    @property
    def chrome_dir(self) -> str:
        return self.direction if self.translated else "ltr"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def date(self, value: str | date) -> str:
        """A date as readers of this language write it (the day the writer gave)."""
        day = datetime.fromisoformat(value).date() if isinstance(value, str) else value
        if day not in self._dates:  # articles share days, and each is listed on several pages
            from babel.dates import format_date

            self._dates[day] = format_date(day, format="long", locale=self.locale)\
                .translate(self.digits)
        return self._dates[day]

    def number(self, value: int) -> str:
        from babel.numbers import format_decimal

        return format_decimal(value, locale=self.locale, group_separator=False,
                              numbering_system="default").translate(self.digits)

    @property
    def name(self) -> str:
        """The language's own name for itself, as a language menu shows it."""
        own = self.locale.get_display_name(self.locale) or self.tag
        return own[:1].upper() + own[1:]


def _babel_locale(tag: str) -> Any:
    from babel import Locale, UnknownLocaleError

    for candidate in (tag, tag.replace("_", "-").split("-")[0]):
        try:
            return Locale.parse(candidate.replace("_", "-"), sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK)


def _own_digits(locale: Any) -> dict[int, str]:
    """ASCII digit -> the digit of the locale's own numbering system (CLDR's default: ۲۵
    for fa, ၂၅ for my), for dates and numbers; empty where that is 0-9."""
    zero = _ZEROS.get(getattr(locale, "default_numbering_system", "latn"))
    if zero is None:
        return {}
    return {ord("0") + d: chr(zero + d) for d in range(10)}


# --- the catalogs -------------------------------------------------------------------------

class Words:
    """Every catalog a site's pages may use: its own first, then mirrorpub's, then English."""

    def __init__(self, site_templates: Path | None) -> None:
        self.site_dir = site_templates if site_templates and site_templates.is_dir() else None
        self._languages: dict[str, PageWords] = {}

    @cached_property
    def shipped(self) -> dict[str, Path]:
        return _catalogs(PACKAGE_LOCALE)

    @cached_property
    def own(self) -> dict[str, Path]:
        return _catalogs(self.site_dir / SITE_LOCALE) if self.site_dir else {}

    @cached_property
    def legacy_path(self) -> Path | None:
        path = self.site_dir / LEGACY_LABELS if self.site_dir else None
        return path if path and path.is_file() else None

    @cached_property
    def legacy(self) -> dict[str, dict[str, str]]:
        """The site's labels.toml, as msgid -> words per language."""
        if self.legacy_path is None:
            return {}
        from mirrorpub.site.legacylabels import read_labels

        return read_labels(self.legacy_path)

    def language(self, tag: str) -> PageWords:
        if tag not in self._languages:
            self._languages[tag] = self._make(tag)
        return self._languages[tag]

    def _make(self, tag: str) -> PageWords:
        layers: list[gettext.NullTranslations] = []
        legacy = self._legacy_words(tag)
        if legacy:
            layers.append(_Labels(legacy))
        for path in self._paths(tag):
            layers.append(_compile(_read(path)))
        first = layers[0] if layers else gettext.NullTranslations()
        for layer in layers[1:]:
            first.add_fallback(layer)
        locale = _babel_locale(tag)
        return PageWords(tag=tag, direction=text_direction(tag), translations=first,
                         locale=locale, digits=_own_digits(locale), translated=bool(layers))

    def _paths(self, tag: str) -> list[Path]:
        found = []
        for catalogs in (self.own, self.shipped):
            match = best_match(tag, catalogs)
            if match is not None:
                found.append(catalogs[match])
        return found

    def _legacy_words(self, tag: str) -> dict[str, str]:
        match = best_match(tag, self.legacy)
        base = best_match(tag.replace("_", "-").split("-")[0], self.legacy)
        words: dict[str, str] = {}
        for key in dict.fromkeys(k for k in (base, match) if k):
            words.update(self.legacy[key])
        return words

    # -- cache keys -----------------------------------------------------------------------
    def digest(self, tag: str) -> str:
        """Changes whenever a word or date a page in `tag` shows may change."""
        from babel import __version__ as babel_version

        h = hashlib.sha256(f"{babel_version}\0{tag}".encode())
        for path in self._paths(tag):
            h.update(b"\0" + path.read_bytes())
        h.update(json.dumps(self._legacy_words(tag), sort_keys=True).encode())
        return h.hexdigest()

    @cached_property
    def digest_all(self) -> str:
        """Changes whenever any catalog changes (or the CLDR data dates come from)."""
        from babel import __version__ as babel_version

        h = hashlib.sha256(babel_version.encode())
        for catalogs in (self.own, self.shipped):
            for key, path in sorted(catalogs.items()):
                h.update(f"\0{key}\0".encode() + path.read_bytes())
        if self.legacy_path is not None:
            h.update(b"\0labels\0" + self.legacy_path.read_bytes())
        return h.hexdigest()

    # -- what a build warns about ---------------------------------------------------------
    def problems(self, tags: Iterable[str]) -> list[str]:
        """One line per thing an editor should fix: labels.toml still in use, a language
        whose pages show English words. mirrorpub's own catalogs are complete (their tests
        say so), so only a language they lack costs a look at any catalog."""
        lines = []
        if self.legacy_path is not None:
            lines.append(f"{self.legacy_path}: labels.toml is read for one more release only; "
                         f"move its words into {self.site_dir}/{SITE_LOCALE}/<language>/"
                         f"LC_MESSAGES/{DOMAIN}.po (see the README, Languages)")
        for tag in sorted(set(tags)):
            if language_key(tag)[0] == FALLBACK or best_match(tag, self.shipped):
                continue
            where = f"templates/{SITE_LOCALE}/{tag.replace('-', '_')}/LC_MESSAGES/{DOMAIN}.po"
            own = best_match(tag, self.own)
            if own is None and not self._legacy_words(tag):
                lines.append(f"language {tag!r}: mirrorpub has no translation of its theme "
                             f"into it, so its pages show the theme's words in English; "
                             f"translate them in {where} (start from mirrorpub's "
                             "messages.pot)")
                continue
            expected = expected_ids()
            missing = len(expected - self._translated_ids(tag))
            if missing:
                lines.append(f"language {tag!r}: {missing} of {len(expected)} phrases of the "
                             f"theme have no translation, so they show in English; add them "
                             f"to {self.own[own] if own else where}")
        return lines

    def warn(self, tags: Iterable[str]) -> None:
        for line in self.problems(tags):
            log.warning("%s", line)

    def _translated_ids(self, tag: str) -> set[Any]:
        done = {(k, None) for k in self._legacy_words(tag)}
        for path in self._paths(tag):
            done |= {(m.id if isinstance(m.id, str) else m.id[0], m.context)
                     for m in _read(path) if m.id and _complete(m)}
        return done


def expected_ids() -> set[tuple[str, str | None]]:
    """Every msgid of the theme, from the shipped messages.pot."""
    return {(m.id if isinstance(m.id, str) else m.id[0], m.context)
            for m in _read(TEMPLATE) if m.id}


def _catalogs(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.parent.parent.name: p
            for p in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")) if p.is_file()}


# The last catalog read from each file, with the sha256 of its bytes: `watch` builds again
# and again in one process, and reads a catalog again only when it changed.
_READ: dict[Path, tuple[bytes, Any]] = {}


def _read(path: Path) -> Any:
    """The catalog at `path` (babel Catalog), checked: a broken placeholder in a site's
    translation stops the build naming the file and line, not a page half rendered."""
    from babel.messages.pofile import PoFileError, read_po

    raw = _raw(path)
    sha = hashlib.sha256(raw).digest()
    if path in _READ and _READ[path][0] == sha:
        return _READ[path][1]
    try:
        catalog = read_po(io.BytesIO(raw), locale=_locale_id(path), domain=DOMAIN,
                          abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: cannot be read: {exc}") from None
    for message in catalog:
        if message.id and not message.fuzzy:
            for problem in placeholder_problems(message):
                raise BuildError(f"{path}:{message.lineno}: the translation of "
                                 f"{_first(message.id)!r} {problem}")
    _READ[path] = (sha, catalog)
    return catalog


def _raw(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BuildError(f"{path}: cannot be read: {exc.strerror}") from None


def _locale_id(path: Path) -> str | None:
    from babel import Locale, UnknownLocaleError

    name = path.parent.parent.name
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return None
    return name


def _first(msgid: str | Sequence[str]) -> str:
    text = msgid if isinstance(msgid, str) else msgid[0]
    return text if len(text) <= 60 else text[:57] + "..."


def _complete(message: Any) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return not message.fuzzy and all(strings)


def _compile(catalog: Any) -> gettext.GNUTranslations:
    """The catalog as GNU gettext reads it: only entries translated in full (an empty
    plural form would show as nothing) and not fuzzy; the rest fall back."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    kept = Catalog(locale=catalog.locale, domain=DOMAIN)
    kept.mime_headers = catalog.mime_headers  # its Plural-Forms with it
    for message in catalog:
        if message.id and _complete(message):
            kept[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, kept)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class _Labels(gettext.NullTranslations):
    """A site's labels.toml words, over the catalogs."""

    def __init__(self, words: Mapping[str, str]) -> None:
        super().__init__()
        self._words = dict(words)

    def gettext(self, message: str) -> str:
        if message in self._words:
            return self._words[message]
        return super().gettext(message)
