"""ASCII slugs from any text (SPEC §5: slugs are `[a-z0-9-]+`).

Cyrillic (Russian, Kyrgyz, Kazakh, Ukrainian…), Greek, Arabic-script and Hebrew letters
are transliterated with the tables below; Latin letters lose their accents through
Unicode decomposition. A small table of our own rather than Unidecode: it covers the
newsrooms' languages and keeps a GPL dependency out of the wheel.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 80

_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўңөүәғқұһ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia",
     "i", "i", "ie", "g", "u", "ng", "o", "u", "a", "g", "q", "u", "h"],
    strict=True,
))
_GREEK = dict(zip(
    "αβγδεζηθικλμνξοπρσςτυφχψω",
    ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r",
     "s", "s", "t", "y", "f", "ch", "ps", "o"],
    strict=True,
))
_ARABIC = dict(zip(
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةىپچژگکی",
    ["a", "b", "t", "th", "j", "h", "kh", "d", "dh", "r", "z", "s", "sh", "s", "d", "t", "z",
     "", "gh", "f", "q", "k", "l", "m", "n", "h", "w", "y", "", "a", "a", "i", "w", "y", "a",
     "a", "p", "ch", "zh", "g", "k", "y"],
    strict=True,
))
_HEBREW = dict(zip(
    "אבגדהוזחטיכךלמםנןסעפףצץקרשת",
    ["a", "v", "g", "d", "h", "v", "z", "kh", "t", "y", "k", "k", "l", "m", "m", "n", "n",
     "s", "", "p", "f", "ts", "ts", "k", "r", "sh", "t"],
    strict=True,
))
_TABLE = {**_CYRILLIC, **_GREEK, **_ARABIC, **_HEBREW}


def transliterate(text: str) -> str:
    out: list[str] = []
    for char in text.lower():
        if char in _TABLE:
            out.append(_TABLE[char])
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in decomposed if c.isascii()))
    return "".join(out)


def slugify(text: str) -> str:
    """The slug for `text`; never empty (falls back to a short hash of the text)."""
    ascii_text = transliterate(text)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    if not slug:
        slug = "x-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return slug


def is_slug(text: str) -> bool:
    return len(text) <= MAX_SLUG and SLUG_RE.fullmatch(text) is not None


def path_segment(name: str) -> str:
    """An ASCII file or folder name for output: slugified stem, extension kept (lowercased)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return slugify(name)
    clean_ext = re.sub(r"[^a-z0-9]", "", transliterate(ext).lower())[:10]
    return f"{slugify(stem)}.{clean_ext}" if clean_ext else slugify(stem)
