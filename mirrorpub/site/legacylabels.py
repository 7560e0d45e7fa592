"""A site's own `templates/labels.toml`, the theme's words before gettext catalogs: still
read for one release, each key turned into the msgid that replaced it, so a site's
overrides keep working while its editor moves them into a `.po` file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from mirrorpub.errors import BuildError
from mirrorpub.site import readme

# old key -> (msgid, how the old words become its translation: {} is the old text)
_KEYS: dict[str, tuple[str, str]] = {
    "skip": ("Skip to content", "{}"),
    "site_nav": ("Site", "{}"),
    "home": ("Home", "{}"),
    "mirrors": ("Copies of this site", "{}"),
    "feed": ("Feed", "{}"),
    "other_copies": ("If this site is blocked", "{}"),
    "other_copies_help": ("The same page on other copies:", "{}"),
    "all_copies": ("All copies, and how to check one is genuine", "{}"),
    "key_fingerprint": ("Signing key: %(fingerprint)s", "{}: %(fingerprint)s"),
    "updated": ("updated %(date)s", "{} %(date)s"),
    "tags": ("Tags: %(tags)s", "{}: %(tags)s"),
    "tag": ("Tag: %(tag)s", "{}: %(tag)s"),
    "nothing_yet": ("Nothing published yet.", "{}"),
    "pages": ("Pages", "{}"),
    "newer": ("← Newer", "{}"),
    "older": ("Older →", "{}"),
    "mirrors_intro": ("The same site is published to all of these copies. If one is "
                      "blocked, try another. Save this page: it works offline.", "{}"),
    "kind_s3": ("Cloud storage", "{}"),
    "kind_directory": ("Folder copy", "{}"),
    "status_failed": ("(not updated in the last publish; it may show older articles)",
                      "({})"),
    "other_gateways": ("The same copy through other IPFS gateways:", "{}"),
    "ipfs_no_cid": ("Its address (CID) is not listed here, because a copy on IPFS cannot "
                    "name itself. If you are reading it over IPFS, the address is in your "
                    "browser's address bar; the other copies list it.", "{}"),
    "list_version": ("List version %(version)s", "{} %(version)s"),
    "list_expires": ("valid until %(date)s", "{} %(date)s"),
    "verify_title": ("Is this copy genuine?", "{}"),
    "verify_key": ("Every genuine copy carries mirrors.json, a list of all its files, signed "
                   "with this key:", "{}"),
    "verify_fingerprint_help": ("The same fingerprint is shown at the bottom of every page. "
                                "Compare it with the one the site gives in a place you "
                                "trust.", "{}"),
    "verify_how": ("To check a copy with mirrorpub, run:", "{}"),
    "verify_offline": ("For a copy on a USB stick or from a zip file, name its folder "
                       "instead:", "{}"),
    "bundle_title": ("Take the whole site with you", "{}"),
    "bundle_help": ("Download every article as one zip file, to read offline and to pass on "
                    "by USB stick or messenger:", "{}"),
    "verify_unsigned": ("This site does not sign its list of copies. You can still check "
                        "that a copy is complete:", "{}"),
    "blocked_title": ("If every copy is blocked", "{}"),
    "newer_list": ("A newer list?", "{}"),
    "newer_list_help": ("Copies are added and blocked over time. This asks the copies above "
                        "for their list; nothing is sent until you press the button.", "{}"),
    "check_copies": ("Ask the other copies for a newer list", "{}"),
    "list_current": ("This list is the newest the other copies know.", "{}"),
    "list_newer": ("The other copies have a newer list (version {version}):", "{}"),
    "list_no_answer": ("No other copy answered: they may be blocked from here, or may not "
                       "allow this check from a web page.", "{}"),
    "list_cannot_check": ("This browser cannot check the lists' signatures; use mirrorpub "
                          "verify instead.", "{}"),
}
# The README.txt of `bundle`: its {title}-style fields are now %(title)s.
_README_KEYS = {"readme": "README", "readme_verify_signed": "README_VERIFY_SIGNED",
                "readme_verify_unsigned": "README_VERIFY_UNSIGNED"}
_FIELD = re.compile(r"\{(title|folder|verify|key|fingerprint)\}")


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """labels.toml as {language: {msgid: translation}}; unknown keys are left out."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise BuildError(f"{path}: cannot be read: {exc}") from None
    out: dict[str, dict[str, str]] = {}
    for language, words in data.items():
        if not isinstance(words, dict):
            raise BuildError(f"{path}: [{language}] should be a table of words")
        converted = out.setdefault(language, {})
        for key, text in words.items():
            if not isinstance(text, str):
                continue
            escaped = text.replace("%", "%%")
            if key in _KEYS:
                msgid, shape = _KEYS[key]
                converted[msgid] = shape.replace("{}", escaped)
            elif key in _README_KEYS:
                converted[getattr(readme, _README_KEYS[key])] = _FIELD.sub(r"%(\1)s", escaped)
    return out
