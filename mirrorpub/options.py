"""Declarative checks for one TOML table, in the manner of MkDocs' config options.

Each key is described once by an `Option`; `read_table` checks a table against its
options and appends every problem it finds (it never stops at the first), as
`key_path: expected …, got …`. Nothing downstream checks these values again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Check = Callable[[Any], str | None]  # returns what was expected, or None when fine

_MISSING = object()


@dataclass(frozen=True)
class Option:
    kind: type | tuple[type, ...]
    required: bool = False
    default: Any = None
    check: Check | None = None
    items: type | None = None  # for lists: the type of every item
    secret: bool = False  # a wrong value may be a pasted credential: never echo it


def describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
             float: "a number", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _has_kind(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # TOML true is not an integer here
    return isinstance(value, kinds)


def read_table(
    table: Mapping[str, Any],
    options: Mapping[str, Option],
    where: str,
    problems: list[str],
) -> dict[str, Any]:
    """Check `table` against `options`; return the values (defaults filled in)."""
    prefix = f"{where}." if where else ""
    for key in sorted(set(table) - set(options)):
        known = ", ".join(sorted(options))
        problems.append(f"{prefix}{key}: unknown key (known keys here: {known})")
    values: dict[str, Any] = {}
    for key, option in options.items():
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if option.required:
                problems.append(f"{prefix}{key}: missing; expected {_kind_name(option.kind)}")
            values[key] = option.default
            continue
        problem = _check_value(value, option)
        if problem:
            got = "a value not shown here" if option.secret else describe(value)
            problems.append(f"{prefix}{key}: expected {problem}, got {got}")
            values[key] = option.default
        else:
            values[key] = value
    return values


def _check_value(value: Any, option: Option) -> str | None:
    if not _has_kind(value, option.kind):
        return _kind_name(option.kind)
    if (option.items is not None and isinstance(value, list)
            and not all(_has_kind(item, option.items) for item in value)):
        return f"a list of {_kind_name(option.items)} values"
    if option.check is not None:
        return option.check(value)
    return None


# --- reusable checks -------------------------------------------------------------------

def matches(pattern: str, expected: str) -> Check:
    compiled = re.compile(pattern)

    def check(value: Any) -> str | None:
        return None if compiled.fullmatch(str(value)) else expected

    return check


def at_least(minimum: int) -> Check:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"an integer of at least {minimum}"

    return check


def each(check: Check) -> Check:
    def check_all(values: Any) -> str | None:
        for value in values:
            problem = check(value)
            if problem:
                return f"a list where every item is {problem}"
        return None

    return check_all


def http_url(value: Any) -> str | None:
    return None if re.fullmatch(r"https?://[^\s/?#]+[^\s]*", str(value)) else "an http(s) URL"


def non_empty(value: Any) -> str | None:
    return None if str(value).strip() else "a non-empty string"
