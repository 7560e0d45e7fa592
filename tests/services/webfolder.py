"""A plain static web server over a folder, on a free loopback port: what GitHub Pages
(or any web host) is to a pushed branch in the tests. Python's own SimpleHTTPRequestHandler,
so mirrorpub's server is never judged by itself."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from mirrorpub.site.mediatypes import content_type


class _Quiet(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | Path) -> str:
        return content_type(str(path))

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def web_folder(root: Path) -> Iterator[str]:
    """Serve `root` at the yielded base URL (ends in '/')."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
