"""`mirrorpub serve`: a local preview of the built site, or (`--root DIR`) a folder copy
served as it is, e.g. an onion copy behind tor (deploy/onion/). Loopback by default.

The server is small on purpose and safe for a folder others may have written to: GET and
HEAD only; a path names a file inside the folder (no `..`, no symlink leading out, no
hidden file); a folder is never listed (`/` is index.html); no access log (an onion's
readers stay unrecorded); no software version in the headers.
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import shutil
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mirrorpub.config import load_config
from mirrorpub.errors import UsageError
from mirrorpub.publish.local import build_only
from mirrorpub.site.mediatypes import cache_control, content_type

CHUNK = 256 * 1024


class FolderHandler(BaseHTTPRequestHandler):
    server_version = "mirrorpub"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: object, root: Path, **kwargs: object) -> None:
        self.root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        site_path = site_file(urlsplit(self.path).path)
        target = resolve_inside(self.root, site_path) if site_path else None
        if target is None:
            self._plain(HTTPStatus.NOT_FOUND, body)
            return
        try:
            handle = open(target, "rb")  # noqa: SIM115 (closed below, after the headers)
        except OSError:
            self._plain(HTTPStatus.NOT_FOUND, body)
            return
        with handle:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type(site_path))
            self.send_header("Content-Length", str(os.fstat(handle.fileno()).st_size))
            self.send_header("Cache-Control", cache_control(site_path))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            if body:
                shutil.copyfileobj(handle, self.wfile, CHUNK)

    def _plain(self, status: HTTPStatus, body: bool) -> None:
        text = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if body:
            self.wfile.write(text)

    def log_message(self, format: str, *args: object) -> None:
        pass  # no access log: readers are not recorded


def site_file(url_path: str) -> str | None:
    """The site path a request names, or None: `/` is index.html; folders, `..`, hidden
    names and NUL bytes name nothing."""
    path = unquote(url_path)
    if path == "/":
        return "index.html"
    rel = path.lstrip("/")
    parts = rel.split("/")
    if not rel or "\0" in rel or path.endswith("/") or posixpath.normpath(rel) != rel or \
            any(part.startswith(".") for part in parts):
        return None
    return rel


def resolve_inside(root: Path, site_path: str) -> Path | None:
    """The regular file at site_path, if it and every link on the way stay in root."""
    target = Path(os.path.realpath(root / site_path))
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def build_for_preview(config_path: str) -> Path:
    """Build the site; the folder to serve."""
    return build_only(load_config(config_path)).output_dir


def folder_to_serve(root: str) -> Path:
    folder = Path(os.path.realpath(os.path.expanduser(root)))
    if not folder.is_dir():
        raise UsageError(f"--root {root}: no such folder")
    return folder


def serve(root: Path, bind: str, port: int) -> None:
    handler = functools.partial(FolderHandler, root=Path(os.path.realpath(root)))
    with ThreadingHTTPServer((bind, port), handler) as server, \
            contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
