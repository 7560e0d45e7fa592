"""A git remote over smart HTTP for tests: Debian's `git http-backend` (CGI) behind a
small threaded server on a free loopback port, with HTTP basic auth, the way a git host
serves repositories. Pushes need the right token (any user name), as on GitHub; with
`private=True` reading does too. Every request is recorded, to count what a publish costs.
Bare repositories live under `root`; `bare(name)` makes one.
"""

from __future__ import annotations

import base64
import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


def git_exec_path() -> Path:
    return Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True,
                               check=True).stdout.strip())


def bare(root: Path, name: str) -> Path:
    path = root / name
    subprocess.run(["git", "init", "--bare", "--quiet", str(path)], check=True)
    return path


@dataclass
class Seen:
    method: str
    path: str
    query: str
    status: int
    body_bytes: int


@dataclass
class GitServer:
    root: Path
    token: str
    private: bool = False
    requests: list[Seen] = field(default_factory=list)
    url: str = ""

    def repo_url(self, name: str) -> str:
        return f"{self.url}{name}"

    def pushes(self) -> list[Seen]:
        return [r for r in self.requests if r.path.endswith("/git-receive-pack")]


def _handler(server: GitServer) -> type[BaseHTTPRequestHandler]:
    backend = str(git_exec_path() / "git-http-backend")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._cgi()

        def do_POST(self) -> None:
            self._cgi()

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _authorized(self, writing: bool) -> bool:
            if not writing and not server.private:
                return True
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            _user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return password == server.token

        def _cgi(self) -> None:
            parts = urlsplit(self.path)
            writing = "git-receive-pack" in parts.path or "service=git-receive-pack" in \
                parts.query
            body = self._body()
            if not self._authorized(writing):
                self._record(parts, 401, len(body))
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                   "GIT_PROJECT_ROOT": str(server.root), "GIT_HTTP_EXPORT_ALL": "1",
                   "PATH_INFO": parts.path, "QUERY_STRING": parts.query,
                   "REQUEST_METHOD": self.command, "REMOTE_ADDR": "127.0.0.1",
                   "REMOTE_USER": "publisher", "CONTENT_LENGTH": str(len(body)),
                   "CONTENT_TYPE": self.headers.get("Content-Type", "")}
            for header, var in (("Git-Protocol", "GIT_PROTOCOL"),
                                ("Content-Encoding", "HTTP_CONTENT_ENCODING")):
                if self.headers.get(header):
                    env[var] = self.headers[header]
            done = subprocess.run([backend], input=body, env=env, capture_output=True,
                                  check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self._record(parts, status, len(body))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _record(self, parts: object, status: int, size: int) -> None:
            server.requests.append(Seen(self.command, parts.path, parts.query,  # type: ignore[attr-defined]
                                        status, size))

    return Handler


@contextlib.contextmanager
def git_server(root: Path, token: str, *, private: bool = False) -> Iterator[GitServer]:
    root.mkdir(parents=True, exist_ok=True)
    state = GitServer(root, token, private)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
