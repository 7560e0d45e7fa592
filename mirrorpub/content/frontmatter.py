"""Split an article into YAML front matter and markdown body, and check the front matter.

The result is a frozen `FrontMatter`; every problem is a ContentError naming the file and
the line of the offending key, with what is expected.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from mirrorpub.content.slugs import is_slug
from mirrorpub.errors import ContentError

_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# Characters XML (the feed) forbids and no editor means to type; tab, LF and CR are fine.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FENCE = re.compile(r"^---[ \t]*$")
KEYS = ("title", "date", "slug", "author", "tags", "lang", "summary", "draft", "updated",
        "allow_external")


@dataclass(frozen=True)
class FrontMatter:
    title: str
    date: datetime
    slug: str | None
    author: str | None
    tags: tuple[str, ...]
    lang: str | None
    summary: str | None
    draft: bool
    updated: datetime | None
    allow_external: bool


@dataclass(frozen=True)
class SourceText:
    front: FrontMatter
    body: str
    body_line: int  # line number (1-based) of the body's first line in the file


def decode(file: str, raw: bytes) -> str:
    """UTF-8 text of a source file, or a ContentError naming the line of the bad byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ContentError(file, "is not valid UTF-8; save it as UTF-8", line) from None
    bad = _NOT_TEXT.search(text)
    if bad:
        line = text[: bad.start()].count("\n") + 1
        if bad.group() == "\x00":
            raise ContentError(file, "contains a NUL character; is this a text file?", line)
        raise ContentError(file, f"contains the control character U+{ord(bad.group()):04X}, "
                           "which pages and the feed cannot carry; remove it", line)
    return text.removeprefix("\ufeff")


def split(file: str, text: str) -> SourceText:
    lines, closing = _fenced(file, text)
    front = _parse_yaml(file, "".join(lines[1:closing]))
    return SourceText(front=front, body="".join(lines[closing + 1:]), body_line=closing + 2)


def body_of(file: str, text: str) -> tuple[str, int]:
    """The body and the line it starts on, without reading the front matter again: for an
    article whose front matter was checked when its source was first seen."""
    lines, closing = _fenced(file, text)
    return "".join(lines[closing + 1:]), closing + 2


def _fenced(file: str, text: str) -> tuple[list[str], int]:
    """The source's lines and the index of the line closing the front matter."""
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        raise ContentError(file, "must start with front matter: a line '---', then "
                           "'title:' and 'date:', then '---'", 1)
    for index in range(1, len(lines)):
        if _FENCE.match(lines[index].rstrip("\r\n")):
            return lines, index
    raise ContentError(file, "front matter is not closed: add a line '---' after it", 1)


def _parse_yaml(file: str, text: str) -> FrontMatter:
    try:
        node, data = _compose(text, _fast_loader(text))
    except Exception:  # the pure-Python reading below names the problem
        node, data = _compose_or_explain(file, text)
    if not isinstance(data, dict) or node is None:
        raise ContentError(file, "front matter must be 'key: value' lines", 2)
    _refuse_repeated_keys(file, node)
    return _check(file, data, _key_lines(node))


def _refuse_repeated_keys(file: str, node: Any) -> None:
    """YAML keeps the last of two equal keys without a word: an editor who wrote `title:`
    twice would publish the one they did not mean. Refused, as Hugo does."""
    import yaml

    seen: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        line = key.start_mark.line + 2
        if key.value in seen:
            raise ContentError(file, f"front matter key '{key.value}' is given twice (lines "
                               f"{seen[key.value]} and {line}); keep one", line)
        seen[key.value] = line


def _key_lines(node: Any) -> dict[str, int]:
    """Each top-level key's line in the file (+1 for 1-based, +1 for the opening ---)."""
    import yaml  # here, not at import: a build with nothing new to read never needs it

    return {str(k.value): k.start_mark.line + 2 for k, _ in node.value
            if isinstance(k, yaml.ScalarNode)}


def key_line(file: str, text: str, key: str) -> int:
    """The line of `key` in a source whose front matter was checked before."""
    import yaml

    lines, closing = _fenced(file, text)
    node, _ = _compose("".join(lines[1:closing]), yaml.SafeLoader)
    return _key_lines(node).get(key, 2)


