"""A small client for the Kubo (go-ipfs) RPC API, spoken over httpx.

Kubo's RPC API lives under ``/api/v0/<command>`` on the daemon's API port (5001 by default,
not the gateway port). Every call is an HTTP POST, even the read-only ones: kubo refuses GET
(405) so that a web page cannot drive the API through a browser. Arguments go in the query
string (``arg=`` may repeat); ``add`` takes the files as a multipart body. Answers are JSON,
or newline-delimited JSON for the streaming commands; a failed command answers 4xx/5xx with
``{"Message": ..., "Code": ..., "Type": "error"}``.

Why not ipfshttpclient: it has been unmaintained since 2021, and its ``connect()`` checks
the daemon's version against a hard-coded range that ends before 0.8, so it refuses every
current kubo. The few commands mirrorpub needs fit in this module.

Every failure is raised as KuboError, whose message is one line a user can act on.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, BinaryIO
from urllib.parse import quote_plus, urlsplit

from mirrorpub.webclient import httpx

log = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024  # read files in pieces: a site must never be held in memory whole
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

FileOpener = Callable[[], BinaryIO]


class KuboError(Exception):
    """Talking to the IPFS daemon failed. str() is one line meant for the user."""


class KuboClient:
    """Calls one kubo daemon's RPC API.

    ``api`` is the API address as an URL (``http://127.0.0.1:5001``) or as the multiaddr
    kubo prints and writes to ``$IPFS_PATH/api`` (``/ip4/127.0.0.1/tcp/5001``).
    ``authorization`` is sent as the Authorization header, for a daemon whose
    ``API.Authorizations`` is set (e.g. ``"Bearer <secret>"``).
    """

    def __init__(
        self, api: str, timeout: float = 60.0, *, authorization: str | None = None
    ) -> None:
        self.api = api
        self.timeout = timeout
        base = _api_url(api)
        headers = {"Authorization": authorization} if authorization else {}
        self._http = httpx.Client(
            base_url=base + "/api/v0",
            timeout=timeout,
            headers=headers,
            # A proxy from the environment must not swallow calls to a daemon on this machine.
            trust_env=urlsplit(base).hostname not in _LOOPBACK_HOSTS,
            # Over plain http no certificate is ever checked: loading the CA bundle anyway
            # took 0.1 s a client (two a publish).
            verify=urlsplit(base).scheme == "https",
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KuboClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- daemon ---------------------------------------------------------------------------

    def version(self) -> str:
        """The daemon's kubo version, e.g. "0.43.1"."""
        return str(self._call("version")["Version"])

    def node_id(self) -> tuple[str, list[str]]:
        """The node's peer id and the addresses it listens on (/…/p2p/ID multiaddrs)."""
        answer = self._call("id")
        return str(answer["ID"]), [str(a) for a in answer.get("Addresses") or []]

    # -- adding ---------------------------------------------------------------------------

    def add_tree(
        self,
        files: Iterable[tuple[str, FileOpener]],
        *,
        root_name: str = "site",
        on_file: Callable[[str, int], None] | None = None,
    ) -> str:
        """Add a directory tree and return its root CID (CIDv1, raw leaves, not pinned).

        ``files`` yields (relative POSIX path, opener) pairs in any order; each opener is
        called once, when that file's turn comes, and the stream it returns is closed after.
        ``on_file(path, nbytes)`` is called as each file's bytes have been sent. An OSError
        from an opener or a read is raised unchanged: it is about the local file, not kubo.
        """
        if not root_name or "/" in root_name:
            raise ValueError(f"root_name must be one path component, not {root_name!r}")
        entries = _sorted_entries(files)
        boundary = secrets.token_hex(24)
        params = {
            "cid-version": "1",
            "raw-leaves": "true",
            "pin": "false",
            "wrap-with-directory": "false",
            # No line per file. Kubo answers while it still reads the body, and httpx reads
            # nothing until it has sent everything: with some 10^5 files the answer fills the
            # socket buffers and both sides wait forever. ("quieter" only filters in kubo's
            # CLI.) Silent still reports the folders, root included, once the body is read.
            "silent": "true",
            "stream-channels": "true",
        }
        body = _multipart_tree(entries, root_name, boundary, on_file)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        root: str | None = None
        with self._errors("add"):
            request = self._http.build_request(
                "POST", "/add", params=params, content=body, headers=headers
            )
            response = self._http.send(request, stream=True)
            try:
                _raise_for_status(response, self.api, "add")
                for line in response.iter_lines():
                    root = _root_hash(line, root_name) or root
            finally:
                response.close()
        if root is None:
            raise KuboError(
                f"the IPFS daemon at {self.api} did not report the root CID of the added "
                "files (the add failed part way; see the daemon's log)"
            )
        log.debug("added %d files as %s", len(entries), root)
        return root

    # -- pins -----------------------------------------------------------------------------

    def pin_add(self, cid: str) -> None:
        self._call("pin/add", arg=cid, recursive="true")

    def pin_update(self, old: str, new: str) -> None:
        """Pin `new` recursively, walking only what differs from `old`, which must be pinned
        recursively and stays so (`pin update --unpin=false`): after one edit of a
        100,000-file site, a fraction of what pin_add's walk of the whole tree costs."""
        self._call("pin/update", arg=[old, new], unpin="false")

    def pin_rm(self, cid: str) -> None:
        """Unpin; a CID that is not pinned counts as done, so retries are harmless."""
        try:
            self._call("pin/rm", arg=cid, recursive="true")
        except KuboError as exc:
            if "not pinned" not in str(exc):
                raise

    def pins(self) -> set[str]:
        """The recursively pinned CIDs."""
        return set(self._call("pin/ls", type="recursive").get("Keys") or {})

    # -- keys and IPNS --------------------------------------------------------------------

    def key_list(self) -> dict[str, str]:
        """Key name -> IPNS name (k51… base36 form)."""
        keys = self._call("key/list", **{"ipns-base": "base36"}).get("Keys") or []
        return {k["Name"]: k["Id"] for k in keys}

    def key_gen(self, name: str) -> str:
        """Make an ed25519 key in the daemon's keystore; returns its IPNS name (k51…)."""
        answer = self._call("key/gen", arg=name, type="ed25519", **{"ipns-base": "base36"})
        return str(answer["Id"])

    def name_publish(
        self, cid: str, key: str, *, lifetime: str = "48h", timeout: float = 120.0
    ) -> str:
        """Point the IPNS name of ``key`` at ``cid``; returns the IPNS name (k51…).

        allow-offline: the record is stored locally even when the node has no peers yet,
        instead of failing; the daemon republishes it once it is online.
        """
        answer = self._call(
            "name/publish",
            timeout=timeout,
            arg=_ipfs_path(cid),
            key=key,
            lifetime=lifetime,
            **{"allow-offline": "true", "ipns-base": "base36"},
        )
        return str(answer["Name"])


    # -- MFS (the daemon's mutable file system) -------------------------------------------

    def files_cp(self, source_path: str, dest: str, *, replace: bool = False,
                 flush: bool = True) -> None:
        """Copy e.g. "/ipfs/CID" to an MFS path; the MFS entry keeps the blocks from GC.
        `replace`: make missing parent folders, and overwrite what is at `dest`.
        `flush=False`: the folders above are written only by a later files_flush."""
        flags = {"parents": "true", "force": "true"} if replace else {}
        if not flush:
            flags["flush"] = "false"
        self._call("files/cp", arg=[source_path, dest], **flags)

    def files_flush(self, path: str) -> None:
        """Write what files_cp(flush=False) changed beneath an MFS path."""
        self._call("files/flush", arg=path)

    def files_stat(self, path: str) -> str | None:
        """The CID at an MFS path, or None when nothing is there."""
        try:
            return str(self._call("files/stat", arg=path)["Hash"])
        except KuboError as exc:
            if "does not exist" in str(exc) or "file does not exist" in str(exc):
                return None
            raise

    def add_file(self, opener: FileOpener) -> str:
        """Add one file's bytes (CIDv1, raw leaves, the same layout as a tree's add, not
        pinned) and return its CID."""
        boundary = secrets.token_hex(24)
        params = {"cid-version": "1", "raw-leaves": "true", "pin": "false", "quiet": "true"}

        def body() -> Iterator[bytes]:
            yield from _part_head(boundary, "file", "application/octet-stream")
            with opener() as stream:
                while chunk := stream.read(CHUNK_SIZE):
                    yield chunk
            yield f"\r\n--{boundary}--\r\n".encode()

        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        with self._errors("add"):
            response = self._http.post("/add", params=params, content=body(), headers=headers)
            _raise_for_status(response, self.api, "add")
            lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        if not lines or "Hash" not in lines[-1]:
            raise KuboError(f"the IPFS daemon at {self.api} did not report the CID of an "
                            "added file")
        return str(lines[-1]["Hash"])

    def dag_export(self, cid: str, sink: Callable[[bytes], object]) -> None:
        """Write the CAR (v1) of the DAG under `cid` to `sink`, piece by piece."""
        with self._errors("dag/export"), self._http.stream(
                "POST", "/dag/export", params={"arg": cid}) as response:
            _raise_for_status(response, self.api, "dag/export")
            for chunk in response.iter_bytes(CHUNK_SIZE):
                sink(chunk)

    def files_rm(self, path: str, recursive: bool = True, force: bool = True) -> None:
        self._call("files/rm", arg=path, recursive=_flag(recursive), force=_flag(force))

    def files_mkdir(self, path: str, parents: bool = True) -> None:
        # CIDv1 folders, as `add --cid-version=1` makes them (MFS would make CIDv0 ones).
        self._call("files/mkdir", arg=path, parents=_flag(parents), **{"cid-version": "1"})


    # -- plumbing -------------------------------------------------------------------------

    def _call(self, command: str, *, timeout: float | None = None, **params: Any) -> Any:
        """POST one command with its query parameters and decode the JSON answer."""
        limit = self.timeout if timeout is None else timeout
        log.debug("kubo %s %s", command, params)
        with self._errors(command, limit):
            response = self._http.post("/" + command, params=params, timeout=limit)
            _raise_for_status(response, self.api, command)
            return response.json() if response.content.strip() else {}

    def _errors(self, command: str, timeout: float | None = None) -> AbstractContextManager[None]:
        return _translated(self.api, command, self.timeout if timeout is None else timeout)


@contextmanager
def _translated(api: str, command: str, timeout: float) -> Iterator[None]:
    """Turn httpx's exceptions into KuboError with a sentence a user can act on."""
    try:
        yield
    except (httpx.HTTPError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KuboError(_describe(exc, api, command, timeout)) from exc


def _describe(exc: BaseException, api: str, command: str, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"the IPFS daemon at {api} did not answer within {timeout:g} s ({command})"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return f"the IPFS API address {api!r} is not an http:// or https:// URL"
    if isinstance(exc, httpx.ConnectError):
        if _caused_by(exc, socket.gaierror):
            return f"cannot find the host of the IPFS API address {api} (check the address)"
        if _caused_by(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
            return f"no IPFS daemon answers at {api} (is `ipfs daemon` running?)"
        return f"cannot connect to the IPFS daemon at {api}: {_reason(exc)}"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return (
            f"the IPFS daemon at {api} dropped the connection during {command} "
            "(did it stop or crash?)"
        )
    if isinstance(exc, ValueError):  # undecodable JSON: something else answers there
        return f"the answer from {api} to {command} is not kubo's JSON (is that the API port?)"
    return f"talking to the IPFS daemon at {api} failed during {command}: {_reason(exc)}"


def _raise_for_status(response: httpx.Response, api: str, command: str) -> None:
    if response.status_code < 400:
        return
    response.read()  # a streamed answer (add) has not been read yet
    message = _error_message(response)
    status = response.status_code
    if status in {401, 403}:
        # Kubo answers 403 for a missing/wrong API.Authorizations token and for a request
        # whose Origin the API does not allow. Its own text names the first case only.
        hint = "" if "Authorizations" in message else " (check API.Authorizations and origins)"
        raise KuboError(
            f"the IPFS API at {api} refused the request ({status}): {message or 'Forbidden'}{hint}"
        )
    if status == 404:
        raise KuboError(
            f"{api} does not know the command {command} (is that kubo's API port, not its gateway?)"
        )
    raise KuboError(f"IPFS {command} failed: {message or f'HTTP {status}'}")


def _error_message(response: httpx.Response) -> str:
    """Kubo's JSON "Message" when there is one, else the first line of the body."""
    try:
        message = response.json().get("Message", "")
    except (ValueError, AttributeError):
        message = response.text
    lines = str(message).strip().splitlines()
    return lines[0] if lines else ""


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """httpx wraps httpcore which wraps the OSError: walk the chain to find the real one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _api_url(api: str) -> str:
    """Accept an URL or kubo's multiaddr form (/ip4/127.0.0.1/tcp/5001) for the API."""
    api = api.strip().rstrip("/")
    if not api.startswith("/"):
        return api
    parts = api.strip("/").split("/")
    if len(parts) >= 4 and parts[0] in {"ip4", "ip6", "dns", "dns4", "dns6"} and parts[2] == "tcp":
        host = f"[{parts[1]}]" if parts[0] == "ip6" else parts[1]
        scheme = "https" if parts[4:5] == ["https"] else "http"
        return f"{scheme}://{host}:{parts[3]}"
    raise KuboError(f"cannot use {api} as the IPFS API address (give http://host:port)")


def _ipfs_path(cid: str) -> str:
    return cid if cid.startswith("/") else "/ipfs/" + cid


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _root_hash(line: str, root_name: str) -> str | None:
    """The Hash of the root entry in one line of add's output, or None for other lines."""
    if not line.strip():
        return None
    entry = json.loads(line)
    if entry.get("Type") == "error":
        raise KuboError(f"IPFS add failed: {entry.get('Message', 'unknown error')}")
    return entry.get("Hash") if entry.get("Name") == root_name else None


def _sorted_entries(files: Iterable[tuple[str, FileOpener]]) -> list[tuple[str, FileOpener]]:
    """Check the paths and order them so that every folder's entries are contiguous.

    Kubo reads the multipart body as a depth-first walk: once a part lies outside the current
    folder, that folder is finished. Sorting by path components keeps each folder together.
    """
    entries: dict[str, FileOpener] = {}
    for path, opener in files:
        parts = path.split("/")
        if path.startswith("/") or any(p in {"", ".", ".."} for p in parts):
            raise ValueError(f"not a relative POSIX path inside the tree: {path!r}")
        if path in entries:
            raise ValueError(f"the path {path!r} appears twice")
        entries[path] = opener
    folders = {"/".join(p.split("/")[:i]) for p in entries for i in range(1, p.count("/") + 1)}
    clash = folders & entries.keys()
    if clash:
        raise ValueError(f"{sorted(clash)[0]!r} is both a file and a folder")
    return sorted(entries.items(), key=lambda item: item[0].split("/"))


def _multipart_tree(
    entries: list[tuple[str, FileOpener]],
    root_name: str,
    boundary: str,
    on_file: Callable[[str, int], None] | None,
) -> Iterator[bytes]:
    """Yield the multipart/form-data body of ``ipfs add -r``, one file chunk at a time.

    Same shape as boxo's MultiFileReader: one part per folder (application/x-directory,
    empty) before the folder's contents, one part per file (application/octet-stream);
    each part's filename is the whole path from the root, URL-quoted (Go's QueryEscape,
    so "/" is %2F). No mode/mtime parameters are sent, so the CID depends on bytes only.
    """
    yield from _part_head(boundary, root_name, "application/x-directory")
    sent_folders: set[str] = set()
    for path, opener in entries:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in sent_folders:
                sent_folders.add(folder)
                yield from _part_head(boundary, f"{root_name}/{folder}", "application/x-directory")
        yield from _part_head(boundary, f"{root_name}/{path}", "application/octet-stream")
        nbytes = 0
        with opener() as stream:
            while chunk := stream.read(CHUNK_SIZE):
                nbytes += len(chunk)
                yield chunk
        if on_file is not None:
            on_file(path, nbytes)
    yield f"\r\n--{boundary}--\r\n".encode()


def _part_head(boundary: str, filename: str, content_type: str) -> Iterator[bytes]:
    # The CRLF before each delimiter ends the previous part's body (RFC 2046); before the
    # first delimiter it is a harmless empty preamble.
    yield (
        f"\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{quote_plus(filename, safe="")}"'
        f"\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode()
