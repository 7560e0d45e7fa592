"""The `[site]` table (SPEC §4), declared once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.config.options import as_path, at_least, each, matches, non_empty, option

SIGNING_KEY_ENV = "MIRRORPUB_SIGNING_KEY"

_LANGUAGE = matches(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*",
                    "a BCP 47 language tag like 'ru' or 'fa-IR'")
_DOMAIN = matches(r"[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "a domain name like 'kloop.kg'")


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
    # Ignored when MIRRORPUB_SIGNING_KEY is set, which wins.
    signing_key: Path | None = option(str, default=None, check=non_empty, convert=as_path)
    manifest_ttl_days: int = option(int, default=30, check=at_least(1))
    # Beyond SPEC §4, each optional (see README):
    main_domain: str | None = option(str, default=None, check=_DOMAIN)
    blocked_help: str = option(str, default="")
    allow_external: bool = option(bool, default=False)
    bundle: bool = option(bool, default=False)

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        _check_languages(values, raw, where, problems)
        if not values["content_dir"].is_dir():
            shown = raw.get("content_dir", "content")
            problems.append(f"{where}.content_dir: folder {shown!r} not found")
        if os.environ.get(SIGNING_KEY_ENV):
            values["signing_key"] = None
        elif values["signing_key"] is not None and not values["signing_key"].is_file():
            problems.append(f"{where}.signing_key: no key file at {raw['signing_key']!r} "
                            "(create one with `mirrorpub keygen`)")


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
