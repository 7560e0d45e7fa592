"""`mirrorpub verify URL [--key PUBKEY]`: is this copy genuine, fresh and complete?"""

from __future__ import annotations

from mirrorpub.read.verify import VerifyResult, verify_copy


def verify(url: str, *, key: str | None = None, root: str | None = None,
           allow_rollback: bool = False) -> VerifyResult:
    return verify_copy(url, key=key, root=root, allow_rollback=allow_rollback)
