"""How the last publish left an object-store copy, so the next one with the same site
files can tell it has nothing to send in three small requests, without reading the
copy's index (megabytes at 100,000 articles; SPEC §14: a no-op in ≤ 3 requests); and
one whose build's delta starts from those files sends what the delta names, its index
still unread (objectstore._delta_plan).

Kept in the mirror's memory (state.json) once a publish ended with the copy complete:
the site files' digest, the sha256 of the base index and of its journal as written (or
read), and the index entries of the manifest files and their parts, which a publish may
replace even when the site files are the same (a mirror's status, a renewed stamp).

The copy is as left when its journal has the same bytes, its index object the same
sha256 (recorded with it, like any object's), and mirrors.json the same mark: anyone
else's publish rewrites the journal, and any other tool's the manifest (the check a full
read makes too). Objects changed behind the index's back go unseen, as they do then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrorpub.mirrors.plan import RemoteEntry

MEMORY = "as_left"


@dataclass(frozen=True)
class AsLeft:
    files: str  # model.files_digest of the site files the copy holds
    index: str  # sha256 of the base index object
    journal: str | None  # sha256 of its journal object; None when there is none
    kept: Mapping[str, RemoteEntry]  # the index's entries for manifest files and parts

    def as_memory(self) -> dict[str, Any]:
        return {"files": self.files, "index": self.index, "journal": self.journal,
                "kept": {p: [e.sha256, e.size] for p, e in sorted(self.kept.items())}}

    @classmethod
    def from_memory(cls, memory: Mapping[str, Any]) -> AsLeft | None:
        """What the memory says; None when it says nothing usable (an older mirrorpub's)."""
        data = memory.get(MEMORY)
        try:
            kept = {str(p): RemoteEntry(size=int(size), sha256=str(sha))
                    for p, (sha, size) in data["kept"].items()}
            journal = data["journal"]
            return cls(str(data["files"]), str(data["index"]),
                       None if journal is None else str(journal), kept)
        except (TypeError, KeyError, ValueError, AttributeError):
            return None


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()
