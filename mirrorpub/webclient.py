"""httpx, imported without its command-line client.

httpx's package imports `httpx._main` (its own `httpx` command) whenever click, rich and
pygments are installed, as they are beside mirrorpub: 30 ms of every publish that reads a
copy back, for a command mirrorpub never runs. Marked absent before httpx is first
imported, the package takes its own `except ImportError` branch and defines a stub
instead; the client itself is untouched. Modules using httpx import it from here.
"""

from __future__ import annotations

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]

import httpx

__all__ = ["httpx"]
