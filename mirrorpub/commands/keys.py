"""`mirrorpub keys delegate|revoke --root ROOT.key PUBKEY`: keys.json, signed by the root
(SPEC §11). The root key is needed only here: between these commands it can stay offline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mirrorpub.config import load_config
from mirrorpub.errors import UsageError
from mirrorpub.formats import parse_iso
from mirrorpub.trust import keys
from mirrorpub.trust.signing import Signer, read_key_file

DEFAULT_DELEGATION = timedelta(days=365)


@dataclass(frozen=True)
class KeysChange:
    path: Path  # keys.json written (its .sig beside it)
    keys: keys.KeyList
    key: str  # the key delegated or revoked
    root: Signer


def delegate(config_path: str, root_path: str, key: str, until: str | None) -> KeysChange:
    now = datetime.now(UTC)
    when = parse_until(until) if until else now + DEFAULT_DELEGATION
    return _change(config_path, root_path, key,
                   lambda current, root, text: keys.delegate(current, root, text, when, now))


def revoke(config_path: str, root_path: str, key: str) -> KeysChange:
    return _change(config_path, root_path, key, keys.revoke)


def _change(config_path: str, root_path: str, key: str, how: keys.Change) -> KeysChange:
    config = load_config(config_path)
    root = Signer(read_key_file(Path(root_path).expanduser(), "--root"))
    text = keys.public_text(key)
    path = config.site.keys_file
    updated = how(keys.read_local(path, root), root, text)
    keys.write_local(path, updated, root)
    return KeysChange(path, updated, text, root)


def parse_until(text: str) -> datetime:
    """2027-06-01 (the start of that day, UTC) or a full ISO time."""
    try:
        moment = parse_iso(text.strip())
    except ValueError:
        raise UsageError(f"--until {text!r}: expected a date like 2027-06-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

