"""A counting HTTP proxy: every tool under test talks to SeaweedFS through it.

    proxy = CountingProxy(upstream_port).start()   # listens on 127.0.0.1:proxy.port
    ... run a tool with endpoint http://127.0.0.1:{proxy.port} ...
    proxy.take()  -> Counts(requests=…, by_method={…}, bytes_sent=…, bytes_received=…)

It copies bytes both ways untouched (so request signatures, which cover the Host header,
still verify upstream) and reads only the client's side of each connection to count
HTTP/1.1 requests: the head up to the blank line, then the body by Content-Length or
chunked framing. `bytes_sent` is everything the client sent (heads and bodies); responses,
including `100 Continue`, flow back unparsed and are counted in `bytes_received`.
Measuring all three tools here, the same way, is what makes their figures comparable.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from dataclasses import dataclass, field

CHUNK = 256 * 1024


@dataclass
class Counts:
    requests: int = 0
    by_method: Counter[str] = field(default_factory=Counter)
    bytes_sent: int = 0
    bytes_received: int = 0

    def methods(self) -> str:
        return " ".join(f"{m}:{n}" for m, n in sorted(self.by_method.items()))


class CountingProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._counts = Counts()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="countproxy")
        self._server: asyncio.base_events.Server | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CountingProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("counting proxy did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def take(self) -> Counts:
        """The counts so far, and start again from zero."""
        with self._lock:
            counts, self._counts = self._counts, Counts()
        return counts

    # --- inside the proxy's own thread -------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=256))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, client_r: asyncio.StreamReader,
                     client_w: asyncio.StreamWriter) -> None:
        try:
            up_r, up_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        back = asyncio.ensure_future(self._pipe_back(up_r, client_w))
        try:
            await self._pipe_requests(client_r, up_w)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            with contextlib.suppress(Exception):
                up_w.write_eof()
            await asyncio.wait([back], timeout=30)
            for writer in (up_w, client_w):
                with contextlib.suppress(Exception):
                    writer.close()

    async def _pipe_back(self, reader: asyncio.StreamReader,
                         writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(CHUNK):
                self._count(received=len(data))
                writer.write(data)
                await writer.drain()
            writer.close()

    async def _pipe_requests(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # the client closed the connection between requests
            method, length, chunked = _parse_head(head)
            self._count(sent=len(head), method=method)
            writer.write(head)
            if chunked:
                await self._copy_chunked(reader, writer)
            else:
                await self._copy_exact(reader, writer, length)
            await writer.drain()

    async def _copy_exact(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          length: int) -> None:
        while length > 0:
            data = await reader.read(min(length, CHUNK))
            if not data:
                raise ConnectionError("client closed mid-body")
            length -= len(data)
            self._count(sent=len(data))
            writer.write(data)
            await writer.drain()

    async def _copy_chunked(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        while True:
            line = await reader.readuntil(b"\r\n")
            self._count(sent=len(line))
            writer.write(line)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                trailer = await reader.readuntil(b"\r\n")  # ends with an empty line
                while trailer != b"\r\n":
                    self._count(sent=len(trailer))
                    writer.write(trailer)
                    trailer = await reader.readuntil(b"\r\n")
                self._count(sent=2)
                writer.write(trailer)
                return
            await self._copy_exact(reader, writer, size + 2)  # data and its CRLF

    def _count(self, *, sent: int = 0, received: int = 0, method: str | None = None) -> None:
        with self._lock:
            counts = self._counts
            counts.bytes_sent += sent
            counts.bytes_received += received
            if method is not None:
                counts.requests += 1
                counts.by_method[method] += 1


def _parse_head(head: bytes) -> tuple[str, int, bool]:
    lines = head.decode("latin-1").split("\r\n")
    method = lines[0].split(" ", 1)[0]
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    return method, length, chunked
