"""Onion addresses and tor's key files against Tor's published vectors.

- rend-spec v3 ("Encoding onion addresses") gives example addresses: each must decode to
  a public key whose address, computed here, is that address again (checksum, version).
- tor's own test of the encoding (test_hs_common.c, test_build_address) turns the public
  key of RFC 8032's first Ed25519 test vector into 25njqamc…l5sid.
- RFC 8032 §7.1 test 1: that public key from its secret seed, so the whole chain seed ->
  public key -> address holds, and the expanded secret key tor stores is the clamped hash.
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mirrorpub.mirrors.onion import hsdir

SPEC_EXAMPLES = [
    "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
    "sp3k262uwy4r2k3ycr5awluarykdpag6a7y33jxop4cs2lu5uz5sseqd.onion",
    "xa4r2iadxm55fbnqgwwi5mymqdcofiu3w6rpbtqn7b2dyn7mgwj64jyd.onion",
]
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
TOR_TEST_ADDRESS = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid"


@pytest.mark.parametrize("address", SPEC_EXAMPLES)
def test_the_spec_examples_round_trip(address: str) -> None:
    public = hsdir.public_key_of(address)
    assert public is not None and len(public) == 32
    assert hsdir.onion_address(public) + ".onion" == address


def test_tors_own_vector() -> None:
    assert hsdir.onion_address(RFC8032_PUBLIC) == TOR_TEST_ADDRESS


def test_from_the_seed_to_tors_files() -> None:
    key = Ed25519PrivateKey.from_private_bytes(RFC8032_SEED)
    assert hsdir.address_of(key) == TOR_TEST_ADDRESS
    files = hsdir.service_files(key)
    assert files["hostname"] == f"{TOR_TEST_ADDRESS}.onion\n".encode()
    assert files["hs_ed25519_public_key"] == b"== ed25519v1-public: type0 ==\0\0\0" + \
        RFC8032_PUBLIC
    secret = files["hs_ed25519_secret_key"]
    assert secret[:32] == b"== ed25519v1-secret: type0 ==\0\0\0" and len(secret) == 96
    digest = hashlib.sha512(RFC8032_SEED).digest()
    scalar = bytearray(digest[:32])
    assert secret[64:] == digest[32:]
    assert secret[32] == scalar[0] & 0xF8 and secret[63] == (scalar[31] & 0x3F) | 0x40
    assert secret[33:63] == bytes(scalar[1:31])


@pytest.mark.parametrize("broken", [
    SPEC_EXAMPLES[0].replace("pg6m", "pg7m"),  # one character off: the checksum fails
    TOR_TEST_ADDRESS[:-1] + "a",  # the version byte changes
    "facebookcorewwwi.onion",  # a v2 address
    TOR_TEST_ADDRESS + "a",
    "0" * 56,  # not base32
])
def test_what_is_not_a_v3_address(broken: str) -> None:
    assert hsdir.public_key_of(broken) is None
