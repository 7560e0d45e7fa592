"""`mirrorpub keygen [PATH]`: a new Ed25519 signing key (mode 0600)."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.config.load import named_key_file
from mirrorpub.trust.signing import Signer
from mirrorpub.trust.signing import keygen as make_key

DEFAULT_KEY = "~/.config/mirrorpub/site.key"


def keygen(path: str | None, *, force: bool = False,
           config_path: str | None = None) -> tuple[Path, Signer]:
    """Without PATH, with -c: the key file that site's config names (signing_key)."""
    named = named_key_file(config_path) if config_path and not path else None
    target = named or Path(path or DEFAULT_KEY).expanduser()
    return target, make_key(target, force=force)
