"""`mirrorpub verify URL [--key PUBKEY]`: is this copy genuine, fresh and complete?"""

from __future__ import annotations

from mirrorpub.config import load_config
from mirrorpub.read.verify import VerifyResult, verify_copy
from mirrorpub.trust.signing import load_signer


def verify(url: str, *, key: str | None = None, allow_rollback: bool = False,
           config_path: str | None = None) -> VerifyResult:
    """With `config_path` (-c) and no `key`: the public half of that site's signing key."""
    if key is None and config_path is not None:
        signer = load_signer(load_config(config_path))
        key = signer.public_text if signer is not None else None
    return verify_copy(url, key=key, allow_rollback=allow_rollback)
