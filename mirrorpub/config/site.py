"""The `[site]` table (SPEC §4), declared once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.config.options import as_path, at_least, each, matches, non_empty, option
from mirrorpub.redact import looks_like_private_key, shown
from mirrorpub.safepath import names_a_file

SIGNING_KEY_ENV = "MIRRORPUB_SIGNING_KEY"

_LANGUAGE = matches(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*",
                    "a BCP 47 language tag like 'ru' or 'fa-IR'")
_DOMAIN = matches(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "a domain name like 'kloop.kg'")


def _key_path(value: Any) -> str | None:
    if looks_like_private_key(value):
        return ("the path of a key file, not the key itself (keep the key in a file, or "
                f"give its text in {SIGNING_KEY_ENV})")
    return non_empty(value)


def _globs(value: Any, base: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value)


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    title: str = option(str, required=True, check=non_empty)
    language: str = option(str, default="en", check=_LANGUAGE)
    # Every language the site publishes in; the first is `language` (the index, tag pages
    # and mirrors.html), each further one gets its own copies page, mirrors.<lang>.html.
    # Unset: just `language`.
    languages: tuple[str, ...] = option(list, default=None, items=str, check=each(_LANGUAGE),
                                        convert=lambda value, _base: tuple(value))
    description: str = option(str, default="")
    content_dir: Path = option(str, default="content", check=non_empty, convert=as_path)
    templates_dir: Path = option(str, default="templates", check=non_empty, convert=as_path)
    output_dir: Path = option(str, default="public", check=non_empty, convert=as_path)
    per_page: int = option(int, default=20, check=at_least(1))
    # feed.xml's newest entries; older ones sit in archived feed documents (SPEC §14).
    feed_size: int = option(int, default=50, check=at_least(1))
    # Ignored when MIRRORPUB_SIGNING_KEY is set, which wins.
    signing_key: Path | None = option(str, default=None, check=_key_path, convert=as_path)
    manifest_ttl_days: int = option(int, default=30, check=at_least(1))
    # keys.json (+ .sig beside it), written by `mirrorpub keys` with the root key (SPEC
    # §11); published on every copy when it exists.
    keys_file: Path = option(str, default="keys.json", check=non_empty, convert=as_path)
    # Beyond SPEC §4, each optional (see README):
    main_domain: str | None = option(str, default=None, check=_DOMAIN)
    blocked_help: str = option(str, default="")
    allow_external: bool = option(bool, default=False)
    bundle: bool = option(bool, default=False)
    # Files and folders under content/ never published, beyond editor and OS debris.
    ignore: tuple[str, ...] = option(list, default=[], items=str, check=each(non_empty),
                                     convert=_globs)

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        _check_languages(values, raw, where, problems)
        if not values["content_dir"].is_dir():
            shown = raw.get("content_dir", "content")
            problems.append(f"{where}.content_dir: folder {shown!r} not found")
        if os.environ.get(SIGNING_KEY_ENV):
            values["signing_key"] = None
        elif values["signing_key"] is not None:
            problems += _key_file_problems(values, raw["signing_key"], f"{where}.signing_key")

    def exposing(self, path: Path) -> str | None:
        """The option naming a folder that holds `path` and whose files can reach a
        reader (content/, the theme, the output), if any."""
        return exposing(path, self.content_dir, self.templates_dir, self.output_dir)


def exposing(path: Path, content_dir: Path, templates_dir: Path, output_dir: Path) -> str | None:
    target = path.resolve()
    for key, folder in (("site.content_dir", content_dir), ("site.templates_dir", templates_dir),
                        ("site.output_dir", output_dir)):
        if target.is_relative_to(folder.resolve()):
            return key
    return None


def key_exposed(where: str, folder_key: str) -> str:
    return (f"{where}: the key file lies inside {folder_key}, where it can be published; "
            "move it out (say, to ~/.config/mirrorpub/site.key) and give its new path")


def _key_file_problems(values: dict[str, Any], written: str, where: str) -> list[str]:
    path = values["signing_key"]
    if not names_a_file(path):
        return [f"{where}: no key file at {shown(written)} (create one with "
                "`mirrorpub keygen`)"]
    folder_key = exposing(path, values["content_dir"], values["templates_dir"],
                          values["output_dir"])
    return [key_exposed(where, folder_key)] if folder_key else []


def _check_languages(values: dict[str, Any], raw: Mapping[str, Any], where: str,
                     problems: list[str]) -> None:
    """`languages` names the site's language first; given alone, its first one is it."""
    languages = values["languages"]
    if languages is None:
        values["languages"] = (values["language"],)
        return
    if not languages:
        problems.append(f"{where}.languages: expected at least one language, like "
                        f"[{values['language']!r}]")
        return
    seen: set[str] = set()
    for language in languages:
        if language.lower() in seen:
            problems.append(f"{where}.languages: {language!r} is listed twice")
        seen.add(language.lower())
    if "language" not in raw:
        values["language"] = languages[0]
    elif languages[0].lower() != values["language"].lower():
        problems.append(f"{where}.languages: the first one is the site's language: expected "
                        f"{values['language']!r} first (as {where}.language says), "
                        f"got {languages[0]!r}")
