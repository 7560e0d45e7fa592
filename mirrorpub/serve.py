"""`mirrorpub serve`: a local preview of the built site (loopback by default)."""

from __future__ import annotations

import contextlib
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mirrorpub.mediatypes import content_type


class _Handler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | Path) -> str:
        return content_type(str(path))

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(root: Path, bind: str, port: int) -> None:
    handler = functools.partial(_Handler, directory=str(root))
    with ThreadingHTTPServer((bind, port), handler) as server, \
            contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
