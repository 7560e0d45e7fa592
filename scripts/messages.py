"""`make messages`: the theme's msgids into mirrorpub/locale/messages.pot, and every
catalog brought in line with it (new msgids added untranslated, gone ones dropped).

    python scripts/messages.py          write messages.pot, update every .po
    python scripts/messages.py --check  exit 1 when messages.pot is not what the sources say

Msgids come from the templates (`_()`, `ngettext`, `{% trans %}`) and from the Python
code (`_`, `N_`, `gettext`). Both files are deterministic: a fixed header date and no line
numbers, so they change only when a message does. A new msgid leaves every catalog
incomplete until it is translated, and tests/site/test_catalogs.py says which.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "mirrorpub" / "locale"
POT = LOCALE / "messages.pot"
DOMAIN = "mirrorpub"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)  # not the day it ran: same input, same bytes
METHODS = [("templates/**.html", "jinja2"), ("templates/**.xml", "jinja2"),
           ("mirrorpub/**.py", "python")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true",
                                 "silent": "false", "trim_blocks": "true",
                                 "lstrip_blocks": "true"},
           "templates/**.xml": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true",
                                "silent": "false"}}
COMMENT_TAGS = ("Translators:",)
HEADER = """\
# The words of mirrorpub's default theme and of a bundle's README.txt.
# Made from messages.pot by `make messages`; review by native speakers is welcome
# (README.md, "Translations")."""


def template_catalog(root: Path = REPO) -> Catalog:
    """Every msgid in the sources under `root`, with its files and translators' comments."""
    catalog = _empty(None)
    found = sorted(extract_from_dir(str(root), METHODS, OPTIONS, comment_tags=COMMENT_TAGS,
                                    strip_comment_tags=True),
                   key=lambda m: (m[0], m[1]))
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=96, include_lineno=False, ignore_obsolete=True)
    # Which Babel wrote it is no part of what it says: leave it out, so that another Babel
    # version gives the same bytes.
    return b"".join(line for line in buffer.getvalue().splitlines(keepends=True)
                    if not line.startswith(b'"Generated-By:'))


def messages_of(catalog: Catalog) -> list[tuple[Any, ...]]:
    """The msgids of a template, where they are used (files, not lines) and what their
    comments tell translators: what `--check` compares, whatever Babel lays it out."""
    return [(m.id, m.context, tuple(dict.fromkeys(f for f, _ in m.locations)),
             tuple(m.auto_comments)) for m in catalog if m.id]


def updated(po: Path, template: Catalog) -> bytes:
    """A catalog with the template's msgids: translations kept, gone ones dropped."""
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name, domain=DOMAIN)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.revision_date = FIXED_DATE
    catalog.creation_date = FIXED_DATE
    return render(catalog)


def _empty(locale: str | None, **header: Any) -> Catalog:
    from mirrorpub import __version__

    return Catalog(locale=locale, domain=DOMAIN, project="mirrorpub", version=__version__,
                   creation_date=FIXED_DATE, revision_date=FIXED_DATE,
                   msgid_bugs_address="the mirrorpub issue tracker (README: Translations)",
                   header_comment=HEADER, fuzzy=False, **header)


def is_stale(pot: Path, template: Catalog) -> bool:
    """Whether `pot` lacks a msgid of the sources, or has one they no longer use."""
    if not pot.is_file():
        return True
    with pot.open("rb") as handle:
        return messages_of(read_po(handle)) != messages_of(template)


def main(argv: list[str]) -> int:
    template = template_catalog()
    if "--check" in argv:
        if is_stale(POT, template):
            print(f"{POT.relative_to(REPO)} is stale: run `make messages`", file=sys.stderr)
            return 1
        return 0
    POT.write_bytes(render(template))
    for po in sorted(LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        po.write_bytes(updated(po, template))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
