"""What an import did, and one line for everything it could not carry over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mirrorpub.errors import EXIT_OK


@dataclass(frozen=True, order=True)
class Note:
    """Something that could not be carried over as it was: where, what, why."""

    file: str  # the article (or source file) it concerns, as the user will look for it
    what: str  # the thing: a shortcode, a URL, a front matter key
    why: str  # what happened to it and why

    def line(self) -> str:
        return f"{self.file}: {self.what}: {self.why}"


@dataclass
class ImportReport:
    source: str  # the export file or folder, as given
    output: str  # the content folder written into, as given
    articles: int = 0  # articles the source gave (drafts and pages included)
    drafts: int = 0
    pages: int = 0
    files: int = 0  # files copied next to their articles
    written: int = 0  # new files
    unchanged: int = 0  # already there with the same bytes
    replaced: int = 0  # there with other bytes, replaced (--force)
    kept: list[str] = field(default_factory=list)  # there with other bytes, left alone
    notes: list[Note] = field(default_factory=list)

    exit_code = EXIT_OK

    def record(self, outcome: Any) -> None:
        """What the writer's commit did (importers/writer.py's Outcome)."""
        self.written, self.unchanged, self.replaced = \
            outcome.written, outcome.unchanged, outcome.replaced
        self.kept = [f"{self.output}/{rel}" for rel in outcome.kept]

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "output": self.output, "articles": self.articles,
            "drafts": self.drafts, "pages": self.pages, "files": self.files,
            "written": self.written, "unchanged": self.unchanged, "replaced": self.replaced,
            "kept": self.kept,
            "notes": [{"file": n.file, "what": n.what, "why": n.why} for n in self.notes],
        }
