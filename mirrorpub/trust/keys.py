"""keys.json: which signing keys an offline root key vouches for (SPEC §11).

    {"schema": "mirrorpub.keys/1", "root": "ed25519:…", "version": N,
     "keys": [{"key": "ed25519:…", "not_after": "…Z"}], "revoked": ["ed25519:…"]}

`keys.json.sig` is the root's Ed25519 signature of the exact bytes, base64, as for
mirrors.json. The root signs only this list, so it can stay on a stick in a drawer: a
publishing machine holds one everyday key, delegated until a date, and a lost machine's
key is revoked with the root. `version` grows with every change, so a reader who saw
version N refuses an older list (one that still trusts a revoked key).

Pure apart from `read_local`/`write_local`; `parse` takes hostile bytes (a copy's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic, layout, redact
from mirrorpub.errors import SigningError
from mirrorpub.formats import iso, parse_iso
from mirrorpub.trust.schema import keys_schema, schema_errors
from mirrorpub.trust.signing import (
    Signer,
    check_signature,
    fingerprint,
    parse_public_key,
    read_key_file,
)

SCHEMA_ID = "mirrorpub.keys/1"
KEYS_LIMIT = 256 * 1024  # a list of a thousand keys is ~100 KB
MAX_SHOWN_ERRORS = 3


@dataclass(frozen=True)
class Delegation:
    key: str  # ed25519:…
    not_after: str  # …Z


@dataclass(frozen=True)
class KeyList:
    root: str
    version: int
    keys: tuple[Delegation, ...] = ()
    revoked: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        return {"schema": SCHEMA_ID, "root": self.root, "version": self.version,
                "keys": [{"key": d.key, "not_after": d.not_after} for d in self.keys],
                "revoked": list(self.revoked)}

    def encode(self) -> bytes:
        return (json.dumps(self.document(), indent=2) + "\n").encode()

    def standing(self, key: str, now: datetime) -> str | None:
        """None when `key` may sign now; else why not, in a few words for a sentence."""
        if key in self.revoked:
            return f"was revoked by the site's root key (keys.json version {self.version})"
        found = next((d for d in self.keys if d.key == key), None)
        if found is None:
            return "is not one the site's root key delegated (not listed in keys.json)"
        if parse_iso(found.not_after) <= now:
            return f"was delegated only until {found.not_after}: the delegation has expired"
        return None


# How a keys command changes the list: (current list or None, root, key) -> new list.
Change = Callable[["KeyList | None", Signer, str], "KeyList"]


class KeysProblem(ValueError):
    """keys.json (or its signature) cannot be used; str() is one line."""


def parse(data: bytes) -> KeyList:
    """The list in `data`, checked against the shipped schema. Raises KeysProblem."""
    if len(data) > KEYS_LIMIT:
        raise KeysProblem(f"larger than {KEYS_LIMIT // 1024} KB: not a key list")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeysProblem(f"not valid JSON ({exc})") from None
    except RecursionError:
        raise KeysProblem("nested too deeply to be a key list") from None
    problems = schema_errors(doc, keys_schema(), where="keys.json")
    if not problems:
        problems = _date_problems(doc)
    if problems:
        more = len(problems) - MAX_SHOWN_ERRORS
        raise KeysProblem("not a valid key list: " + "; ".join(problems[:MAX_SHOWN_ERRORS])
                          + (f" (and {more} more)" if more > 0 else ""))
    return KeyList(root=doc["root"], version=doc["version"],
                   keys=tuple(Delegation(d["key"], d["not_after"]) for d in doc["keys"]),
                   revoked=tuple(doc["revoked"]))


def _date_problems(doc: Mapping[str, Any]) -> list[str]:
    out = []
    for index, entry in enumerate(doc["keys"]):
        try:
            parse_iso(entry["not_after"])
        except ValueError:
            out.append(f"keys[{index}].not_after: {entry['not_after']!r} is not a real date")
    return out


def signed_by_root(data: bytes, signature: bytes, keys: KeyList, root: Any | None = None) -> bool:
    """Whether `signature` is the root's over `data`; `root` (a public key) must then be
    the one keys.json names, when given."""
    try:
        named = parse_public_key(keys.root)
    except SigningError:
        return False
    if root is not None and fingerprint(root) != fingerprint(named):
        return False
    return check_signature(named, data, signature)


# --- the keys commands ---------------------------------------------------------------------

def signature_path(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def read_local(path: Path, root: Signer) -> KeyList | None:
    """The site's own keys.json, checked with `root`; None when there is none yet."""
    try:
        data = path.read_bytes()
        signature = signature_path(path).read_bytes()
    except FileNotFoundError:
        if path.exists():
            raise SigningError(f"{path} has no {signature_path(path).name} beside it: restore "
                               "it, or remove keys.json to start a new list") from None
        return None
    except OSError as exc:
        raise SigningError(f"cannot read {path}: {exc.strerror}") from None
    try:
        keys = parse(data)
    except KeysProblem as exc:
        raise SigningError(f"{path}: {exc}") from None
    if keys.root != root.public_text:
        raise SigningError(f"{path} belongs to another root key (fingerprint "
                           f"{_fingerprint_of(keys.root)}), not to this one "
                           f"({root.fingerprint})")
    if not signed_by_root(data, signature, keys):
        raise SigningError(f"{signature_path(path)} does not match {path.name}: it was "
                           "altered. Restore both from a backup")
    return keys


