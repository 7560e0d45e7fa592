"""How times and sizes are written, one way everywhere: the manifests' UTC timestamps
(seconds, a trailing Z) and byte sizes as plans and progress lines show them."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """2026-11-28T10:00:00Z"""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def human_bytes(n: float) -> str:
    """1536 -> "1.5 KB"."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{int(n)} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
