"""Read a published copy as a reader would: over http(s), from a file:// URL or a folder.

    open_copy(url) -> Copy            the copy's root, whatever the reader pasted
    Copy.read(path, limit)            the bytes of one small file (the manifest, its .sig)
    Copy.digest(path, size)           sha256 and size of one file, streamed
    digest_all(copy, sizes)           every file at once, with bounded concurrency
    Copy.listing()                    every file (folders only; None over http)

A copy root may be given as `http://HOST/BUCKET/`, `http://GW/ipfs/CID/`, any of those
ending in a root file (`…/index.html`, `…/mirrors.json`: stripped), `file:///…/` or a
plain folder path. Requests are anonymous (no credentials of any kind) and bounded by
timeouts; proxies from the environment are honoured, since readers may need them.

Errors are VerifyError, or FetchError (NotFound, Refused, Unreachable) for one file,
from mirrorpub.errors, so the CLI prints one line.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

import httpx

from mirrorpub import __version__
from mirrorpub.errors import FetchError, NotFound, Refused, Unreachable, VerifyError

T = TypeVar("T")
TIMEOUT = 20.0
CONCURRENCY = 8
CHUNK = 256 * 1024
# Names a reader may paste instead of the copy's root; the root is their folder.
_ROOT_FILES = re.compile(r"index\.html|page-\d+\.html|mirrors\.(json|json\.sig|html)|"
                         r"bc2\.json|feed\.xml")




@dataclass(frozen=True)
class Digest:
    sha256: str
    size: int


class Copy(Protocol):
    root: str  # shown to people: the root URL or folder
    is_local: bool

    def url(self, path: str) -> str: ...
    def read(self, path: str, limit: int) -> bytes: ...
    def digest(self, path: str, size_hint: int | None = None) -> Digest: ...
    def listing(self) -> list[str] | None: ...
    def close(self) -> None: ...


def open_copy(url: str, *, timeout: float = TIMEOUT, concurrency: int = CONCURRENCY) -> Copy:
    """The copy at `url`; raises VerifyError for what cannot be a copy's address."""
    text = url.strip()
    if "://" not in text:
        return FolderCopy(_folder_root(Path(os.path.expanduser(text))))
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise VerifyError(f"{url}: a file:// URL must name a folder on this computer")
        return FolderCopy(_folder_root(Path(url2pathname(unquote(parts.path)))))
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise VerifyError(f"{url}: no host name in this URL")
        return HttpCopy(_http_root(parts.scheme, parts.netloc, parts.path),
                        timeout=timeout, concurrency=concurrency)
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


def safe_path(path: str) -> bool:
    """A manifest path that stays inside the copy: no '..', no absolute or empty parts."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(
        p not in ("", ".", "..") for p in parts) and posixpath.normpath(path) == path


# --- over http(s) -----------------------------------------------------------------------

class HttpCopy:
    is_local = False

    def __init__(self, root: str, *, timeout: float, concurrency: int) -> None:
        self.root = root
        self.concurrency = concurrency
        self.timeout = timeout
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True, trust_env=True,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"User-Agent": f"mirrorpub/{__version__} (verify)"})

    def url(self, path: str) -> str:
        return self.root + quote(path)

    def read(self, path: str, limit: int) -> bytes:
        chunks, total = [], 0
        for chunk in self._stream(path):
            total += len(chunk)
            if total > limit:
                raise Unreachable(f"larger than {limit} bytes; not a file of a copy",
                                  url=self.url(path), path=path)
            chunks.append(chunk)
        return b"".join(chunks)

    def digest(self, path: str, size_hint: int | None = None) -> Digest:
        chunks = self._stream(path)
        try:
            return _digest_chunks(chunks, size_hint)
        finally:
            chunks.close()  # a body cut short is dropped now, not when collected

    def listing(self) -> list[str] | None:
        return None  # a web server does not list; S3 listing needs rights readers lack

    def close(self) -> None:
        self._http.close()

    def _stream(self, path: str) -> Generator[bytes, None, None]:
        url = self.url(path)
        try:
            with self._http.stream("GET", url) as response:
                _check_status(response.status_code, url, path)
                yield from response.iter_bytes(CHUNK)
        except httpx.TimeoutException:
            raise Unreachable(f"no answer within {self.timeout:g} s", url=url, path=path) \
                from None
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot connect ({_describe(exc)})", url=url, path=path) \
                from None


def _check_status(status: int, url: str, path: str) -> None:
    if status == 200:
        return
    if status in (404, 410):
        raise NotFound(f"not found (HTTP {status})", url=url, path=path)
    if status in (401, 403):
        raise Refused(f"refused (HTTP {status})", url=url, path=path)
    raise Unreachable(f"HTTP {status}", url=url, path=path)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _digest_chunks(chunks: Iterator[bytes], size_hint: int | None) -> Digest:
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        if size_hint is not None and size > size_hint:
            # Stop reading: the size already differs, and an endless body must not hang us.
            break
    return Digest(digest.hexdigest(), size)


# --- a folder (a USB stick, file://) -------------------------------------------------------

class FolderCopy:
    is_local = True

    def __init__(self, root: Path) -> None:
        self.folder = root
        self.root = str(root)

    def url(self, path: str) -> str:
        return str(self.folder / path)

    def read(self, path: str, limit: int) -> bytes:
        with self._open(path) as handle:
            data = self._reading(path, lambda: handle.read(limit + 1))
        if len(data) > limit:
            raise Unreachable(f"larger than {limit} bytes; not a file of a copy",
                              url=self.url(path), path=path)
        return data

    def digest(self, path: str, size_hint: int | None = None) -> Digest:
        with self._open(path) as handle:
            return self._reading(path, lambda: _digest_chunks(
                iter(lambda: handle.read(CHUNK), b""), size_hint))

    def _reading(self, path: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except OSError as exc:  # a failing USB stick: EIO halfway through a file
            raise Unreachable(f"cannot read: {exc.strerror or exc}", url=self.url(path),
                              path=path) from None

    def listing(self) -> list[str] | None:
        found = self._reading("", lambda: [
            file.relative_to(self.folder).as_posix() for file in self.folder.rglob("*")
            if file.is_file() or file.is_symlink()])
        return sorted(found)

    def close(self) -> None:
        pass

    def _open(self, path: str) -> BinaryIO:
        target = self.folder / path
        where = self.url(path)
        if not safe_path(path) or not target.resolve().is_relative_to(self.folder):
            raise Refused("leads outside the copy's folder", url=where, path=path)
        try:
            return target.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound("no such file", url=where, path=path) from None
        except PermissionError:
            raise Refused("permission denied", url=where, path=path) from None
        except OSError as exc:
            raise Unreachable(f"cannot read: {exc.strerror}", url=where, path=path) from None


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
