r"""The JSON Schemas of what mirrorpub publishes, and a small checker for them.

The schemas ship in the package (`mirrorpub/schemas/`). The checker knows the keywords
they use (draft 2020-12 meaning); jsonschema is a test-only dependency, so readers do not
need it, and tests compare this checker with it. An unknown keyword is a bug here, and
raises rather than silently passing anything.

`pattern` has its JSON Schema (ECMA-262) meaning: `$` is the end of the text. Python's
`$` also matches before a final newline, so "usb\n" would pass `^[a-z]+$` and a copy
could end its names with line breaks that forge lines of verify's output; here `$` is
translated to `\Z`. (The shipped schema also refuses control characters outright, so
it is newline-proof under any validator, Python's jsonschema included.)
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any


@functools.cache
def _schema_text(name: str) -> str:
    return resources.files("mirrorpub").joinpath(f"schemas/{name}").read_text(encoding="utf-8")


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema every mirrors.json of the first format validates against."""
    return json.loads(_schema_text("manifest.schema.json"))


def manifest_v2_schema() -> dict[str, Any]:
    """mirrors.json of the second format: the files listed in parts (SPEC §12)."""
    return json.loads(_schema_text("manifest-2.schema.json"))


def files_part_schema() -> dict[str, Any]:
    """One part of a second-format manifest's file list."""
    return json.loads(_schema_text("files-part.schema.json"))


def keys_schema() -> dict[str, Any]:
    """keys.json: the signing keys the site's root key delegates (SPEC §11)."""
    return json.loads(_schema_text("keys.schema.json"))


_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description",
                          "default", "examples", "then", "else"})
_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
               "null": type(None)}


def schema_errors(instance: Any, schema: Mapping[str, Any] | bool,
                  where: str = "mirrors.json") -> list[str]:
    errors: list[str] = []
    _check(instance, schema, schema, where, errors)
    return errors


def _check(value: Any, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    if schema is True:
        return
    if schema is False:
        errors.append(f"{where}: not allowed here")
        return
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        checker = _KEYWORDS.get(keyword)
        if checker is None:
            raise ValueError(f"schema keyword {keyword!r} is not supported here")
        checker(value, rule, schema, root, where, errors)


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _JSON_TYPES[name])


