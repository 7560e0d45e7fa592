"""Write an import's files so that a failed import writes nothing and a repeated one
changes nothing.

Every article and copied file is first written into a hidden staging folder inside the
output folder (hidden names are never part of a site; same file system, so a rename moves
it). Only when the whole source has been converted does `commit` move each staged file
into place: new files are moved, identical ones dropped, and a file that exists with
other bytes is left alone and listed, unless `force`. `abort` removes the staging folder
(and the output folder, if the import made it).
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import posixpath
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from mirrorpub.errors import ContentError
from mirrorpub.importers.article import check_article

STAGING_PREFIX = ".mirrorpub-import-"


@dataclass
class Outcome:
    written: int = 0
    unchanged: int = 0
    replaced: int = 0
    kept: list[str] = field(default_factory=list)


def safe_relative(rel: str, shown: str) -> str:
    """`rel` if it is a plain path inside the output folder; a ContentError otherwise."""
    clean = posixpath.normpath(rel)
    parts = clean.split("/")
    if rel.startswith("/") or "\\" in rel or "\x00" in rel or clean == "." or \
            any(p in ("", "..") or p.startswith(".") for p in parts):
        raise ContentError(shown, f"would write {rel!r}, which is not a plain path inside "
                           "the content folder; refusing the import")
    return clean


class StagedWriter:
    def __init__(self, output: Path, label: str, *, force: bool) -> None:
        self.output = output
        self.label = label  # how messages name the output folder
        self.force = force
        self.made_output = False
        self.staging: Path | None = None
        self.staged: set[str] = set()
        self.sources: dict[str, Path] = {}  # rel -> the file it was copied from

    def _stage_path(self, rel: str) -> Path:
        if self.staging is None:
            if not self.output.exists():
                self.output.mkdir(parents=True)
                self.made_output = True
            self.staging = self.output / f"{STAGING_PREFIX}{secrets.token_hex(4)}"
            self.staging.mkdir()
        path = self.staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def add_article(self, rel: str, text: str) -> None:
        rel = safe_relative(rel, self.label)
        check_article(f"{self.label}/{rel}", text)
        self._take(rel)
        self._stage_path(rel).write_bytes(text.encode("utf-8"))

    def add_file(self, rel: str, source: Path) -> None:
        """Copy `source` to `rel`; the same file asked for twice is copied once."""
        rel = safe_relative(rel, self.label)
        if self.sources.get(rel) == source:
            return
        self._take(rel)
        self.sources[rel] = source
        shutil.copyfile(source, self._stage_path(rel))

    def _take(self, rel: str) -> None:
        if rel in self.staged:
            raise ContentError(f"{self.label}/{rel}", "two imported things would be written "
                               "to this one path; refusing the import")
        self.staged.add(rel)

    def commit(self) -> Outcome:
        outcome = Outcome()
        try:
            for rel in sorted(self.staged):
                self._move(rel, outcome)
        except OSError as exc:
            raise ContentError(f"{self.label}/{rel}", f"cannot be written: "
                               f"{exc.strerror or exc}") from None
        finally:
            self._remove_staging()
        return outcome

    def _move(self, rel: str, outcome: Outcome) -> None:
        assert self.staging is not None
        staged, target = self.staging / rel, self.output / rel
        if target.is_file() and filecmp.cmp(staged, target, shallow=False):
            outcome.unchanged += 1
            return
        if target.exists() and (not self.force or not target.is_file()):
            outcome.kept.append(rel)
            return
        existed = target.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        if existed:
            outcome.replaced += 1
        else:
            outcome.written += 1

    def abort(self) -> None:
        self._remove_staging()
        if self.made_output:
            with contextlib.suppress(OSError):
                self.output.rmdir()

    def _remove_staging(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