def own_root(path: Path) -> str | None:
    """The root key the site's own keys.json names, if that list is there and signed by
    it: what `verify` run in the site's folder checks copies against."""
    try:
        data, signature = path.read_bytes(), signature_path(path).read_bytes()
        keys = parse(data)
    except (OSError, KeysProblem):
        return None
    return keys.root if signed_by_root(data, signature, keys) else None


def _fingerprint_of(text: str) -> str:
    try:
        return fingerprint(parse_public_key(text))
    except SigningError:
        return "unreadable"


def write_local(path: Path, keys: KeyList, root: Signer) -> None:
    data = keys.encode()
    try:
        fsatomic.write_bytes(path, data, durable=True)
        fsatomic.write_bytes(signature_path(path), root.sign(data), durable=True)
    except OSError as exc:
        raise SigningError(f"cannot write {redact.shown(str(path))}: {exc.strerror}") from None


def delegate(current: KeyList | None, root: Signer, key: str, until: datetime,
             now: datetime) -> KeyList:
    """`key` may sign until `until` (a new delegation, or a changed date)."""
    if until <= now:
        raise SigningError(f"--until {iso(until)} is already past: give a later date")
    if key == root.public_text:
        raise SigningError("that is the root key itself: delegate an everyday signing key "
                           "(`mirrorpub keygen site.key`), and keep the root offline")
    keys = current or KeyList(root=root.public_text, version=0)
    if key in keys.revoked:
        raise SigningError("that key was revoked; a revoked key stays revoked. Make a new one "
                           "with `mirrorpub keygen` and delegate it")
    others = tuple(d for d in keys.keys if d.key != key)
    entry = Delegation(key, iso(until))
    return replace(keys, version=keys.version + 1,
                   keys=tuple(sorted((*others, entry), key=lambda d: d.key)))


def revoke(current: KeyList | None, root: Signer, key: str) -> KeyList:
    """`key` no longer signs for the site, for every reader who sees this list."""
    if key == root.public_text:
        raise SigningError("that is the root key itself: it cannot revoke itself. Readers "
                           "who trust it must be told of a new root in a place they trust")
    keys = current or KeyList(root=root.public_text, version=0)
    if key in keys.revoked:
        raise SigningError("that key is already revoked")
    return replace(keys, version=keys.version + 1,
                   keys=tuple(d for d in keys.keys if d.key != key),
                   revoked=tuple(sorted((*keys.revoked, key))))


def public_text(argument: str) -> str:
    """A public key argument (the ed25519:… line, or a file holding it), normalized; the
    key file itself will do too (only its public half is used)."""
    from mirrorpub.trust.signing import public_key_text

    path = Path(argument).expanduser()
    if not argument.startswith("ed25519:") and path.is_file() and \
            path.read_bytes()[:10] == b"-----BEGIN":
        return Signer(read_key_file(path, argument)).public_text
    return public_key_text(parse_public_key(argument))


# --- publish -------------------------------------------------------------------------------

def root_fingerprint(data: bytes) -> str | None:
    """The fingerprint of the root key a (checked) keys.json names."""
    try:
        return fingerprint(parse_public_key(parse(data).root))
    except (KeysProblem, SigningError):
        return None


def site_key_files(path: Path, signer: Signer | None, now: datetime) -> dict[str, bytes]:
    """keys.json and its .sig as every copy gets them; {} when the site has none. Refuses
    to publish with a key the list does not let sign: readers who trust the root would
    refuse every copy."""
    if not path.exists():
        return {}
    try:
        data = path.read_bytes()
        signature = signature_path(path).read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read {path.name} or {signature_path(path).name}: "
                           f"{exc.strerror}") from None
    try:
        keys = parse(data)
    except KeysProblem as exc:
        raise SigningError(f"{path.name}: {exc}") from None
    if not signed_by_root(data, signature, keys):
        raise SigningError(f"{signature_path(path).name} does not match {path.name}: "
                           "restore both, or sign the list again with `mirrorpub keys`")
    if signer is None:
        raise SigningError(f"{path.name} is there but the site has no signing key: set "
                           "site.signing_key to a key the root delegated")
    problem = keys.standing(signer.public_text, now)
    if problem:
        fix = ("make a new key (`mirrorpub keygen`), delegate it with `mirrorpub keys "
               "delegate`, and sign with it" if signer.public_text in keys.revoked else
               "delegate it with `mirrorpub keys delegate`, or sign with a delegated key")
        raise SigningError(f"the signing key (fingerprint {signer.fingerprint}) {problem}; "
                           f"readers who trust the root would refuse every copy: {fix}")
    return {layout.KEYS: data, layout.KEYS_SIGNATURE: signature}
