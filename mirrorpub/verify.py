"""`mirrorpub verify URL [--key PUBKEY]`: is this copy genuine, fresh and complete? (SPEC §7)

    fetch mirrors.json (+ .sig) from the copy's root
    -> the manifest matches the shipped JSON Schema, and names only paths inside the copy
    -> signature: checked with --key (wrong key, or no .sig, fails); without a key the
       copy is said plainly to be unauthenticated, and its files are still checked
    -> freshness: past `expires_at` fails
    -> rollback: older than the highest version verified before for this site fails,
       unless allow_rollback
    -> every file in `files`: sha256 and size; a folder's extra files are named too
    -> the version is remembered in the user's state file (seen.json)

The highest version seen is kept per site, keyed by the public key's fingerprint (or,
for an unsigned copy, by the site's title, in a namespace of its own so an unsigned copy
can never block a signed one), in $MIRRORPUB_STATE_HOME/seen.json, else
$XDG_STATE_HOME/mirrorpub/seen.json, else ~/.local/state/mirrorpub/seen.json. It is
remembered once the manifest itself checks out (schema, signature, freshness), even if
files are bad: a validly signed version number is the site's own, whatever the copy.

The library never raises for a failed check: everything ends up in a VerifyResult,
whose `exit_code` is 0 when nothing failed and 1 otherwise.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.errors import EXIT_ERROR, EXIT_OK, SigningError, VerifyError
from mirrorpub.fetch import (
    Copy,
    Digest,
    FetchError,
    NotFound,
    Refused,
    digest_all,
    open_copy,
    safe_path,
)
from mirrorpub.mirrors.objectstore import INDEX_NAME
from mirrorpub.sitepaths import MANIFEST, SIGNATURE

MANIFEST_LIMIT = 32 * 1024 * 1024  # a manifest of 100 000 files is ~15 MB
SIGNATURE_LIMIT = 4096
STATE_ENV = "MIRRORPUB_STATE_HOME"
SEEN_SCHEMA = "mirrorpub.seen/1"
MAX_SCHEMA_ERRORS = 5


@dataclass(frozen=True)
class FileProblem:
    path: str
    problem: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "problem": self.problem}


@dataclass
class VerifyResult:
    url: str
    manifest: dict[str, Any] | None = None
    signature: str = "unchecked"  # valid | invalid | missing | unchecked
    fingerprint: str | None = None
    expired: bool | None = None
    seen_version: int | None = None
    files_checked: int = 0
    bad_files: list[FileProblem] = field(default_factory=list)
    extra_files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # failures besides single files
    notes: list[str] = field(default_factory=list)  # worth saying; not failures
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def ok(self) -> bool:
        return not (self.problems or self.bad_files or self.extra_files)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_ERROR

    def lines(self) -> list[str]:
        return _lines(self)

    def as_json(self) -> dict[str, Any]:
        doc = self.manifest or {}
        return {
            "url": self.url, "ok": self.ok, "authenticated": self.signature == "valid",
            "signature": {"status": self.signature, "fingerprint": self.fingerprint},
            "site": doc.get("site"), "version": doc.get("version"),
            "published_at": doc.get("published_at"), "expires_at": doc.get("expires_at"),
            "expired": self.expired, "seen_version": self.seen_version,
            "files": {"checked": self.files_checked,
                      "bad": [p.as_json() for p in self.bad_files],
                      "extra": list(self.extra_files)},
            "problems": list(self.problems), "notes": list(self.notes),
            "mirrors": doc.get("mirrors", []),
        }


def verify_copy(url: str, key: str | None = None, allow_rollback: bool = False, *,
                now: datetime | None = None, seen_path: Path | None = None) -> VerifyResult:
    """Check the copy at `url`. `key`: 'ed25519:…' or a file holding it."""
    result = VerifyResult(url=url, now=now or datetime.now(UTC))
    public_key = None
    if key:
        from mirrorpub.signing import fingerprint, parse_public_key

        try:
            public_key = parse_public_key(key)
        except SigningError as exc:
            result.problems.append(f"--key: {exc}")
            return result
        result.fingerprint = fingerprint(public_key)
    try:
        copy = open_copy(url)
    except VerifyError as exc:
        result.problems.append(str(exc))
        return result
    with closing(copy):
        result.url = copy.root
        _verify(copy, result, public_key, allow_rollback, seen_path or seen_file())
    return result


def _verify(copy: Copy, result: VerifyResult, public_key: Any, allow_rollback: bool,
            seen: Path) -> None:
    try:
        data, doc = load_manifest(copy)
    except NotFound as exc:
        result.problems.append(f"{exc}: this is not the root of a mirrorpub copy (or its "
                               "manifest was removed)")
        return
    except Refused as exc:
        result.problems.append(f"{exc}: this copy refuses readers")
        return
    except VerifyError as exc:
        result.problems.append(str(exc))
        return
    result.manifest = doc
    if public_key is None:
        result.notes.append(
            "no --key given: this copy is UNAUTHENTICATED. Its files are checked against its "
            "own manifest, but whoever can change the copy could have written that manifest "
            "too. Pass --key with the site's public key (ed25519:…) to know it is genuine.")
    else:
        _check_signature(copy, data, public_key, result)
    _check_freshness(doc, result)
    site_key = _site_key(doc, result)
    manifest_ok = not result.problems
    if manifest_ok:
        _check_rollback(seen, site_key, doc, allow_rollback, result)
    result.bad_files = check_files(copy, doc["files"])
    result.files_checked = len(doc["files"])
    if copy.is_local:
        try:
            result.extra_files = extra_files(copy, doc["files"])
        except FetchError as exc:
            result.problems.append(f"{exc}: the folder cannot be listed")
    if manifest_ok and not result.problems:
        _remember(seen, site_key, doc, copy.root, result)


# --- the manifest ---------------------------------------------------------------------------

def load_manifest(copy: Copy) -> tuple[bytes, dict[str, Any]]:
    """The copy's mirrors.json bytes and document.

    Raises FetchError (NotFound, Refused, Unreachable) as it came, so callers can tell a
    missing manifest from a closed door; VerifyError when the manifest is unusable.
    """
    data = copy.read(MANIFEST, MANIFEST_LIMIT)
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerifyError(f"{copy.url(MANIFEST)}: not valid JSON ({exc}); the copy is "
                          "damaged") from None
    problems = manifest_problems(doc)
    if problems:
        shown = "; ".join(problems[:MAX_SCHEMA_ERRORS])
        more = len(problems) - MAX_SCHEMA_ERRORS
        tail = f" (and {more} more)" if more > 0 else ""
        raise VerifyError(f"{copy.url(MANIFEST)}: not a valid manifest: {shown}{tail}")
    return data, doc


def manifest_problems(doc: Any) -> list[str]:
    from mirrorpub.manifest import schema

    problems = schema_errors(doc, schema())
    if problems:
        return problems
    problems = [f"files: {path!r} leads outside the copy" for path in doc["files"]
                if not safe_path(path)]
    for key in ("published_at", "expires_at"):
        try:
            parse_time(doc[key])
        except ValueError:
            problems.append(f"{key}: {doc[key]!r} is not a real date and time")
    return problems


def _check_signature(copy: Copy, data: bytes, public_key: Any, result: VerifyResult) -> None:
    result.signature, problem = signature_status(copy, data, public_key)
    if problem:
        result.problems.append(problem)


def signature_status(copy: Copy, data: bytes, public_key: Any) -> tuple[str, str | None]:
    """('valid', None), or ('missing' | 'invalid', what is wrong) for the manifest `data`."""
    from mirrorpub.signing import check_signature, fingerprint

    try:
        signature = copy.read(SIGNATURE, SIGNATURE_LIMIT)
    except NotFound:
        return "missing", (f"{copy.url(SIGNATURE)}: not found, yet a key was given to check "
                           "it with: this copy is unsigned, so nothing shows it is genuine")
    except FetchError as exc:
        return "missing", f"{exc}: the signature could not be read"
    if check_signature(public_key, data, signature):
        return "valid", None
    return "invalid", (f"{copy.url(SIGNATURE)}: the signature does not match key "
                       f"{fingerprint(public_key)}: mirrors.json was altered, or signed with "
                       "another key. Do not trust this copy.")


def _check_freshness(doc: Mapping[str, Any], result: VerifyResult) -> None:
    problem = expiry_problem(doc, result.now)
    result.expired = problem is not None
    if problem:
        result.problems.append(problem)


def expiry_problem(doc: Mapping[str, Any], now: datetime) -> str | None:
    if parse_time(doc["expires_at"]) > now:
        return None
    return (f"the manifest expired at {doc['expires_at']} (published {doc['published_at']}): "
            "this copy is out of date, or frozen by someone; look for a newer copy among "
            "the other mirrors")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- files --------------------------------------------------------------------------------

def check_files(copy: Copy, files: Mapping[str, Mapping[str, Any]]) -> list[FileProblem]:
    """Each listed file that is missing, unreadable or not what the manifest says."""
    found = digest_all(copy, {path: entry["size"] for path, entry in files.items()})
    problems = []
    for path in sorted(files):
        problem = file_problem(found[path], files[path])
        if problem:
            problems.append(FileProblem(path, problem))
    return problems


def file_problem(got: Digest | FetchError, want: Mapping[str, Any]) -> str | None:
    if isinstance(got, NotFound):
        return f"missing ({got.reason})"
    if isinstance(got, Refused):  # S3 answers 403 for a missing key to those who cannot list
        return f"missing or not readable ({got.reason})"
    if isinstance(got, FetchError):
        return f"could not be read: {got.reason}"
    if got.size > want["size"]:
        return f"larger than the {want['size']} bytes the manifest lists: altered"
    if got.size < want["size"]:
        return f"{got.size} bytes, the manifest lists {want['size']}: altered or cut short"
    if got.sha256 != want["sha256"]:
        return (f"content differs from the manifest (sha256 {got.sha256[:12]}…, listed "
                f"{want['sha256'][:12]}…): altered")
    return None


def extra_files(copy: Copy, files: Mapping[str, Any]) -> list[str]:
    """Files in a folder copy that the manifest does not list (none can be genuine).

    Raises FetchError when the folder cannot be listed.
    """
    known = {*files, MANIFEST, SIGNATURE, INDEX_NAME}
    return [path for path in copy.listing() or [] if path not in known]


# --- rollback -----------------------------------------------------------------------------

def seen_file() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV]).expanduser() / "seen.json"
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "mirrorpub" / "seen.json"


def _site_key(doc: Mapping[str, Any], result: VerifyResult) -> str:
    if result.signature == "valid" and result.fingerprint:
        return f"key:{result.fingerprint}"
    return f"title:{doc['site']['title']}"


def read_seen(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise VerifyError(f"{path}: cannot be read ({exc}); it remembers which versions you "
                          "verified. Fix it, or delete it to start afresh") from None
    sites = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(sites, dict):
        raise VerifyError(f"{path}: not a mirrorpub state file; delete it to start afresh")
    return sites


def _check_rollback(seen: Path, site_key: str, doc: Mapping[str, Any], allow: bool,
                    result: VerifyResult) -> None:
    try:
        record = read_seen(seen).get(site_key)
    except VerifyError as exc:
        result.problems.append(str(exc))
        return
    if not isinstance(record, dict) or not isinstance(record.get("version"), int):
        return
    result.seen_version = record["version"]
    if doc["version"] >= record["version"]:
        return
    told = (f"this copy serves version {doc['version']}, but version {record['version']} "
            f"was verified on {record.get('verified_at', '?')} (from {record.get('url', '?')})")
    if allow:
        result.notes.append(f"older copy accepted (--allow-rollback): {told}")
    else:
        result.problems.append(
            f"rollback refused: {told}. This copy is out of date, or someone replays an old "
            "copy; look for a newer one, or pass --allow-rollback to accept it anyway")


def _remember(seen: Path, site_key: str, doc: Mapping[str, Any], url: str,
              result: VerifyResult) -> None:
    try:
        sites = read_seen(seen)
    except VerifyError:
        return  # already reported by the rollback check
    previous = sites.get(site_key)
    if isinstance(previous, dict) and isinstance(previous.get("version"), int) and \
            previous["version"] >= doc["version"]:
        return
    sites[site_key] = {"version": doc["version"], "title": doc["site"]["title"],
                       "published_at": doc["published_at"], "url": url,
                       "verified_at": iso(result.now)}
    text = json.dumps({"schema": SEEN_SCHEMA, "sites": sites}, indent=2, ensure_ascii=False,
                      sort_keys=True) + "\n"
    try:
        fsatomic.write_bytes(seen, text.encode("utf-8"), durable=True)
    except OSError as exc:
        result.notes.append(f"{seen}: cannot be written ({exc.strerror}); this version is "
                            "not remembered, so a later rollback to an older one goes unseen")


# --- a small JSON Schema checker -------------------------------------------------------------
# The keywords the shipped schema uses (draft 2020-12 meaning). jsonschema is a test-only
# dependency, so readers do not need it; tests compare this checker with it. An unknown
# keyword is a bug here, and raises rather than silently passing anything.

_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description",
                          "default", "examples", "then", "else"})
_JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool,
               "null": type(None)}


def schema_errors(instance: Any, schema: Mapping[str, Any] | bool) -> list[str]:
    errors: list[str] = []
    _check(instance, schema, schema, "mirrors.json", errors)
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
            raise ValueError(f"schema keyword {keyword!r} is not supported by mirrorpub.verify")
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
    if isinstance(value, str) and not re.search(rule, value):
        errors.append(f"{where}: {value!r} is not of the expected form")


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
    "anyOf": _k_any_of, "oneOf": _k_one_of, "if": _k_if,
}


# --- what a person reads ---------------------------------------------------------------------

def printable(text: str) -> str:
    """Text from a copy, safe for a terminal: control characters (escapes) shown as '?'."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)


