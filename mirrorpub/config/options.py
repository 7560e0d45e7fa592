"""Config options declared once, as fields of frozen dataclasses (after MkDocs' options).

A config class is a frozen, keyword-only dataclass whose fields are made by `option(…)`:
the field *is* the option, so the validator and the dataclass cannot drift apart.
`read_options(cls, table, where, base, problems)` checks one TOML table against the
class's options and appends every problem it finds (it never stops at the first), as
`key_path: expected …, got …`; `build(cls, …)` then runs the class's cross-field step
(`finish`) once every single value is known to be good, and makes the instance. Nothing
downstream checks these values again.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from mirrorpub.redact import hidden, looks_like_token, shown

Check = Callable[[Any], str | None]  # returns what was expected, or None when fine
Convert = Callable[[Any, Path], Any]  # (checked value, the config file's folder) -> stored
T = TypeVar("T")

_MISSING = object()
_KEY = "mirrorpub.option"


@dataclass(frozen=True)
class Option:
    kind: type | tuple[type, ...]
    required: bool = False
    default: Any = None
    check: Check | None = None
    items: type | None = None  # for lists: the type of every item
    secret: bool = False  # a wrong value may be a pasted credential: never echo it
    convert: Convert | None = None  # how a good value (or the default) is stored


def option(kind: type | tuple[type, ...], *, required: bool = False, default: Any = None,
           check: Check | None = None, items: type | None = None, secret: bool = False,
           convert: Convert | None = None) -> Any:
    """A dataclass field that is also a config option."""
    spec = Option(kind, required, default, check, items, secret, convert)
    if required:
        return dataclasses.field(metadata={_KEY: spec})
    return dataclasses.field(default=None, metadata={_KEY: spec})


def options_of(cls: type) -> dict[str, Option]:
    return {f.name: f.metadata[_KEY] for f in dataclasses.fields(cls) if _KEY in f.metadata}


def describe(value: Any, *, secret: bool = False) -> str:
    """A value as an error message quotes it: never one that may be a secret (redact)."""
    return hidden(value) if secret else shown(value)


def read_options(cls: type, table: Mapping[str, Any], where: str, base: Path,
                 problems: list[str]) -> dict[str, Any]:
    """Check `table` against the options of `cls`; return the values (defaults filled in,
    converted). Problems are appended to `problems`."""
    options = options_of(cls)
    prefix = f"{where}." if where else ""
    for key in sorted(set(table) - set(options)):
        problems.append(f"{prefix}{key}: unknown key{_did_you_mean(str(key), options)}")
    values: dict[str, Any] = {}
    for key, spec in options.items():
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if spec.required:
                problems.append(f"{prefix}{key}: missing; expected {_kind_name(spec.kind)}")
            value = spec.default
        else:
            problem = _check_value(value, spec)
            if problem:
                got = describe(value, secret=spec.secret)
                problems.append(f"{prefix}{key}: expected {problem}, got {got}")
                value = spec.default
        if value is not None and spec.convert is not None:
            value = spec.convert(value, base)
        values[key] = value
    return values


def build(cls: type[T], table: Mapping[str, Any], where: str, base: Path,
          problems: list[str]) -> T | None:
    """The config object for `table`, or None when any of its values is wrong. The class's
    `finish(values, raw, where, problems)` (cross-field checks, derived values) runs only on
    values that each passed their own check, as MkDocs runs its post-validation; it gets
    the table as written too, to quote the editor's own words back."""
    before = len(problems)
    values = read_options(cls, table, where, base, problems)
    if len(problems) > before:
        return None
    finish = getattr(cls, "finish", None)
    if finish is not None:
        finish(values, table, where, problems)
        if len(problems) > before:
            return None
    return cls(**values)


def _did_you_mean(key: str, options: Mapping[str, Option]) -> str:
    close = difflib.get_close_matches(key, list(options), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known keys here: {', '.join(sorted(options))})"


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


def _check_value(value: Any, spec: Option) -> str | None:
    if not _has_kind(value, spec.kind):
        return _kind_name(spec.kind)
    if (spec.items is not None and isinstance(value, list)
            and not all(_has_kind(item, spec.items) for item in value)):
        return f"a list of {_kind_name(spec.items)} values"
    if spec.check is not None:
        return spec.check(value)
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


def public_http_url(value: Any) -> str | None:
    """What readers open: an http(s) URL, with no user:password@ to publish by mistake."""
    parts = urlsplit(str(value))
    if http_url(value) or parts.username or parts.password:
        return "an http(s) URL without user:password@"
    return None


def non_empty(value: Any) -> str | None:
    return None if str(value).strip() else "a non-empty string"


def env_name(value: Any) -> str | None:
    """The name of an environment variable, not a credential pasted in its place."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(value)) and not looks_like_token(str(value)):
        return None
    return ("the name of an environment variable (like B2_SECRET) that holds the "
            "credential, not the credential itself")


def credentials_in_urls(values: Mapping[str, Any], keys: tuple[str, ...], where: str,
                        hint: str) -> list[str]:
    """Problems for URL options that carry a user name or password (never echoed)."""
    problems = []
    for key in keys:
        urls = values[key] if isinstance(values[key], list | tuple) else [values[key]]
        if any(urlsplit(url or "").username or urlsplit(url or "").password for url in urls):
            problems.append(f"{where}.{key}: must not contain credentials (user:password@); "
                            f"{hint}")
    return problems

MIRROR_NAME = matches(r"[a-z0-9][a-z0-9-]{0,62}", "lowercase letters, digits and '-'")


# --- reusable conversions --------------------------------------------------------------

def resolve_path(base: Path, value: str) -> Path:
    """A config path: `~` expanded, relative to the config file's folder."""
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path)


def as_path(value: Any, base: Path) -> Path:
    return resolve_path(base, str(value))


def key_prefix(value: Any, base: Path) -> str:
    """A prefix for object names inside a bucket or container: `news/`, or empty."""
    prefix = str(value).strip("/")
    return f"{prefix}/" if prefix else ""


def folder_url(value: Any, base: Path) -> str:
    """A URL that pages are appended to: ends in exactly one '/'."""
    return str(value).rstrip("/") + "/"
