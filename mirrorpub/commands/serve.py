"""`mirrorpub serve`: a local preview of the built site (loopback by default)."""

from __future__ import annotations

import contextlib
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mirrorpub.config import load_config
from mirrorpub.publish.local import build_only
from mirrorpub.site.mediatypes import content_type


class _Handler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | Path) -> str:
        return content_type(str(path))

    def log_message(self, format: str, *args: object) -> None:
        pass


def build_for_preview(config_path: str) -> Path:
    """Build the site; the folder to serve."""
    return build_only(load_config(config_path)).output_dir


def serve(root: Path, bind: str, port: int) -> None:
    handler = functools.partial(_Handler, directory=str(root))
    with ThreadingHTTPServer((bind, port), handler) as server, \
            contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
