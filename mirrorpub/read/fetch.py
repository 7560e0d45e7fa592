"""Read a published copy as a reader would: over http(s), from a file:// URL or a folder.

    open_copy(url, limits) -> Copy    the copy's root, whatever the reader pasted
    Copy.read(path, limit)            the bytes of one small file (the manifest, its .sig)
    Copy.digest(path, size)           sha256 and size of one file, streamed
    digest_all(copy, sizes)           every file at once, with bounded concurrency
    Copy.listing()                    every entry of a folder copy (None over http)

A copy root may be given as `http://HOST/BUCKET/`, `http://GW/ipfs/CID/`, any of those
ending in a root file (`…/index.html`, `…/mirrors.json`: stripped), `file:///…/` or a
plain folder path. Requests are anonymous (no credentials of any kind); proxies from the
environment are honoured, since readers may need them.

A copy may be hostile, so every read is bounded (ReadLimits): silence (`timeout`); each
file's time (`file_seconds`, plus its listed size at `min_rate`) and length (its listed
size + 1 byte: one more already shows it differs); and, for the whole check, a deadline
and a total of bytes (Budget). Over http only redirects to the copy's own origin (scheme,
host, port) are followed, so a copy cannot make a reader, or a CI runner, fetch from
elsewhere; answers are asked uncompressed and taken only so. In a folder only regular
files are read, each opened without following a symlink anywhere on its way, and the
folder is walked without recursion and without following symlinks.

Errors are VerifyError, or FetchError (NotFound, Refused, Unreachable, Stopped) for one
file, from mirrorpub.errors, so the CLI prints one line.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import re
import ssl
import stat
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

from mirrorpub import __version__
from mirrorpub.errors import FetchError, NotFound, Refused, Stopped, Unreachable, VerifyError
from mirrorpub.formats import human_bytes
from mirrorpub.safepath import is_site_path
from mirrorpub.webclient import httpx

T = TypeVar("T")
TIMEOUT = 20.0
CONCURRENCY = 8
CHUNK = 256 * 1024
MAX_REDIRECTS = 5
# Names a reader may paste instead of the copy's root; the root is their folder.
_ROOT_FILES = re.compile(r"index\.html|page-\d+\.html|mirrors\.(json|json\.sig|html)|"
                         r"bc2\.json|feed\.xml")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ReadLimits:
    """How long and how much reading one copy may take."""

    timeout: float = TIMEOUT  # seconds of silence before a server counts as gone
    file_seconds: float = 60.0  # for each file, plus its listed size at min_rate
    min_rate: float = 32 * 1024  # bytes per second a slow but honest link still manages
    run_seconds: float = 3600.0  # for the whole check
    total_bytes: int = 16 << 30  # read from one copy in all


class Budget:
    """One check's deadline and byte allowance, shared by every file read from one copy
    (by several threads at once). Once spent, every further read stops at once."""

    def __init__(self, limits: ReadLimits, deadline: float | None = None) -> None:
        self.limits = limits
        self.deadline = deadline if deadline is not None else \
            time.monotonic() + limits.run_seconds
        self.stop_reason: str | None = None
        self._left = limits.total_bytes
        self._lock = threading.Lock()

    def file_deadline(self, size: int | None) -> float:
        """When reading one file of `size` listed bytes must be done."""
        own = time.monotonic() + self.limits.file_seconds + (size or 0) / self.limits.min_rate
        return min(own, self.deadline)

    def take(self, nbytes: int, url: str, path: str) -> None:
        with self._lock:
            self._left -= nbytes
            if self._left < 0:
                self._stop(f"more than {human_bytes(self.limits.total_bytes)} read from this "
                           "copy, the most one check reads")
        self.check(None, url, path)

    def check(self, file_deadline: float | None, url: str, path: str) -> None:
        """Raise Stopped when the check is over, Unreachable when this file is overdue."""
        now = time.monotonic()
        with self._lock:
            if self.stop_reason is None and now > self.deadline:
                self._stop(f"the check ran past its deadline of {self.limits.run_seconds:g} s")
            reason = self.stop_reason
        if reason is not None:
            raise Stopped(f"not checked: {reason}", url=url, path=path)
        if file_deadline is not None and now > file_deadline:
            raise Unreachable("still not complete when its time was up: too slow to check "
                              "(a server sending a few bytes at a time?)", url=url, path=path)

    def _stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason

    def bounded(self, chunks: Iterable[bytes], file_deadline: float, cap: int | None,
                url: str, path: str) -> Iterator[bytes]:
        """`chunks` cut off after `cap` bytes, within the deadlines and the allowance."""
        left = cap
        for chunk in chunks:
            if left is not None:
                chunk = chunk[:left]
                left -= len(chunk)
            self.take(len(chunk), url, path)
            yield chunk
            if left == 0:
                return
            self.check(file_deadline, url, path)


@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int


class Copy(Protocol):
    root: str  # shown to people: the root URL or folder
    is_local: bool
    budget: Budget

    def url(self, path: str) -> str: ...
    def read(self, path: str, limit: int) -> bytes: ...
    def digest(self, path: str, size_hint: int | None = None) -> Digest: ...
    def listing(self) -> list[str] | None: ...
    def close(self) -> None: ...


def open_copy(url: str, *, limits: ReadLimits | None = None, deadline: float | None = None,
              concurrency: int = CONCURRENCY) -> Copy:
    """The copy at `url`; raises VerifyError for what cannot be a copy's address.
    `deadline` (time.monotonic()) ends the check sooner than `limits.run_seconds`."""
    budget = Budget(limits or ReadLimits(), deadline)
    text = url.strip()
    if "://" not in text:
        return FolderCopy(_folder_root(Path(os.path.expanduser(text))), budget)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise VerifyError(f"{url}: a file:// URL must name a folder on this computer")
        return FolderCopy(_folder_root(Path(url2pathname(unquote(parts.path)))), budget)
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise VerifyError(f"{url}: no host name in this URL")
        return HttpCopy(_http_root(parts.scheme, parts.netloc, parts.path), budget,
                        concurrency=concurrency)
    if scheme in ("ipfs", "ipns"):
        raise VerifyError(f"{url}: give the copy through a gateway, e.g. "
                          f"https://ipfs.io/{scheme}/{parts.netloc}/")
    raise VerifyError(f"{url}: unsupported kind of URL; give an http(s):// or file:// URL "
                      "or a folder")


def _http_root(scheme: str, netloc: str, path: str) -> str:
    folder, _, last = path.rpartition("/")
    if _ROOT_FILES.fullmatch(last):
        path = folder
    return urlunsplit((scheme, netloc, path.rstrip("/") + "/", "", ""))


def _folder_root(path: Path) -> Path:
    if path.is_file() and _ROOT_FILES.fullmatch(path.name):
        path = path.parent
    if not path.is_dir():
        raise VerifyError(f"{path}: no such folder (is the drive mounted?)")
    return path.resolve()


def _digest_chunks(chunks: Iterator[bytes]) -> Digest:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return Digest(digest.hexdigest(), size)


def _cap(size_hint: int | None) -> int | None:
    # One byte more than listed already shows the file differs; an endless body must not
    # be read to its end.
    return None if size_hint is None else size_hint + 1


# --- over http(s) -----------------------------------------------------------------------

def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or _DEFAULT_PORTS.get(url.scheme)


def _tls_context(root: str) -> ssl.SSLContext:
    """httpx's own default context (SSL_CERT_FILE, SSL_CERT_DIR, else certifi's roots),
    made once per process and setting: making one reads every root certificate, ~40 ms,
    and a publish opens each copy it reads back twice. A plain-http copy, reached without
    a TLS proxy, never needs it (redirects stay on its origin, scheme included): it gets
    a context that trusts no certificate at all, so a handshake it should never make fails
    closed."""
    if not _may_use_tls(root):
        return _no_tls()
    return _tls_context_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


def _may_use_tls(root: str) -> bool:
    if not root.startswith("http:"):
        return True
    proxies = ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
    return any(os.environ.get(name, "").lower().startswith("https:") for name in proxies)


@functools.cache
def _no_tls() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, against no roots


@functools.cache
def _tls_context_for(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=True)


class HttpCopy:
    is_local = False

    def __init__(self, root: str, budget: Budget, *, concurrency: int) -> None:
        self.root = root
        self.budget = budget
        self.concurrency = concurrency
        self.timeout = budget.limits.timeout
        self._origin = _origin(httpx.URL(root))
        self._http = httpx.Client(
            follow_redirects=False, trust_env=True, verify=_tls_context(root),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"User-Agent": f"mirrorpub/{__version__} (verify)",
                     "Accept-Encoding": "identity"})

    def url(self, path: str) -> str:
        return self.root + quote(path)

    def read(self, path: str, limit: int) -> bytes:
        data = b"".join(self._stream(path, limit))
        if len(data) > limit:
            raise Unreachable(f"larger than {limit} bytes; not a file of a copy",
                              url=self.url(path), path=path)
        return data

    def digest(self, path: str, size_hint: int | None = None) -> Digest:
        chunks = self._stream(path, size_hint)
        try:
            return _digest_chunks(chunks)
        finally:
            chunks.close()  # a body cut short is dropped now, not when collected

    def listing(self) -> list[str] | None:
        return None  # a web server does not list; S3 listing needs rights readers lack

    def close(self) -> None:
        self._http.close()

    def _stream(self, path: str, size_hint: int | None) -> Generator[bytes, None, None]:
        url = self.url(path)
        self.budget.check(None, url, path)
        deadline = self.budget.file_deadline(size_hint)
        try:
            response = self._get(url, path, deadline)
            try:
                _check_status(response.status_code, url, path)
                _check_encoding(response.headers.get("content-encoding", ""), url, path)
                yield from self.budget.bounded(response.iter_raw(), deadline, _cap(size_hint),
                                               url, path)
            finally:
                response.close()
        except httpx.TimeoutException:
            self.budget.check(deadline, url, path)  # the deadline, rather than silence?
            raise Unreachable(f"no answer within {self.timeout:g} s", url=url, path=path) \
                from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot connect ({_describe(exc)})", url=url, path=path) \
                from None

    def _get(self, url: str, path: str, deadline: float) -> httpx.Response:
        """The answer for `url`, following redirects within the copy's own origin only."""
        for _ in range(MAX_REDIRECTS + 1):
            request = self._http.build_request("GET", url, timeout=self._timeout(deadline))
            response = self._http.send(request, stream=True)
            target = response.next_request.url if response.next_request else None
            if target is None:
                return response
            response.close()
            if _origin(target) != self._origin:
                raise Unreachable(f"redirected to {target}, another host: not followed (a "
                                  "copy is read only from its own address; give that address "
                                  "instead if you trust it)", url=url, path=path)
            url = str(target)
            self.budget.check(deadline, url, path)
        raise Unreachable(f"more than {MAX_REDIRECTS} redirects", url=url, path=path)

    def _timeout(self, deadline: float) -> httpx.Timeout:
        # Silence may last `timeout`, but never past this file's deadline.
        left = max(0.01, deadline - time.monotonic())
        return httpx.Timeout(min(self.timeout, left), connect=min(self.timeout, 10.0, left))


