"""The onion mirror: the folder is sent as a directory mirror's is (its store, its
plan and order); before the build, the key is loaded (made when missing) and tor's
files are written into hs_dir, so every page can name the onion address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mirrorpub.errors import MirrorError, SigningError
from mirrorpub.mirrors.directory import DirectoryStore
from mirrorpub.mirrors.objectstore import ObjectStoreMirror
from mirrorpub.mirrors.onion import hsdir
from mirrorpub.mirrors.onion.config import ADDRESS, OnionConfig
from mirrorpub.trust.signing import new_key_file, read_key_file


class OnionMirror(ObjectStoreMirror):
    def __init__(self, config: OnionConfig) -> None:
        super().__init__(config.name, DirectoryStore(config.folder()))
        self.config = config

    def prepare(self, memory: Mapping[str, Any], *, dry_run: bool) -> dict[str, Any]:
        if dry_run and not self.config.key.exists():
            return {}  # a dry run makes nothing; the address is known after a publish
        key = self._key(create=not dry_run)
        address = hsdir.address_of(key)
        other = hsdir.other_address(self.config.hs_dir, address)
        if other:
            raise MirrorError(self.name, f"hs_dir {self.config.hs_dir} holds the key of "
                              f"{other}, not of this mirror's key; mirrorpub never overwrites "
                              "an onion key: move that folder's files away or set hs_dir to "
                              "another folder")
        if not dry_run:
            try:
                hsdir.install(self.config.hs_dir, hsdir.service_files(key))
            except OSError as exc:
                raise MirrorError(self.name, f"cannot write tor's key files in hs_dir "
                                  f"{self.config.hs_dir}: {exc.strerror}") from None
        return {ADDRESS: address}

    def _key(self, *, create: bool) -> Ed25519PrivateKey:
        try:
            if create and not self.config.key.exists():
                return new_key_file(self.config.key)
            return read_key_file(self.config.key, "key")
        except SigningError as exc:
            raise MirrorError(self.name, str(exc)) from None


def key_problems(config: OnionConfig) -> list[str]:
    if not config.key.exists():
        return []  # made (with its folders) by the publish
    try:
        read_key_file(config.key, "key")
    except SigningError as exc:
        return [str(exc)]
    return []


def service_problems(config: OnionConfig, address: str | None) -> list[str]:
    """For `status`: does tor's folder hold the key whose address the copies name?"""
    if address is None:
        return []  # never published: status says so already
    try:
        key = read_key_file(config.key, "key")
    except SigningError as exc:
        return [str(exc)]
    problems = hsdir.problems(config.hs_dir, hsdir.service_files(key))
    if hsdir.address_of(key) != address:
        problems.append(f"the key gives {hsdir.address_of(key)}.onion, but the copies name "
                        f"{address}.onion: publish again")
    return problems
