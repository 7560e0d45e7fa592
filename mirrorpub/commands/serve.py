"""`mirrorpub serve`: a local preview of the built site, or (`--root DIR`) a folder copy
served as it is, e.g. an onion copy behind tor (deploy/onion/). Loopback by default.

The server is small on purpose and safe for a folder others may have written to: GET and
HEAD only; a path names a file inside the folder (no `..`, no symlink leading out, no
hidden file); a folder is never listed (`/` is index.html); no access log (an onion's
readers stay unrecorded); no software version in the headers.

The preview (not `--root`) also answers /.mirrorpub/reload and adds the reload script to
the pages it answers with (commands/preview.py); the files on disk never change.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import posixpath
import shutil
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from mirrorpub.commands.preview import RELOAD_PATH, Preview, with_reload
from mirrorpub.errors import UsageError
from mirrorpub.site.mediatypes import cache_control, content_type

CHUNK = 256 * 1024
PORT_TRIES = 20  # a busy port: the next ones, up to this many


class FolderHandler(BaseHTTPRequestHandler):
    server_version = "mirrorpub"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: object, root: Path, preview: Preview | None = None,
                 **kwargs: object) -> None:
        self.root = root
        self.preview = preview
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        url = urlsplit(self.path)
        if self.preview is not None and url.path == RELOAD_PATH:
            self._reload_answer(url.query, body)
            return
        if self.preview is not None and content_type(site_file(url.path) or "").startswith(
                "text/html"):
            self._page_answer(url.path, body)
            return
        site_path = site_file(url.path)
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

    def _plain(self, status: HTTPStatus, body: bool, text: str | None = None) -> None:
        data = (text or f"{status.value} {status.phrase}\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _reload_answer(self, query: str, body: bool) -> None:
        assert self.preview is not None
        try:
            seen = int(parse_qs(query).get("v", ["0"])[0])
        except ValueError:
            seen = 0
        self._plain(HTTPStatus.OK, body, str(self.preview.newer_than(seen)))

    def _page_answer(self, url_path: str, body: bool) -> None:
        """An HTML page of the preview, with the reload script (never cached)."""
        assert self.preview is not None
        site_path = site_file(url_path)
        target = resolve_inside(self.root, site_path) if site_path else None
        try:
            page = target.read_bytes() if target else None
        except OSError:
            page = None
        if page is None:
            self._plain(HTTPStatus.NOT_FOUND, body)
            return
        data = with_reload(page, self.preview.version)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if body:
            self.wfile.write(data)

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


def folder_to_serve(root: str) -> Path:
    folder = Path(os.path.realpath(os.path.expanduser(root)))
    if not folder.is_dir():
        raise UsageError(f"--root {root}: no such folder")
    return folder


def open_server(root: Path, bind: str, port: int,
                preview: Preview | None = None) -> ThreadingHTTPServer:
    """A server listening on `port`, or on the next free one when it is busy (the caller
    compares `server.server_port` with what it asked for)."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: expected a port from 1 to 65535")
    handler = functools.partial(FolderHandler, root=Path(os.path.realpath(root)),
                                preview=preview)
    for candidate in range(port, min(port + PORT_TRIES, 65536)):
        try:
            return ThreadingHTTPServer((bind, candidate), handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise _bind_problem(bind, candidate, exc) from None
    raise UsageError(f"--port {port}: it and the next {PORT_TRIES - 1} ports are busy; "
                     "choose another with --port")


def _bind_problem(bind: str, port: int, exc: OSError) -> UsageError:
    if exc.errno == errno.EACCES:
        return UsageError(f"--port {port}: this user may not listen there (ports below 1024 "
                          "need privileges); choose one from 1024 to 65535")
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return UsageError(f"--bind {bind}: not an address of this machine")
    return UsageError(f"--bind {bind} --port {port}: cannot listen ({exc.strerror or exc})")


def serve(server: ThreadingHTTPServer) -> None:
    """Answer until Ctrl-C."""
    with server, contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
