"""`verify --root`: trust the site's root key, and follow its keys.json (SPEC §11).

    keys.json + .sig from the copy -> signed by the root given, and naming it
    -> not older than a keys.json seen before for this root (a rollback would bring a
       revoked key back)
    -> the key that signed mirrors.json ("key" in the second format; any delegated key
       for the first) is listed, unexpired and not revoked, and its signature holds

What is wrong goes into the result as one line each; nothing here raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mirrorpub import layout
from mirrorpub.errors import FetchError, NotFound, SigningError, VerifyError
from mirrorpub.formats import iso
from mirrorpub.read import seen
from mirrorpub.read.fetch import Copy
from mirrorpub.trust import keys as keylist
from mirrorpub.trust.signing import check_signature, fingerprint, parse_public_key

SIGNATURE_LIMIT = 4096


def check_root(copy: Copy, data: bytes, doc: Mapping[str, Any], root: Any, result: Any,
               seen_path: Path) -> keylist.KeyList | None:
    """Sets result.signature and result.fingerprint; the key list when it is usable."""
    result.signature = "invalid"
    keys = _key_list(copy, root, result)
    if keys is None or not _not_rolled_back(seen_path, root, keys, result):
        return None
    signer = _signing_key(copy, data, doc, keys, result)
    if signer is not None:
        result.signature, result.fingerprint = "valid", fingerprint(signer)
    return keys


def remember(seen_path: Path, root: Any, keys: keylist.KeyList, url: str, result: Any) -> None:
    note = seen.remember_record(seen_path, _seen_key(root), {
        "version": keys.version, "url": url, "verified_at": iso(result.now)})
    if note:
        result.notes.append(note)


def root_note(copy: Copy) -> str | None:
    """For `verify --key`: the copy names a root key, whose list may have moved on."""
    try:
        keys = keylist.parse(copy.read(layout.KEYS, keylist.KEYS_LIMIT + 1))
        root = fingerprint(parse_public_key(keys.root))
    except (FetchError, keylist.KeysProblem, SigningError):
        return None
    return (f"this copy names a root key (fingerprint {root}) in keys.json: check it with "
            "--root and the root's public key to follow the site's key changes, revocations "
            "included (the fingerprint alone proves nothing: compare it with one the site "
            "gives in a place you trust)")


def _seen_key(root: Any) -> str:
    return f"keys:{fingerprint(root)}"


def _key_list(copy: Copy, root: Any, result: Any) -> keylist.KeyList | None:
    try:
        data = copy.read(layout.KEYS, keylist.KEYS_LIMIT + 1)
        signature = copy.read(layout.KEYS_SIGNATURE, SIGNATURE_LIMIT)
    except NotFound as exc:
        result.problems.append(f"{exc}: this copy carries no key list signed by a root key; "
                               "check it with --key (the site's signing key) instead")
        return None
    except FetchError as exc:
        result.problems.append(f"{exc}: the key list could not be read")
        return None
    try:
        keys = keylist.parse(data)
    except keylist.KeysProblem as exc:
        result.problems.append(f"{copy.url(layout.KEYS)}: {exc}")
        return None
    if not keylist.signed_by_root(data, signature, keys, root):
        result.problems.append(
            f"{copy.url(layout.KEYS)}: not signed by the root key {fingerprint(root)}: the "
            "key list was altered, or belongs to another site. Do not trust this copy.")
        return None
    return keys


def _not_rolled_back(seen_path: Path, root: Any, keys: keylist.KeyList, result: Any) -> bool:
    try:
        before = seen.record(seen.read_seen(seen_path), _seen_key(root))
    except VerifyError as exc:
        result.problems.append(str(exc))
        return False
    if before is None or keys.version >= before["version"]:
        return True
    result.problems.append(
        f"rollback refused: this copy's keys.json is version {keys.version}, but version "
        f"{before['version']} was verified on {before.get('verified_at', '?')} (from "
        f"{before.get('url', '?')}). An older key list may still trust a key the site has "
        "since revoked; look for a newer copy")
    return False


def _signing_key(copy: Copy, data: bytes, doc: Mapping[str, Any], keys: keylist.KeyList,
                 result: Any) -> Any:
    """The delegated key whose signature over mirrors.json holds, or None (with why)."""
    try:
        signature = copy.read(layout.SIGNATURE, SIGNATURE_LIMIT)
    except FetchError as exc:
        result.problems.append(f"{exc}: the signature of mirrors.json could not be read; "
                               "nothing shows this copy is genuine")
        return None
    named = doc.get("key")
    if named is None:  # the first format does not say: any key the root lets sign now
        candidates = [d.key for d in keys.keys if keys.standing(d.key, result.now) is None]
        for text in candidates:
            public = parse_public_key(text)
            if check_signature(public, data, signature):
                return public
        result.problems.append("mirrors.json is not signed by any key the root key "
                               f"delegates now ({len(candidates)} listed in keys.json). "
                               "Do not trust this copy.")
        return None
    try:
        public = parse_public_key(named)
    except SigningError:
        result.problems.append("mirrors.json: its \"key\" is not a readable public key")
        return None
    problem = keys.standing(named, result.now)
    if problem:
        result.fingerprint = fingerprint(public)
        result.problems.append(f"mirrors.json is signed by key {fingerprint(public)}, which "
                               f"{problem}. Do not trust this copy.")
        return None
    if not check_signature(public, data, signature):
        result.fingerprint = fingerprint(public)
        result.problems.append(f"{copy.url(layout.SIGNATURE)}: the signature does not match "
                               f"key {fingerprint(public)}: mirrors.json was altered. Do not "
                               "trust this copy.")
        return None
    return public