def _lines(result: VerifyResult) -> list[str]:
    out = [f"copy: {printable(result.url)}"]
    doc = result.manifest
    if doc is not None:
        out.append(f"site: {printable(doc['site']['title'])} ({doc['site']['language']}), version "
                   f"{doc['version']}, published {doc['published_at']}"
                   f" ({age_text(result.now - parse_time(doc['published_at']))}), "
                   f"valid until {doc['expires_at']}")
        out.append(_signature_line(result))
        bad = len(result.bad_files)
        out.append(f"files: {result.files_checked} checked, "
                   + (f"{bad} bad" if bad else "all intact")
                   + (f", {len(result.extra_files)} not in the manifest"
                      if result.extra_files else ""))
        out += [f"  {p.path}: {p.problem}" for p in result.bad_files]
        out += [f"  {path}: not in the manifest (not part of the site; do not trust it)"
                for path in result.extra_files]
    out += [f"problem: {text}" for text in result.problems]
    out += [f"note: {text}" for text in result.notes]
    if doc is not None:
        out += _other_copies(doc)
    failures = len(result.problems) + len(result.bad_files) + len(result.extra_files)
    if result.ok:
        verdict = "genuine, fresh and complete" if result.signature == "valid" else \
            "fresh and complete, but UNAUTHENTICATED (no --key)"
        out.append(f"OK: this copy is {verdict}")
    else:
        out.append(f"FAILED: {failures} problem{'s' if failures != 1 else ''}; do not trust "
                   "this copy as it is")
    return out


def _signature_line(result: VerifyResult) -> str:
    return {
        "valid": f"signature: valid, key fingerprint {result.fingerprint}",
        "invalid": f"signature: INVALID for key fingerprint {result.fingerprint}",
        "missing": "signature: MISSING (mirrors.json.sig not found)",
    }.get(result.signature, "signature: not checked (no --key)")


def _other_copies(doc: Mapping[str, Any]) -> list[str]:
    active = [m for m in doc.get("mirrors", []) if m.get("status") == "active" and m.get("url")]
    if not active:
        return []
    return ["other copies listed in the manifest:"] + [
        f"  {m['name']}: {printable(m['url'])}" for m in active]


def age_text(delta: timedelta) -> str:
    """'3 d 4 h ago', '2 h 5 min ago', '40 s ago' — how long ago, for people."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return age_text(-delta).replace(" ago", "") + " in the future (clocks disagree)"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h ago"
    if hours:
        return f"{hours} h {minutes} min ago"
    return f"{minutes} min ago" if minutes else f"{seconds} s ago"
