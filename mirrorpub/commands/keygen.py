"""`mirrorpub keygen [PATH]`: a new Ed25519 signing key (mode 0600)."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.trust.signing import Signer
from mirrorpub.trust.signing import keygen as make_key

DEFAULT_KEY = "~/.config/mirrorpub/site.key"


def keygen(path: str | None, *, force: bool = False) -> tuple[Path, Signer]:
    target = Path(path or DEFAULT_KEY).expanduser()
    return target, make_key(target, force=force)