def _type_of(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if re.fullmatch(r"[A-Za-z_]\w*", key) else f"{where}[{key!r}]"


def _valid(value: Any, schema: Any, root: Any) -> bool:
    errors: list[str] = []
    _check(value, schema, root, "", errors)
    return not errors


def _k_type(value: Any, rule: Any, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    names = rule if isinstance(rule, list) else [rule]
    if not any(_is_type(value, n) for n in names):
        errors.append(f"{where}: expected {' or '.join(names)}, got {_type_of(value)}")


def _k_const(value: Any, rule: Any, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    if not _same(value, rule):
        errors.append(f"{where}: expected {json.dumps(rule)}")


def _k_enum(value: Any, rule: Any, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    if not any(_same(value, option) for option in rule):
        errors.append(f"{where}: expected one of {', '.join(json.dumps(r) for r in rule)}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):  # in JSON, true is not 1 (but 1 is 1.0)
        return type(a) is type(b) and a == b
    return bool(a == b)


def _k_pattern(value: Any, rule: str, schema: Any, root: Any, where: str,
               errors: list[str]) -> None:
    if isinstance(value, str) and not _pattern(rule).search(value):
        errors.append(f"{where}: {value!r} is not of the expected form")


@functools.cache
def _pattern(rule: str) -> re.Pattern[str]:
    """`rule` compiled with ECMA-262's `$`: the end of the text, never before a newline."""
    out, in_class, escaped = [], False, False
    for char in rule:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
    return re.compile("".join(out))


def _k_min_length(value: Any, rule: int, schema: Any, root: Any, where: str,
                  errors: list[str]) -> None:
    if isinstance(value, str) and len(value) < rule:
        errors.append(f"{where}: expected at least {rule} characters")


def _k_max_length(value: Any, rule: int, schema: Any, root: Any, where: str,
                  errors: list[str]) -> None:
    if isinstance(value, str) and len(value) > rule:
        errors.append(f"{where}: expected at most {rule} characters")


def _k_minimum(value: Any, rule: float, schema: Any, root: Any, where: str,
               errors: list[str]) -> None:
    if _is_type(value, "number") and value < rule:
        errors.append(f"{where}: expected at least {rule}")


def _k_maximum(value: Any, rule: float, schema: Any, root: Any, where: str,
               errors: list[str]) -> None:
    if _is_type(value, "number") and value > rule:
        errors.append(f"{where}: expected at most {rule}")


def _k_max_items(value: Any, rule: int, schema: Any, root: Any, where: str,
                 errors: list[str]) -> None:
    if isinstance(value, list) and len(value) > rule:
        errors.append(f"{where}: expected at most {rule} items, got {len(value)}")


def _k_max_properties(value: Any, rule: int, schema: Any, root: Any, where: str,
                      errors: list[str]) -> None:
    if isinstance(value, dict) and len(value) > rule:
        errors.append(f"{where}: expected at most {rule} entries, got {len(value)}")


def _k_required(value: Any, rule: list[str], schema: Any, root: Any, where: str,
                errors: list[str]) -> None:
    if isinstance(value, dict):
        errors.extend(f"{where}: missing {key!r}" for key in rule if key not in value)


def _k_properties(value: Any, rule: Mapping[str, Any], schema: Any, root: Any, where: str,
                  errors: list[str]) -> None:
    if isinstance(value, dict):
        for key, sub in rule.items():
            if key in value:
                _check(value[key], sub, root, _at(where, key), errors)


def _k_additional(value: Any, rule: Any, schema: Any, root: Any, where: str,
                  errors: list[str]) -> None:
    if not isinstance(value, dict):
        return
    for key in value:
        if key in schema.get("properties", {}):
            continue
        if rule is False:
            errors.append(f"{where}: unexpected key {key!r}")
        else:
            _check(value[key], rule, root, _at(where, key), errors)


def _k_property_names(value: Any, rule: Any, schema: Any, root: Any, where: str,
                      errors: list[str]) -> None:
    if isinstance(value, dict):
        for key in value:
            _check(key, rule, root, f"{where}: key {key!r}", errors)


def _k_items(value: Any, rule: Any, schema: Any, root: Any, where: str,
             errors: list[str]) -> None:
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, rule, root, _at(where, index), errors)


def _k_ref(value: Any, rule: str, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    if not rule.startswith("#/"):
        raise ValueError(f"schema $ref {rule!r}: only local references are supported")
    target = root
    for part in rule[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    _check(value, target, root, where, errors)


def _k_not(value: Any, rule: Any, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    if _valid(value, rule, root):
        errors.append(f"{where}: not allowed here")


def _k_all_of(value: Any, rule: list[Any], schema: Any, root: Any, where: str,
              errors: list[str]) -> None:
    for sub in rule:
        _check(value, sub, root, where, errors)


def _k_any_of(value: Any, rule: list[Any], schema: Any, root: Any, where: str,
              errors: list[str]) -> None:
    if not any(_valid(value, sub, root) for sub in rule):
        errors.append(f"{where}: matches none of the allowed forms")


def _k_one_of(value: Any, rule: list[Any], schema: Any, root: Any, where: str,
              errors: list[str]) -> None:
    if sum(_valid(value, sub, root) for sub in rule) != 1:
        errors.append(f"{where}: must match exactly one of the allowed forms")


def _k_if(value: Any, rule: Any, schema: Any, root: Any, where: str, errors: list[str]) -> None:
    branch = schema.get("then", True) if _valid(value, rule, root) else schema.get("else", True)
    _check(value, branch, root, where, errors)


_KEYWORDS: dict[str, Callable[[Any, Any, Any, Any, str, list[str]], None]] = {
    "type": _k_type, "const": _k_const, "enum": _k_enum, "pattern": _k_pattern,
    "minLength": _k_min_length, "maxLength": _k_max_length, "minimum": _k_minimum,
    "maximum": _k_maximum, "required": _k_required, "properties": _k_properties,
    "additionalProperties": _k_additional, "propertyNames": _k_property_names,
    "items": _k_items, "$ref": _k_ref, "not": _k_not, "allOf": _k_all_of,
    "anyOf": _k_any_of, "oneOf": _k_one_of, "if": _k_if, "maxItems": _k_max_items,
    "maxProperties": _k_max_properties,
}
