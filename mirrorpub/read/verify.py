"""`mirrorpub verify URL [--key PUBKEY | --root PUBKEY]`: is this copy genuine, fresh and
complete? (SPEC §7, §11, §12)

    fetch mirrors.json (+ .sig) from the copy's root
    -> the manifest matches the shipped JSON Schema (first or second format), and names
       only paths inside the copy
    -> signature: checked with --key (wrong key, or no .sig, fails), or with the key the
       root given by --root delegates in the copy's keys.json (delegation.py); without
       either the copy is said plainly to be unauthenticated, and its files are still
       checked
    -> freshness: past `expires_at` fails
    -> rollback: older than the highest version verified before for this site fails,
       unless allow_rollback
    -> the files listed (`files`, or the parts of `files_index`, parts.py)
    -> every file listed: sha256 and size; a folder's extra files are named too,
       all within the deadlines and byte allowance of fetch.ReadLimits
    -> the version is remembered in the user's state file (seen.json)
    -> the other copies the manifest lists are given only under a valid signature: an
       unauthenticated copy's list could send readers anywhere

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
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mirrorpub.errors import (
    EXIT_ERROR,
    EXIT_OK,
    FetchError,
    NotFound,
    Refused,
    SigningError,
    Stopped,
    VerifyError,
)
from mirrorpub.formats import parse_iso
from mirrorpub.layout import MANIFEST, SIGNATURE, is_part
from mirrorpub.mirrors.remoteindex import INDEX_NAMES
from mirrorpub.read import delegation, seen
from mirrorpub.read.fetch import Copy, Digest, ReadLimits, digest_all, open_copy
from mirrorpub.read.parts import Files, is_v2, listed_files
from mirrorpub.safepath import is_site_path
from mirrorpub.trust.schema import manifest_schema, manifest_v2_schema, schema_errors

MANIFEST_LIMIT = 32 * 1024 * 1024  # a manifest of 100 000 files is ~15 MB
SIGNATURE_LIMIT = 4096
MAX_SCHEMA_ERRORS = 5
OTHERS_HIDDEN = ("the other copies this manifest lists are not shown: the copy is not "
                 "authenticated, so its list could send you anywhere. Check it with --key "
                 "(the site's public key) to see them")


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
    root_fingerprint: str | None = None  # with --root
    keys_version: int | None = None  # of the copy's keys.json, with --root
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

    @property
    def other_copies(self) -> list[dict[str, Any]]:
        """The active copies the manifest names, when its signature is valid (else none)."""
        if self.manifest is None or self.signature != "valid":
            return []
        return active_copies(self.manifest)

    def as_json(self) -> dict[str, Any]:
        doc = self.manifest or {}
        return {
            "url": self.url, "ok": self.ok, "authenticated": self.signature == "valid",
            "signature": {"status": self.signature, "fingerprint": self.fingerprint,
                          "root_fingerprint": self.root_fingerprint,
                          "keys_version": self.keys_version},
            "site": doc.get("site"), "version": doc.get("version"),
            "published_at": doc.get("published_at"), "expires_at": doc.get("expires_at"),
            "expired": self.expired, "seen_version": self.seen_version,
            "files": {"checked": self.files_checked,
                      "bad": [p.as_json() for p in self.bad_files],
                      "extra": list(self.extra_files)},
            "problems": list(self.problems), "notes": list(self.notes),
            "mirrors": self.other_copies,  # only under a valid signature
        }


def active_copies(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [m for m in doc.get("mirrors", []) if m.get("status") == "active" and m.get("url")]


def verify_copy(url: str, key: str | None = None, allow_rollback: bool = False, *,
                root: str | None = None, now: datetime | None = None,
                seen_path: Path | None = None, limits: ReadLimits | None = None) -> VerifyResult:
    """Check the copy at `url`. `key` (the signing key) or `root` (the site's root key):
    'ed25519:…' or a file holding it."""
    result = VerifyResult(url=url, now=now or datetime.now(UTC))
    from mirrorpub.trust.signing import fingerprint, parse_public_key

    public_key = root_key = None
    try:
        if key:
            public_key = parse_public_key(key)
            result.fingerprint = fingerprint(public_key)
        if root:
            root_key = parse_public_key(root)
            result.root_fingerprint = fingerprint(root_key)
    except SigningError as exc:
        result.problems.append(f"{'--root' if root else '--key'}: {exc}")
        return result
    try:
        copy = open_copy(url, limits=limits)
    except VerifyError as exc:
        result.problems.append(str(exc))
        return result
    with closing(copy):
        result.url = copy.root
        _verify(copy, result, _Trust(public_key, root_key), allow_rollback,
                seen_path or seen.seen_file())
    return result


@dataclass(frozen=True)
class _Trust:
    key: Any  # --key: the signing key
    root: Any  # --root: the root key


def _verify(copy: Copy, result: VerifyResult, trust: _Trust, allow_rollback: bool,
            seen_path: Path) -> None:
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
    keys = None
    if trust.root is not None:
        keys = delegation.check_root(copy, data, doc, trust.root, result, seen_path)
        result.keys_version = keys.version if keys else None
    elif trust.key is not None:
        _check_signature(copy, data, trust.key, result)
        note = delegation.root_note(copy)
        if note:
            result.notes.append(note)
    else:
        result.notes.append(
            "no --key given: this copy is UNAUTHENTICATED. Its files are checked against its "
            "own manifest, but whoever can change the copy could have written that manifest "
            "too. Pass --key with the site's public key (ed25519:…), or --root with its "
            "root key, to know it is genuine.")
    if result.signature != "valid" and active_copies(doc):
        result.notes.append(OTHERS_HIDDEN)
    _check_freshness(doc, result)
    site_key, aliases = _site_key(doc, result)
    manifest_ok = not result.problems
    if manifest_ok:
        _check_rollback(seen_path, site_key, aliases, doc, allow_rollback, result)
    try:
        files = listed_files(copy, doc)
    except VerifyError as exc:
        result.problems.append(str(exc))
        return
    _check_listed(copy, files, result)
    if manifest_ok and not result.problems:
        note = seen.remember(seen_path, site_key, doc, copy.root, result.now, aliases)
        if note:
            result.notes.append(note)
        if keys is not None:
            delegation.remember(seen_path, trust.root, keys, copy.root, result)


def _check_listed(copy: Copy, files: Files, result: VerifyResult) -> None:
    result.bad_files, unchecked = check_files(copy, files)
    result.files_checked = len(files) - unchecked
    if copy.is_local and not unchecked:
        try:
            result.extra_files = extra_files(copy, files)
        except FetchError as exc:
            result.problems.append(f"{exc}: the folder cannot be listed")
    stopped = stopped_problem(copy, unchecked, len(files))
    if stopped:
        result.problems.append(stopped)


def _site_key(doc: Mapping[str, Any], result: VerifyResult) -> tuple[str, list[str]]:
    """The name seen.json knows the site by, and the older names it may still be under."""
    if result.signature == "valid" and result.root_fingerprint:
        return f"root:{result.root_fingerprint}", []
    if result.signature == "valid" and result.fingerprint:
        from mirrorpub.trust.signing import legacy_fingerprint

        return f"key:{result.fingerprint}", [f"key:{legacy_fingerprint(result.fingerprint)}"]
    return f"title:{doc['site']['title']}", []


def _check_rollback(path: Path, site_key: str, aliases: list[str], doc: Mapping[str, Any],
                    allow: bool, result: VerifyResult) -> None:
    try:
        record = seen.record(seen.read_seen(path), site_key, aliases)
    except VerifyError as exc:
        result.problems.append(str(exc))
        return
    if record is None:
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
    except RecursionError:  # the parser recurses per level; a hostile copy nests deep
        raise VerifyError(f"{copy.url(MANIFEST)}: nested too deeply to be a manifest; the "
                          "copy is damaged or hostile") from None
    problems = manifest_problems(doc)
    if problems:
        shown = "; ".join(problems[:MAX_SCHEMA_ERRORS])
        more = len(problems) - MAX_SCHEMA_ERRORS
        tail = f" (and {more} more)" if more > 0 else ""
        raise VerifyError(f"{copy.url(MANIFEST)}: not a valid manifest: {shown}{tail}")
    return data, doc


def manifest_problems(doc: Any) -> list[str]:
    second = isinstance(doc, dict) and doc.get("schema") == "mirrorpub.manifest/2"
    problems = schema_errors(doc, manifest_v2_schema() if second else manifest_schema())
    if problems:
        return problems
    problems = [] if is_v2(doc) else [f"files: {path!r} leads outside the copy"
                                      for path in doc["files"] if not is_site_path(path)]
    for key in ("published_at", "expires_at"):
        try:
            parse_iso(doc[key])
        except ValueError:
            problems.append(f"{key}: {doc[key]!r} is not a real date and time")
    return problems


def _check_signature(copy: Copy, data: bytes, public_key: Any, result: VerifyResult) -> None:
    result.signature, problem = signature_status(copy, data, public_key)
    if problem:
        result.problems.append(problem)


def signature_status(copy: Copy, data: bytes, public_key: Any) -> tuple[str, str | None]:
    """('valid', None), or ('missing' | 'invalid', what is wrong) for the manifest `data`."""
    from mirrorpub.trust.signing import check_signature, fingerprint

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
    if parse_iso(doc["expires_at"]) > now:
        return None
    return (f"the manifest expired at {doc['expires_at']} (published {doc['published_at']}): "
            "this copy is out of date, or frozen by someone; look for a newer copy among "
            "the other mirrors")


# --- files --------------------------------------------------------------------------------

def check_files(copy: Copy, files: Mapping[str, Mapping[str, Any]]
                ) -> tuple[list[FileProblem], int]:
    """Each listed file that is missing, unreadable or not what the manifest says; and how
    many were not checked because the check ran out of time or bytes (see stopped_problem)."""
    found = digest_all(copy, {path: entry["size"] for path, entry in files.items()})
    problems, unchecked = [], 0
    for path in sorted(files):
        if isinstance(found[path], Stopped):
            unchecked += 1
            continue
        problem = file_problem(found[path], files[path])
        if problem:
            problems.append(FileProblem(path, problem))
    return problems, unchecked


def stopped_problem(copy: Copy, unchecked: int, listed: int) -> str | None:
    """One line for a check cut short, instead of one per file it never reached."""
    reason = copy.budget.stop_reason
    if reason is None:
        return None
    return f"{copy.root}: stopped, {reason}: {unchecked} of {listed} files not checked"


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
    """Files in a folder copy that the manifest does not list (none can be genuine). The
    parts of an earlier manifest are not counted: a publish keeps them one more round for
    readers who fetched that manifest a moment before it was replaced.

    Raises FetchError when the folder cannot be listed.
    """
    known = {*files, MANIFEST, SIGNATURE, *INDEX_NAMES}
    return [path for path in copy.listing() or [] if path not in known and not is_part(path)]