def _fast_loader(text: str) -> Any:
    """libyaml's reader where it reads exactly what PyYAML's would; else PyYAML's own."""
    import yaml

    if yaml.__with_libyaml__ and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        return yaml.CSafeLoader
    return yaml.SafeLoader


def _compose(text: str, loader_class: Any) -> tuple[Any, Any]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _compose_or_explain(file: str, text: str) -> tuple[Any, Any]:
    """PyYAML's pure-Python reading: its messages and line numbers are the ones we show."""
    import yaml

    try:
        return _compose(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark else 2  # +1 for 1-based, +1 for the opening ---
        problem = exc.problem or exc.context or "cannot be read"
        raise ContentError(file, f"front matter is not valid YAML: {problem}", line) from None
    except ValueError as exc:
        # PyYAML raises ValueError for impossible dates such as 2026-13-45: a date problem.
        raise _impossible_date(file, text) or ContentError(
            file, f"front matter is not valid YAML: {_one_line(exc)}", 2) from None
    except (yaml.YAMLError, TypeError, RecursionError, OverflowError) as exc:
        raise ContentError(file, f"front matter is not valid YAML: {_one_line(exc)}", 2) \
            from None


def _impossible_date(file: str, text: str) -> ContentError | None:
    """The key whose value reads as a date but is no real day (2026-13-45), on its line."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if not (isinstance(value, yaml.ScalarNode) and value.tag.endswith(":timestamp")):
            continue
        try:
            datetime.fromisoformat(value.value.replace(" ", "T", 1))
        except ValueError:
            return ContentError(file, f"front matter '{key.value}': {value.value} is not a "
                                "real date (month 01-12, a day that month has); write it as "
                                "2026-11-25 or 2026-11-25T12:30:00+06:00",
                                key.start_mark.line + 2)
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


def _check(file: str, data: dict[Any, Any], lines: dict[str, int]) -> FrontMatter:
    def fail(key: str, message: str) -> ContentError:
        return ContentError(file, f"front matter '{key}': {message}", lines.get(key, 2))

    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(KEYS)})"
            raise fail(str(key), f"unknown key{hint}")
    if "title" not in data:
        raise ContentError(file, "front matter needs 'title:'", 2)
    if "date" not in data:
        raise ContentError(file, "front matter needs 'date:' (ISO 8601, e.g. "
                           "2026-11-25T12:30:00+06:00)", 2)

    def text(key: str, *, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"expected text, got {_shown(value)}")
        return value.strip()

    title = text("title", required=True) or ""
    slug = text("slug")
    if slug is not None and not is_slug(slug):
        raise fail("slug", f"expected lowercase ASCII letters, digits and '-', got {slug!r}")
    lang = text("lang")
    if lang is not None and not _LANG.fullmatch(lang):
        raise fail("lang", f"expected a language tag like 'ky' or 'fa', got {lang!r}")
    return FrontMatter(
        title=title,
        date=_when(data["date"], fail, "date"),
        slug=slug,
        author=text("author"),
        tags=_tags(data.get("tags"), fail),
        lang=lang,
        summary=text("summary"),
        draft=_flag(data.get("draft", False), fail, "draft"),
        updated=_when(data["updated"], fail, "updated") if data.get("updated") is not None
        else None,
        allow_external=_flag(data.get("allow_external", False), fail, "allow_external"),
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 50 else text[:47] + "..."


def _when(value: Any, fail: Any, key: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise fail(key, f"expected an ISO 8601 date, got {value!r}") from None
    if isinstance(value, datetime):
        # A time without an offset is taken as UTC, so builds do not depend on the machine.
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    raise fail(key, f"expected an ISO 8601 date like 2026-11-25T12:30:00+06:00, got "
               f"{_shown(value)}")


def _tags(value: Any, fail: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(t, str) and t.strip() for t in value):
        raise fail("tags", f"expected a list of words like [press-freedom, kazakhstan], "
                   f"got {_shown(value)}")
    return tuple(dict.fromkeys(t.strip() for t in value))


def _flag(value: Any, fail: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise fail(key, f"expected true or false, got {_shown(value)}")
    return value
