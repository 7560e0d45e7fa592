"""`mirrorpub keygen [PATH]`: a new Ed25519 signing key (mode 0600)."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.config.load import named_key_file
from mirrorpub.trust.signing import Signer
from mirrorpub.trust.signing import keygen as make_key


def keygen(path: str | None, *, force: bool = False,
           config_path: str | None = None) -> tuple[Path, Signer]:
    """Without PATH: the key file the site's config names (signing_key), or else a key
    of this folder's own under ~/.config/mirrorpub/keys/ (one key shared by every site
    would let one leak sign for all of them)."""
    from mirrorpub.commands.init import site_key_path

    named = named_key_file(config_path) if config_path and not path and \
        Path(config_path).is_file() else None
    target = named or Path(path or site_key_path(Path.cwd())).expanduser()
    return target, make_key(target, force=force)
