"""A loopback HTTP proxy that injects faults between mirrorpub and a real service.

    client (mirrorpub) --> FaultProxy (127.0.0.1:random) --> SeaweedFS S3 / kubo RPC

Each request's head is read and handed to `rule(request)`, which returns what to do:

    FORWARD          pass it on (the body and the answer are pumped byte for byte)
    respond(503, …)  answer with this status and body instead (e.g. S3 SlowDown)
    RESET            drop the connection with a TCP reset
    STALL            accept, never answer (the client's timeout must fire)
    CLOSE            close the connection without answering
    Truncate(n)      forward, but reset the answer after n bytes of its body

Forwarded requests go upstream with `Connection: close`, so every request has its own
upstream connection and the proxy never has to parse an answer. `cut_upload_after(n)`
resets a request once n bytes of its body went through (a daemon "going away" mid-
upload); `on_upload` may also be set to act at a byte count (e.g. kill the daemon).
`cut_all()` resets every open connection now. Each request's `answered` counts the bytes
of its answer passed on to the client (how much a client let itself be sent), and `sent`
the bytes of the request (head and body) that went upstream. Everything
listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

FORWARD = "forward"
RESET = "reset"
STALL = "stall"
CLOSE = "close"

S3_ERRORS = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}


@dataclass(frozen=True)
class Respond:
    status: int
    body: bytes = b""
    content_type: str = "application/xml"


@dataclass(frozen=True)
class Truncate:
    nbytes: int


def respond(status: int, code: str | None = None) -> Respond:
    """An S3-style error answer (XML body with Code and Message)."""
    default_code, message = S3_ERRORS.get(status, ("Error", "injected fault"))
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code or default_code}'
            f"</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>")
    return Respond(status, body.encode())


@dataclass
class Request:
    number: int  # 1-based, in arrival order over the proxy's life
    method: str
    target: str  # path and query, as sent
    headers: dict[str, str]
    answered: int = 0  # bytes of the answer (head included) passed on to the client
    sent: int = 0  # bytes the client sent (head and body) that went upstream

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    @property
    def mutates(self) -> bool:
        """A request that changes a bucket: PUT, POST (multi-delete, multipart), DELETE."""
        return self.method in {"PUT", "POST", "DELETE"}


Rule = Callable[[Request], "str | Respond | Truncate"]


def forward_all(request: Request) -> str:
    return FORWARD


@dataclass
class FaultProxy:
    upstream_host: str
    upstream_port: int
    rule: Rule = forward_all
    on_upload: Callable[[Request, int], str | None] | None = None  # may return RESET
    requests: list[Request] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # one line per injected fault

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self.port = 0

    @classmethod
    def to(cls, url: str, rule: Rule = forward_all) -> FaultProxy:
        host, _, port = url.split("://", 1)[-1].rstrip("/").partition(":")
        return cls(host, int(port), rule)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> FaultProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        self.cut_all()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def cut_all(self) -> None:
        """Reset every connection open right now (both sides)."""
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            _reset(sock)

    def cut_upload_after(self, nbytes: int) -> None:
        """Reset the first request whose body passes `nbytes`, and only that one."""
        done = threading.Event()

        def hook(request: Request, sent: int) -> str | None:
            if sent >= nbytes and not done.is_set():
                done.set()
                self._note(f"reset {request.method} {request.path} after {sent} body bytes")
                return RESET
            return None

        self.on_upload = hook

    def mutations(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.mutates]

    # -- internals ----------------------------------------------------------------------
    def _note(self, line: str) -> None:
        with self._lock:
            self.faults.append(line)

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _untrack(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                self._open.discard(sock)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._track(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            head, rest = _read_head(client)
            if head is None:
                return
            request = self._parse(head)
            action = self.rule(request)
            if action == FORWARD or isinstance(action, Truncate):
                if isinstance(action, Truncate):
                    self._note(f"cut the answer to {request.method} {request.target} after "
                               f"{action.nbytes} bytes")
                limit = action.nbytes if isinstance(action, Truncate) else None
                self._forward(client, request, head, rest, limit)
                return
            self._note(f"{_shown(action)} for {request.method} {request.target}")
            if action == RESET:
                _reset(client)
            elif action == STALL:
                self._hold(client)
            elif isinstance(action, Respond):
                _drain_body(client, request, rest)
                _send_response(client, request, action)
        except OSError:
            pass
        finally:
            self._untrack(client)

    def _hold(self, client: socket.socket) -> None:
        """Read (and drop) whatever the client sends, never answer, until it hangs up."""
        client.settimeout(0.2)
        while not self._stopped.is_set():
            try:
                if not client.recv(65536):
                    return
            except TimeoutError:
                continue

    def _parse(self, head: bytes) -> Request:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        with self._lock:
            request = Request(len(self.requests) + 1, method, target, headers, sent=len(head))
            self.requests.append(request)
        return request

    def _forward(self, client: socket.socket, request: Request, head: bytes,
                 rest: bytes, limit: int | None = None) -> None:
        upstream = socket.create_connection((self.upstream_host, self.upstream_port),
                                            timeout=30)
        upstream.settimeout(None)
        self._track(upstream)
        try:
            upstream.sendall(_close_after(head))
            sent = [0]
            done = threading.Event()
            if rest:
                if self._count_upload(request, sent, len(rest), client, upstream):
                    return
                upstream.sendall(rest)
            up = threading.Thread(target=self._pump_up,
                                  args=(client, upstream, request, sent, done), daemon=True)
            up.start()
            _pump(upstream, client, limit, request)
            done.set()
        finally:
            self._untrack(upstream, client)

    def _count_upload(self, request: Request, sent: list[int], n: int, client: socket.socket,
                      upstream: socket.socket) -> bool:
        sent[0] += n
        request.sent += n
        if self.on_upload is not None and self.on_upload(request, sent[0]) == RESET:
            _reset(client)
            _reset(upstream)
            return True
        return False

    def _pump_up(self, client: socket.socket, upstream: socket.socket, request: Request,
                 sent: list[int], done: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while not done.is_set():
                data = client.recv(65536)
                if not data:
                    with contextlib.suppress(OSError):
                        upstream.shutdown(socket.SHUT_WR)
                    return
                if self._count_upload(request, sent, len(data), client, upstream):
                    return
                upstream.sendall(data)


def _shown(action: str | Respond | Truncate) -> str:
    return f"HTTP {action.status}" if isinstance(action, Respond) else action


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if len(data) > 1 << 20:
            return None, b""
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _close_after(head: bytes) -> bytes:
    """The same request head, asking the upstream to close after answering it."""
    lines = head[:-4].split(b"\r\n")
    kept = [line for line in lines
            if not line.lower().startswith((b"connection:", b"keep-alive:"))]
    return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n"


def _drain_body(sock: socket.socket, request: Request, rest: bytes) -> None:
    """Read the body the client is sending, unless it waits for `100 Continue` first."""
    if request.headers.get("expect", "").lower() == "100-continue":
        return
    remaining = int(request.headers.get("content-length", "0") or 0) - len(rest)
    sock.settimeout(10)
    while remaining > 0:
        chunk = sock.recv(min(remaining, 65536))
        if not chunk:
            return
        remaining -= len(chunk)


def _send_response(sock: socket.socket, request: Request, answer: Respond) -> None:
    body = b"" if request.method == "HEAD" else answer.body
    head = (f"HTTP/1.1 {answer.status} Injected\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\nConnection: close\r\n\r\n")
    sock.sendall(head.encode() + body)
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)


def _pump(source: socket.socket, target: socket.socket, limit: int | None = None,
          request: Request | None = None) -> None:
    """Copy until EOF; with a limit, reset once that many bytes of the body went through."""
    seen = b""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            if limit is not None:
                seen += data
                head_end = seen.find(b"\r\n\r\n")
                if head_end >= 0 and len(seen) >= head_end + 4 + limit:
                    target.sendall(seen[:head_end + 4 + limit][len(seen) - len(data):])
                    _reset(target)
                    return
            target.sendall(data)
            if request is not None:
                request.answered += len(data)


def _reset(sock: socket.socket) -> None:
    """Close with RST (SO_LINGER 0), as a crashed peer or a middlebox would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        # Wakes a thread blocked in recv() on it; until then close() would not tear the
        # connection down (the blocked call keeps the socket alive).
        sock.shutdown(socket.SHUT_RD)
    with contextlib.suppress(OSError):
        sock.close()
