"""What a publish reports: per mirror, what it sent, how long it took, or why it failed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from mirrorpub.errors import EXIT_MIRROR_FAILED, EXIT_OK
from mirrorpub.mirrors.protocol import Outcome
from mirrorpub.site.build import BuildResult


@dataclass
class MirrorReport:
    name: str
    type: str
    ok: bool = False
    error: str | None = None
    seconds: float = 0.0
    plan: str = ""
    plan_lines: list[str] = field(default_factory=list)
    outcome: Outcome = field(default_factory=Outcome)

    def as_json(self) -> dict[str, Any]:
        o = self.outcome
        return {"name": self.name, "type": self.type, "ok": self.ok and not o.problem,
                "error": self.error or o.problem, "seconds": round(self.seconds, 3),
                "plan": self.plan, "uploaded": o.uploaded, "bytes_sent": o.bytes_sent,
                "deleted": o.deleted, "requests": o.requests, "warnings": o.warnings,
                **{k: v for k, v in o.facts.items() if isinstance(v, str | int)}}

    def then(self, later: MirrorReport) -> MirrorReport:
        """This mirror over two rounds of one publish: the later round's result, and what
        both sent and took."""
        a, b = self.outcome, later.outcome
        outcome = replace(b, uploaded=a.uploaded + b.uploaded,
                          bytes_sent=a.bytes_sent + b.bytes_sent, deleted=a.deleted + b.deleted,
                          requests=a.requests + b.requests, warnings=[*a.warnings, *b.warnings])
        return replace(later, seconds=self.seconds + later.seconds, outcome=outcome)


@dataclass
class PublishReport:
    version: int
    changed: bool
    dry_run: bool
    build: BuildResult
    mirrors: list[MirrorReport]
    signed: bool = True  # whether a signing key was set: readers can check the copies
    notes: list[str] = field(default_factory=list)  # for the editor, apart from any mirror

    @property
    def exit_code(self) -> int:
        bad = any(not m.ok or m.outcome.problem for m in self.mirrors)
        return EXIT_MIRROR_FAILED if bad and not self.dry_run else EXIT_OK

    def then(self, later: PublishReport) -> PublishReport:
        """One publish made of this round and a later one (over some of its mirrors)."""
        again = {m.name: m for m in later.mirrors}
        mirrors = [m.then(again[m.name]) if m.name in again else m for m in self.mirrors]
        return replace(later, changed=self.changed or later.changed, mirrors=mirrors,
                       notes=self.notes)

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "changed": self.changed, "dry_run": self.dry_run,
                "files": len(self.build.files), "signed": self.signed,
                "mirrors": [m.as_json() for m in self.mirrors], "notes": list(self.notes)}
