"""An imported article as mirrorpub reads it: SPEC §5 front matter, written the same way
every time, and checked by mirrorpub's own front matter reader before it is kept."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from mirrorpub.content.frontmatter import decode, split
from mirrorpub.content.slugs import slugify

# Characters a page or the feed cannot carry (content/frontmatter.py refuses them).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Line breaks YAML reads inside a quoted string, which JSON leaves as they are.
_YAML_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\x85"}
# Plain words YAML would read as something else than text (true, null, a number, a date).
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
_PLAIN_SLUG = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Front:
    title: str
    date: datetime
    slug: str
    author: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None
    summary: str | None = None
    draft: bool = False
    updated: datetime | None = None
    origin: str | None = None  # a comment line: where the article came from


def clean_text(text: str) -> str:
    """Text without the control characters mirrorpub refuses."""
    return _NOT_TEXT.sub("", text)


def one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def quoted(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly `text`."""
    out = json.dumps(text, ensure_ascii=False)
    for char, escape in _YAML_BREAKS.items():
        out = out.replace(char, escape)
    return out


def _slug(slug: str) -> str:
    """A slug as YAML reads it back: as text (`1234` and `2019-05-03` quoted)."""
    plain = _PLAIN_SLUG.fullmatch(slug) and slug not in _YAML_WORDS
    return slug if plain else quoted(slug)


def unique_tags(tags: list[str]) -> tuple[str, ...]:
    """Tags in order, without blanks or two that would share one tag page."""
    seen: dict[str, str] = {}
    for tag in tags:
        tag = one_line(tag)
        if tag:
            seen.setdefault(slugify(tag), tag)
    return tuple(seen.values())


def article_text(front: Front, body: str) -> str:
    lines = ["---"]
    if front.origin:
        lines.append(f"# {one_line(front.origin)}")
    lines += [f"title: {quoted(one_line(front.title))}", f"date: {front.date.isoformat()}",
              f"slug: {_slug(front.slug)}"]
    if front.author:
        lines.append(f"author: {quoted(one_line(front.author))}")
    if front.tags:
        lines.append(f"tags: [{', '.join(quoted(t) for t in front.tags)}]")
    if front.lang:
        lines.append(f"lang: {front.lang}")
    if front.summary and one_line(front.summary):
        lines.append(f"summary: {quoted(one_line(front.summary))}")
    if front.draft:
        lines.append("draft: true")
    if front.updated:
        lines.append(f"updated: {front.updated.isoformat()}")
    lines.append("---")
    text = clean_text(body).strip("\n")
    return "\n".join(lines) + "\n" + (text + "\n" if text else "")


def check_article(shown: str, text: str) -> None:
    """Raise the ContentError `mirrorpub build` would raise for this article, if any."""
    split(shown, decode(shown, text.encode("utf-8")))
