"""The options of an `onion` mirror (SPEC §10), declared once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import as_path, non_empty, option
from mirrorpub.mirrors.directory import DirectoryConfig

ADDRESS = "onion"  # the fact prepare() finds: the address, without ".onion"


@dataclass(frozen=True, kw_only=True)
class OnionConfig(MirrorConfig):
    path: Path = option(str, required=True, check=non_empty, convert=as_path)
    hs_dir: Path = option(str, required=True, check=non_empty, convert=as_path)
    key: Path = option(str, required=True, check=non_empty, convert=as_path)

    def folder(self) -> DirectoryConfig:
        """The copy itself: a folder, published as a directory mirror is."""
        return DirectoryConfig(name=self.name, type="directory", path=self.path)

    def cross_check(self, protected: Mapping[str, Path], where: str) -> list[str]:
        """The folder must stand alone; the key and tor's folder must never be where
        something is published (the copy, content/, the output)."""
        problems = self.folder().cross_check(protected, where)
        published = {f"{where}.path": self.path, **protected}
        published.pop("the state folder", None)
        for key, secret in ((f"{where}.hs_dir", self.hs_dir), (f"{where}.key", self.key)):
            for name, folder in published.items():
                if secret.resolve().is_relative_to(folder.resolve()):
                    problems.append(f"{key}: {secret} is inside {name} ({folder}); the onion "
                                    "key would be published: keep it elsewhere")
        return problems
