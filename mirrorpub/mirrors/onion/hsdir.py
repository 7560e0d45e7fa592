"""Tor v3 onion services: the address of an Ed25519 key, and the files of tor's
HiddenServiceDir in tor's own formats (rend-spec v3, "Encoding onion addresses"; tor's
src/lib/crypt_ops/crypto_ed25519.c and hs_service.c):

    address  = base32(PUBKEY | CHECKSUM | VERSION), lower case, + ".onion"
    CHECKSUM = SHA3-256(".onion checksum" | PUBKEY | VERSION)[:2], VERSION = 0x03
    hs_ed25519_secret_key  "== ed25519v1-secret: type0 ==\\0\\0\\0" + the 64-byte expanded
                           secret: SHA-512(seed), first half clamped (RFC 8032 §5.1.5)
    hs_ed25519_public_key  "== ed25519v1-public: type0 ==\\0\\0\\0" + the 32-byte public key
    hostname               ADDRESS ".onion\\n"

tor, started with HiddenServiceDir = that folder, reads the secret key and serves its
address; it refuses a folder others may read, so the folder is 0700 and its files 0600.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mirrorpub import fsatomic

SECRET_HEADER = b"== ed25519v1-secret: type0 ==\0\0\0"
PUBLIC_HEADER = b"== ed25519v1-public: type0 ==\0\0\0"
VERSION = b"\x03"
SECRET_FILE = "hs_ed25519_secret_key"
PUBLIC_FILE = "hs_ed25519_public_key"
HOSTNAME_FILE = "hostname"


def onion_address(public_key: bytes) -> str:
    """The 56-character v3 address of a 32-byte Ed25519 public key (without ".onion")."""
    checksum = hashlib.sha3_256(b".onion checksum" + public_key + VERSION).digest()[:2]
    return base64.b32encode(public_key + checksum + VERSION).decode("ascii").lower()


def public_key_of(address: str) -> bytes | None:
    """The public key an address encodes, or None when it is not a valid v3 address."""
    label = address.removesuffix(".onion")
    if len(label) != 56:
        return None
    try:
        raw = base64.b32decode(label.upper())
    except binascii.Error:
        return None
    public = raw[:32]
    return public if onion_address(public) == label else None  # checksum and version


def expanded_secret(seed: bytes) -> bytes:
    """Tor's form of an Ed25519 secret key: the clamped scalar, then the hash's other half."""
    digest = bytearray(hashlib.sha512(seed).digest())
    digest[0] &= 248
    digest[31] &= 63
    digest[31] |= 64
    return bytes(digest)


def raw_keys(key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return seed, public


def address_of(key: Ed25519PrivateKey) -> str:
    return onion_address(raw_keys(key)[1])


def service_files(key: Ed25519PrivateKey) -> dict[str, bytes]:
    """The three files tor reads from its HiddenServiceDir for this key."""
    seed, public = raw_keys(key)
    return {SECRET_FILE: SECRET_HEADER + expanded_secret(seed),
            PUBLIC_FILE: PUBLIC_HEADER + public,
            HOSTNAME_FILE: (onion_address(public) + ".onion\n").encode("ascii")}


def other_address(hs_dir: Path, address: str) -> str | None:
    """The address of a different key already in hs_dir (never to be overwritten), if any."""
    try:
        data = (hs_dir / PUBLIC_FILE).read_bytes()
    except FileNotFoundError:
        return None
    if not data.startswith(PUBLIC_HEADER) or len(data) != len(PUBLIC_HEADER) + 32:
        return "an unreadable key"
    found = onion_address(data[len(PUBLIC_HEADER):])
    return None if found == address else found + ".onion"


def install(hs_dir: Path, files: dict[str, bytes]) -> int:
    """Write what differs (mode 0600) into hs_dir (made 0700); the number written."""
    hs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(hs_dir, 0o700)
    written = 0
    for name, data in files.items():
        target = hs_dir / name
        if _same(target, data):
            continue
        fsatomic.write_bytes(target, data, durable=True, mode=0o600)
        written += 1
    return written


def problems(hs_dir: Path, files: dict[str, bytes]) -> list[str]:
    """What keeps tor from serving this key from hs_dir, one line each."""
    if not hs_dir.is_dir():
        return [f"hs_dir {hs_dir} does not exist: publish to write tor's key files there"]
    out = []
    if stat.S_IMODE(hs_dir.stat().st_mode) & 0o077:
        out.append(f"hs_dir {hs_dir} may be read by others; tor refuses it (chmod 700)")
    for name, data in files.items():
        if not (hs_dir / name).is_file():
            out.append(f"hs_dir has no {name}: publish to write it")
        elif not _same(hs_dir / name, data):
            out.append(f"hs_dir's {name} is not that of the mirror's key: tor serves "
                       "another address than the copies name")
    return out


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False
