"""`mirrorpub verify URL [--key PUBKEY]`: is this copy genuine, fresh and complete?"""

from __future__ import annotations

from pathlib import Path

from mirrorpub.config import load_config
from mirrorpub.read.verify import VerifyResult, verify_copy
from mirrorpub.trust.signing import load_signer


def verify(url: str, *, key: str | None = None, allow_rollback: bool = False,
           config_path: str | None = None, site_config: str | None = None) -> VerifyResult:
    """With `config_path` (-c), or run in a site folder (`site_config`, the default
    mirrorpub.toml, if it is there), and no `key`: the public half of that site's key."""
    chosen = config_path or (site_config if site_config and Path(site_config).is_file()
                             else None)
    if key is None and chosen is not None:
        signer = load_signer(load_config(chosen))
        key = signer.public_text if signer is not None else None
    return verify_copy(url, key=key, allow_rollback=allow_rollback)
