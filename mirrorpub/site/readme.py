"""The README.txt of a bundle: how to open the copy and how to check it, in the site's
language. Its three texts are msgids like the theme's (`make messages` finds them here)."""

from __future__ import annotations

from typing import Protocol


def N_(message: str) -> str:  # gettext's usual name for "translated where it is shown"
    """Marks a message for `make messages`; it is translated where it is used."""
    return message


class Translator(Protocol):
    def gettext(self, message: str) -> str: ...


README = N_("""\
%(title)s

This zip file holds a complete copy of the site, to read without a network and to hand on
to others.

To read it: unzip the file, open the folder "%(folder)s" and open index.html in a web
browser. No network is needed. The bottom of every page and the page mirrors.html give
the addresses of the other copies on the internet.

%(verify)s
""")
# Translators: %(command)s is "pipx install mirrorpub", %(page)s the project's web page.
INSTALL = N_("mirrorpub is free software; install it with %(command)s (see %(page)s).")
INSTALL_COMMAND = "pipx install mirrorpub"
PROJECT_PAGE = "https://pypi.org/project/mirrorpub/"
README_VERIFY_SIGNED = N_("""\
To check that this copy is genuine and complete, run mirrorpub in the folder where you
unzipped it:

    mirrorpub verify %(folder)s --key "%(key)s"

The site signs the list of its files with this key; its fingerprint is %(fingerprint)s.
Compare it with the fingerprint the site shows in a place you trust: a copy made by
someone else carries a different key.""")
README_VERIFY_UNSIGNED = N_("""\
This site does not sign its copies. To check that this copy is complete, run mirrorpub
in the folder where you unzipped it:

    mirrorpub verify %(folder)s""")


def readme_text(words: Translator, *, title: str, folder: str, key: str | None,
                fingerprint: str | None) -> str:
    """README.txt in the language of `words` (English where it has no translation)."""
    verify = words.gettext(README_VERIFY_SIGNED if key else README_VERIFY_UNSIGNED) % {
        "folder": folder, "key": key or "", "fingerprint": fingerprint or ""}
    install = words.gettext(INSTALL) % {"command": INSTALL_COMMAND, "page": PROJECT_PAGE}
    text = words.gettext(README) % {"title": title, "folder": folder, "verify": verify}
    return text.rstrip("\n") + "\n\n" + install + "\n"
