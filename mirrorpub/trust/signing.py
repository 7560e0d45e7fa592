"""Ed25519 keys for signing `mirrors.json` (SPEC §3 keygen, §7 signature).

Private key: a PKCS#8 PEM file, mode 0600, or the same PEM text in the environment
variable MIRRORPUB_SIGNING_KEY (which may also hold a path). A key file inside content/,
the theme or the output is refused (it could be published); one other users can read is
warned about. Public key, as people paste
it: `ed25519:` + base64 of the 32 raw bytes. Fingerprint, as pages show it: the first
32 hex digits (128 bits) of the public key's SHA-256, in groups of four. Earlier versions
showed the first 16 (64 bits, too few to rule out a made-to-match key); those are the
first four groups of today's, so a reader holding an old one can still compare.

Nothing here ever logs or returns private key material in a message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mirrorpub import fsatomic, redact
from mirrorpub.config import SIGNING_KEY_ENV, Config
from mirrorpub.config.site import key_exposed
from mirrorpub.errors import SigningError
from mirrorpub.safepath import names_a_file

PUBLIC_PREFIX = "ed25519:"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Signer:
    """A loaded private key. repr() shows only the fingerprint."""

    _key: Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"Signer(fingerprint={self.fingerprint!r})"

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    @property
    def public_text(self) -> str:
        return public_key_text(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, data: bytes) -> bytes:
        return base64.b64encode(self._key.sign(data)) + b"\n"


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PUBLIC_PREFIX + base64.b64encode(raw).decode("ascii")


FINGERPRINT_DIGITS = 32
LEGACY_FINGERPRINT_DIGITS = 16


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()[:FINGERPRINT_DIGITS]
    return " ".join(digest[i:i + 4] for i in range(0, FINGERPRINT_DIGITS, 4))


def legacy_fingerprint(shown: str) -> str:
    """The 64-bit fingerprint earlier versions showed for the key shown as `shown`."""
    groups = LEGACY_FINGERPRINT_DIGITS // 4
    return " ".join(shown.split(" ")[:groups])


def keygen(path: Path, *, force: bool = False) -> Signer:
    """A new key in `path`: 0600 from its first byte, written whole or not at all, never
    over an existing file (or a link) unless `force`, no temporary copy left behind."""
    if path.exists() and not force:
        raise SigningError(f"{path} already exists; keep it (it signs your site) or pass "
                           "--force to replace it")
    return Signer(new_key_file(path, force=force))


def new_key_file(path: Path, *, force: bool = False) -> Ed25519PrivateKey:
    """A new Ed25519 key, written to `path` as PKCS#8 PEM, mode 0600 from its first byte."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fsatomic.remove_temporaries(path.parent, of=path.name)  # of a keygen killed midway
        if force:
            fsatomic.write_bytes(path, pem, durable=True, mode=0o600)
        else:
            fsatomic.write_new(path, pem, mode=0o600)
    except FileExistsError:
        raise SigningError(f"{path} already exists; keep it (it signs your site) or pass "
                           "--force to replace it") from None
    except OSError as exc:
        raise SigningError(f"cannot write {path}: {exc.strerror}") from None
    return key


def load_signer(config: Config) -> Signer | None:
    """The site's signing key: MIRRORPUB_SIGNING_KEY wins over `site.signing_key`."""
    value = os.environ.get(SIGNING_KEY_ENV, "").strip()
    if value:
        return _from_environment(value, config)
    if config.site.signing_key is None:
        return None
    return _load_file(config.site.signing_key, "site.signing_key")


def _from_environment(value: str, config: Config) -> Signer:
    source = f"${SIGNING_KEY_ENV}"
    if value.startswith("-----BEGIN"):
        redact.remember(value)
        return Signer(_parse_pem(value.encode(), source))
    path = Path(os.path.expanduser(value))
    if redact.may_be_secret(value) and not names_a_file(path):
        redact.remember(value)
        raise SigningError(f"{source} holds {redact.hidden(value)}: neither a key file's "
                           "text nor its path. Give the whole text of the key file, its "
                           "-----BEGIN PRIVATE KEY----- line included, or the file's path")
    folder_key = config.site.exposing(path)
    if folder_key:
        raise SigningError(key_exposed(source, folder_key))
    return _load_file(path, source)


def _load_file(path: Path, source: str) -> Signer:
    return Signer(read_key_file(path, source))


def read_key_file(path: Path, source: str) -> Ed25519PrivateKey:
    """The Ed25519 key in a PEM file; `source` names where it was configured. A file
    others can read is warned about."""
    try:
        data = path.read_bytes()
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise SigningError(f"{source}: cannot read the key file {redact.shown(str(path))}: "
                           f"{exc.strerror}") from None
    redact.remember(data.decode("utf-8", "replace"))
    if mode & 0o077:
        _warn_readable(path, source, mode)
    return _parse_pem(data, f"{source} ({redact.shown(str(path))})")


@functools.cache  # once per key file and process: watch loads the key at every publish
def _warn_readable(path: Path, source: str, mode: int) -> None:
    log.warning("%s: the key file can be read by other users of this machine (mode %03o); "
                "make it private: chmod 600 %s", source, mode, redact.shown(str(path)))


def _parse_pem(data: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningError(f"{source} is not a readable private key; make one with "
                           "`mirrorpub keygen`") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{source} is not an Ed25519 key; make one with `mirrorpub keygen`")
    return key


def parse_public_key(text: str) -> Ed25519PublicKey:
    """`ed25519:BASE64` as keygen prints it, or the path of a file holding that line."""
    value = text.strip()
    if not value.startswith(PUBLIC_PREFIX) and names_a_file(Path(value)):
        value = Path(value).read_text(encoding="utf-8", errors="replace").strip()
    if value.startswith("-----BEGIN"):
        raise SigningError("that file holds a PRIVATE key: give the public key instead (the "
                           "ed25519:… line `mirrorpub keygen` printed), and keep the private "
                           "key where it was")
    if not value.startswith(PUBLIC_PREFIX):
        raise SigningError("a public key looks like 'ed25519:…' (as `mirrorpub keygen` prints "
                           "it), or names a file holding that line")
    try:
        raw = base64.b64decode(value[len(PUBLIC_PREFIX):], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise SigningError("the public key is damaged: expected 'ed25519:' and 44 base64 "
                           "characters") from None


def check_signature(key: Ed25519PublicKey, data: bytes, signature_text: bytes) -> bool:
    try:
        signature = base64.b64decode(signature_text.strip(), validate=True)
        key.verify(signature, data)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
