"""`mirrorpub verify URL [--key PUBKEY]`: is this copy genuine, fresh and complete?"""

from __future__ import annotations

from pathlib import Path

from mirrorpub.config import load_config
from mirrorpub.read.verify import VerifyResult, verify_copy
from mirrorpub.trust.keys import own_root
from mirrorpub.trust.signing import Signer, load_signer


def site_key(config_path: str) -> Signer | None:
    """The key of the site whose folder verify runs in (its config names one, or
    MIRRORPUB_SIGNING_KEY does), if there is such a site."""
    if not Path(config_path).is_file():
        return None
    return load_signer(load_config(config_path))


def site_root(config_path: str) -> str | None:
    """The root key of the site whose folder verify runs in, when its keys.json (signed
    by that root) is there: a copy is then checked as a reader holding the root would."""
    if not Path(config_path).is_file():
        return None
    return own_root(load_config(config_path).site.keys_file)


def verify(url: str, *, key: str | None = None, root: str | None = None,
           allow_rollback: bool = False) -> VerifyResult:
    return verify_copy(url, key=key, root=root, allow_rollback=allow_rollback)
