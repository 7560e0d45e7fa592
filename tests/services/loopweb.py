"""A tiny web server on 127.0.0.1 for tests of what hostile servers do: each path answered
by a route (a function writing the answer), every request and connection counted.

    answer(data), redirect(url)     plain answers
    drip(every, declared)           a byte now and then, forever
    endless                         as fast as loopback goes, without end

Keep-alive (HTTP/1.1) like real object stores; a client hanging up mid-answer just ends
that answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


def answer(data: bytes, status: int = 200) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    return route


def redirect(location: str) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
    return route


def drip(every: float, declared: int) -> Route:
    """A byte now and then, forever: each read succeeds, so no silence timeout fires."""
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(declared))
        handler.end_headers()
        while True:
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(every)
    return route


def endless(handler: BaseHTTPRequestHandler) -> None:
    """Without end: no length, so the answer lasts until the server closes."""
    handler.send_response(200)
    handler.end_headers()
    block = b"\0" * 65536
    while True:
        handler.wfile.write(block)


class LoopbackWeb:
    """Serves `routes` (path -> route; others 404), or one route for every path."""

    def __init__(self, routes: Mapping[str, Route] | Route) -> None:
        self.routes = routes
        self.asked: list[str] = []
        self.connections = 0
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                web.connections += 1
                super().setup()

            def do_GET(self) -> None:
                web.asked.append(self.path)
                try:
                    web.route(self.path)(self)
                except OSError:  # the client hung up: what a bounded client does
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, path: str) -> Route:
        if callable(self.routes):
            return self.routes
        return self.routes.get(path, answer(b"no", 404))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> LoopbackWeb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