def _check_status(status: int, url: str, path: str) -> None:
    if status == 200:
        return
    if status in (404, 410):
        raise NotFound(f"not found (HTTP {status})", url=url, path=path)
    if status in (401, 403):
        raise Refused(f"refused (HTTP {status})", url=url, path=path)
    raise Unreachable(f"HTTP {status}", url=url, path=path)


def _check_encoding(encoding: str, url: str, path: str) -> None:
    # Asked for plain bytes; a compressed answer could be a bomb that no size check sees.
    if encoding.strip().lower() not in ("", "identity"):
        raise Unreachable(f"answered compressed ({encoding[:20]}) although asked for plain "
                          "bytes", url=url, path=path)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- a folder (a USB stick, file://) -------------------------------------------------------

class FolderCopy:
    is_local = True

    def __init__(self, root: Path, budget: Budget) -> None:
        self.folder = root
        self.root = str(root)
        self.budget = budget

    def url(self, path: str) -> str:
        return str(self.folder / path)

    def read(self, path: str, limit: int) -> bytes:
        data = b"".join(self._chunks(path, limit))
        if len(data) > limit:
            raise Unreachable(f"larger than {limit} bytes; not a file of a copy",
                              url=self.url(path), path=path)
        return data

    def digest(self, path: str, size_hint: int | None = None) -> Digest:
        return _digest_chunks(self._chunks(path, size_hint))

    def _chunks(self, path: str, size_hint: int | None) -> Iterator[bytes]:
        where = self.url(path)
        self.budget.check(None, where, path)
        deadline = self.budget.file_deadline(size_hint)
        with self._open(path) as handle:
            pieces = iter(lambda: self._reading(path, lambda: handle.read(CHUNK)), b"")
            yield from self.budget.bounded(pieces, deadline, _cap(size_hint), where, path)

    def _reading(self, path: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except OSError as exc:  # a failing USB stick: EIO halfway through a file
            raise Unreachable(f"cannot read: {exc.strerror or exc}", url=self.url(path),
                              path=path) from None

    def listing(self) -> list[str] | None:
        """Every entry that is not a folder (files, symlinks, FIFOs…), walked without
        recursion and without following symlinks; raises FetchError."""
        found: list[str] = []
        folders = [""]
        while folders:
            folder = folders.pop()
            self.budget.check(None, self.url(folder), folder)
            for name, is_folder in self._reading(folder, lambda f=folder: _entries(
                    self.folder / f if f else self.folder)):
                rel = f"{folder}/{name}" if folder else name
                (folders if is_folder else found).append(rel)
        return sorted(found)

    def close(self) -> None:
        pass

    def _open(self, path: str) -> BinaryIO:
        where = self.url(path)
        if not is_site_path(path):
            raise Refused("leads outside the copy's folder", url=where, path=path)
        try:
            return open(_open_regular(self.folder, path), "rb")
        except _NotRegular:
            raise Refused("not a plain file inside the copy (a symbolic link, a FIFO, a "
                          "device or a folder); a copy holds only plain files",
                          url=where, path=path) from None
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound("no such file", url=where, path=path) from None
        except PermissionError:
            raise Refused("permission denied", url=where, path=path) from None
        except OSError as exc:
            raise Unreachable(f"cannot read: {exc.strerror}", url=where, path=path) from None


class _NotRegular(Exception):
    pass


def _entries(folder: Path) -> list[tuple[str, bool]]:
    with os.scandir(folder) as entries:
        return [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]


def _open_regular(root: Path, path: str) -> int:
    """A descriptor of the regular file `path` under `root`, opened one folder at a time
    with no symlink followed (so no link, however placed, leads out), and without blocking
    (a FIFO would wait for a writer forever). Raises _NotRegular or OSError."""
    *folders, name = path.split("/")
    at = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for folder in folders:
            # Not O_DIRECTORY: with it, Linux calls a symlink "not a directory", not ELOOP.
            inner = os.open(folder, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=at)
            os.close(at)
            at = inner
            if not stat.S_ISDIR(os.fstat(at).st_mode):
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), folder)
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=at)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symlink on the way, or the name itself
            raise _NotRegular from None
        raise
    finally:
        os.close(at)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _NotRegular
    return fd


# --- many files at once ---------------------------------------------------------------------

def digest_all(copy: Copy, sizes: Mapping[str, int | None],
               workers: int = CONCURRENCY) -> dict[str, Digest | FetchError]:
    """Every file's digest, or why it could not be read; never raises for one file."""

    def one(path: str) -> tuple[str, Digest | FetchError]:
        try:
            return path, copy.digest(path, sizes[path])
        except FetchError as exc:
            return path, exc

    if not sizes:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sizes)))) as pool:
        return dict(pool.map(one, sorted(sizes)))
