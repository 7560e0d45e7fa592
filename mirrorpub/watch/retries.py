"""Mirrors whose last push failed, and when each may be tried again (doubling, capped)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from mirrorpub.publish.report import PublishReport
from mirrorpub.watch.debounce import Clock

RETRY_FIRST = 10.0  # a failed mirror is tried again after 10 s, 20 s, 40 s …
RETRY_CAP = 300.0  # … but never waits longer than 5 minutes


def retry_delay(attempt: int, first: float = RETRY_FIRST, cap: float = RETRY_CAP) -> float:
    """Seconds before retry number `attempt` (1, 2, …): doubling, capped."""
    return min(cap, first * 2 ** max(0, attempt - 1))


# --- scheduling -----------------------------------------------------------------------------

@dataclass
class Retries:
    """Mirrors whose last push failed, and when each may be tried again."""

    clock: Clock = time.monotonic
    attempts: dict[str, int] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)

    def record(self, report: PublishReport) -> None:
        now = self.clock()
        for mirror in report.mirrors:
            if mirror.ok:
                self.attempts.pop(mirror.name, None)
                self.due.pop(mirror.name, None)
            else:
                self.attempts[mirror.name] = self.attempts.get(mirror.name, 0) + 1
                self.due[mirror.name] = now + retry_delay(self.attempts[mirror.name])

    def forget(self, name: str) -> None:
        """Tried again at the next publish, whatever its backoff said (its config changed:
        the editor has just fixed it, perhaps)."""
        self.attempts.pop(name, None)
        self.due.pop(name, None)

    def forget_all_but(self, names: set[str]) -> None:
        for name in set(self.due) - names:
            self.attempts.pop(name, None)
            self.due.pop(name, None)

    def waiting(self) -> set[str]:
        """Mirrors still waiting out their backoff."""
        now = self.clock()
        return {name for name, due in self.due.items() if due > now}

    def next_due(self) -> float | None:
        return min(self.due.values(), default=None)
