"""The object store of an azure mirror: one container (and prefix), through
azure-storage-blob. Every blob carries metadata `mirrorpub_sha256` (Azure metadata
names are C identifiers): the hash the planner compares, and the mark that mirrorpub
put it there (only such blobs are ever deleted). Content-Type, Cache-Control and the
build's MD5 are the blob's properties, so a reader's GET gets them as for S3.

The SDK retries throttling, 5xx and dropped connections with exponential backoff;
timeouts bound every call. Its request log is kept quiet (cli/logs.py): the secret is
never in a URL here (shared key signing, no SAS), and errors reach us as exceptions.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from mirrorpub.errors import MirrorError
from mirrorpub.mirrors.azure.config import AzureConfig
from mirrorpub.mirrors.objectstore import Put, put_concurrently
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.protocol import PREFLIGHT_TIMEOUT
from mirrorpub.mirrors.remoteindex import INDEX_NAME, INDEX_NAMES
from mirrorpub.site.mediatypes import cache_control

SHA_KEY = "mirrorpub_sha256"
CONCURRENCY = 8
BIG = 16 * 1024 * 1024  # above this, blocks go up in parallel from the file


class AzureStore:
    def __init__(self, config: AzureConfig) -> None:
        self.config = config
        self.name = config.name
        self._container: Any = None
        self._count = 0
        self._lock = threading.Lock()
        self._ours: set[str] = set()  # paths a listing showed with our mark

    def _on_request(self, request: Any) -> None:
        with self._lock:
            self._count += 1  # every HTTP attempt, retries included

    def requests(self) -> int:
        return self._count

    def begin_writes(self, *, as_left: bool = False) -> None:
        pass

    def close(self) -> None:
        if self._container is not None:
            self._container.close()

    # azure-storage-blob is imported here, not at module import: loading a config stays cheap.
    def container(self) -> Any:
        if self._container is None:
            self._container = _make_container(self.config, self._on_request)
        return self._container

    def blob(self, path: str) -> str:
        return self.config.prefix + path

    def read_index(self, name: str = INDEX_NAME) -> bytes | None:
        return self._call("read the index", self._download, self.blob(name))

    def _download(self, name: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self.container().download_blob(name).readall()
        except ResourceNotFoundError:
            return None

    def recorded_sha256(self, path: str) -> str | None:
        return self._call(f"check {path}", self._recorded, self.blob(path))

    def _recorded(self, name: str) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            properties = self.container().get_blob_client(name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        return (properties.metadata or {}).get(SHA_KEY)

    def is_ours(self, path: str) -> bool:
        return path in self._ours or self.recorded_sha256(path) is not None

    def listing(self) -> Iterator[tuple[str, RemoteEntry]]:
        pages = self.container().list_blobs(name_starts_with=self.config.prefix or None,
                                            include=["metadata"])
        iterator = iter(pages)
        while True:
            try:
                item = self._call("list the container", next, iterator)
            except StopIteration:
                return
            path = item.name[len(self.config.prefix):]
            if path in INDEX_NAMES or not path:
                continue
            sha = (item.metadata or {}).get(SHA_KEY)
            if sha:
                self._ours.add(path)
            md5 = item.content_settings.content_md5 if item.content_settings else None
            yield path, RemoteEntry(size=item.size, sha256=sha,
                                    md5=bytes(md5).hex() if md5 else None)

    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        put_concurrently(self.put, items, CONCURRENCY, sent)

    def put(self, item: Put) -> None:
        from azure.storage.blob import ContentSettings

        entry = item.entry
        settings = ContentSettings(content_type=entry.content_type,
                                   cache_control=cache_control(item.path),
                                   content_md5=bytearray.fromhex(entry.md5))
        metadata = {SHA_KEY: entry.sha256}
        if item.data is not None:
            self._call(f"upload {item.path}", self._upload, item.path, item.data, settings,
                       metadata)
            return
        assert item.source is not None
        try:
            handle = item.source.open("rb")
        except OSError as exc:
            raise MirrorError(self.name, f"cannot read {item.source.name}: {exc.strerror}") \
                from None
        with handle:
            self._call(f"upload {item.path}", self._upload, item.path, handle, settings,
                       metadata, length=os.fstat(handle.fileno()).st_size)

    def _upload(self, path: str, data: Any, settings: Any, metadata: dict[str, str],
                length: int | None = None) -> None:
        self.container().upload_blob(
            self.blob(path), data, length=length, overwrite=True, content_settings=settings,
            metadata=metadata, max_concurrency=4 if (length or 0) > BIG else 1)

    def delete(self, paths: list[str]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        def one(path: str) -> None:
            try:
                self._call(f"delete {path}", self.container().delete_blob, self.blob(path))
            except MirrorError as exc:
                if not isinstance(exc.__cause__, ResourceNotFoundError):
                    raise  # already gone (a killed publish deleted it) is the goal

        put_concurrently(lambda item: one(item.path), [_Named(p) for p in paths], CONCURRENCY,
                         lambda item: None)

    def write_index(self, data: bytes, name: str = INDEX_NAME) -> None:
        from azure.storage.blob import ContentSettings

        settings = ContentSettings(content_type="application/gzip", cache_control="no-cache")
        # Its sha256 as any blob's: one HEAD tells a publish the index is as it left it.
        self._call("write the index", self.container().upload_blob, self.blob(name),
                   data, overwrite=True, content_settings=settings,
                   metadata={SHA_KEY: hashlib.sha256(data).hexdigest()})

    def _call(self, action: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        try:
            return function(*args, **kwargs)
        except StopIteration:
            raise
        except MirrorError:
            raise
        except ResourceNotFoundError as exc:
            error = MirrorError(self.name, f"cannot {action}: {explain(self.config, exc)}")
            raise error from exc
        except (AzureError, ValueError, OSError) as exc:
            raise MirrorError(self.name, f"cannot {action}: {explain(self.config, exc)}") \
                from None


_REFUSED = {"AuthenticationFailed", "AuthorizationFailure", "InvalidAuthenticationInfo"}


class _Named:
    """A path in the shape put_concurrently hands on."""

    def __init__(self, path: str) -> None:
        self.path = path


def explain(config: AzureConfig, exc: Exception) -> str:
    """One line an editor can act on; never the secret."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    where = config.service_url()
    code = getattr(exc, "error_code", None) or ""
    code = str(getattr(code, "value", code))  # the SDK gives a StorageErrorCode or a str
    if isinstance(exc, ClientAuthenticationError) or code in _REFUSED or \
            getattr(exc, "status_code", None) == 403:
        return (f"{where} refused the credentials: is the key in "
                f"{config.connection_string_env or config.account_key_env} right?")
    if isinstance(exc, HttpResponseError):
        if code == "ContainerNotFound":
            return f"no container {config.container!r} in account {config.account!r}"
        return f"{where} answered HTTP {exc.status_code} {code}".rstrip()
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return f"cannot reach {where} ({type(exc).__name__})"
    if isinstance(exc, ValueError):
        return "the connection string or account key is malformed"
    return f"{type(exc).__name__}"


def preflight(config: AzureConfig) -> list[str]:
    """Credentials there, the container answering within a few seconds (no retries)."""
    from azure.core.exceptions import AzureError

    try:
        container = _make_container(config, lambda request: None, quick=True)
    except MirrorError as exc:
        return [exc.message]
    try:
        container.get_container_properties()
    except (AzureError, ValueError, OSError) as exc:
        return [f"cannot read the container: {explain(config, exc)}"]
    finally:
        container.close()
    return []


def _make_container(config: AzureConfig, on_request: Callable[[Any], None], *,
                    quick: bool = False) -> Any:
    from azure.storage.blob import BlobServiceClient

    options = {"connection_timeout": min(config.timeout, 10), "read_timeout": config.timeout,
               "retry_total": 4, "raw_request_hook": on_request,
               "max_single_put_size": BIG, "max_block_size": 4 * 1024 * 1024}
    if quick:
        options.update(connection_timeout=PREFLIGHT_TIMEOUT, read_timeout=PREFLIGHT_TIMEOUT,
                       retry_total=0)
    url, credential = config.service_url(), None
    if config.connection_string_env:
        parts = _connection_string(config, _secret(config, config.connection_string_env))
        # endpoint_url wins over the string's BlobEndpoint, as it does for the account key.
        url = config.endpoint_url or parts.get("blobendpoint") or url
        credential = parts.get("sharedaccesssignature") or {
            "account_name": parts.get("accountname", config.account),
            "account_key": parts.get("accountkey", "")}
    else:
        credential = {"account_name": config.account,
                      "account_key": _secret(config, config.account_key_env or "")}
    try:
        service = BlobServiceClient(url, credential=credential, **options)
    except ValueError:
        raise MirrorError(config.name, "the connection string or account key is malformed") \
            from None
    return service.get_container_client(config.container)


def _connection_string(config: AzureConfig, text: str) -> dict[str, str]:
    """Azure's `Key=value;…` connection string, keys in lower case."""
    parts = {}
    for item in filter(None, (piece.strip() for piece in text.split(";"))):
        key, sep, value = item.partition("=")
        if not sep:
            raise MirrorError(config.name, f"{config.connection_string_env}: not a connection "
                              "string (Key=value;…)")
        parts[key.strip().lower()] = value.strip()
    if "accountkey" not in parts and "sharedaccesssignature" not in parts:
        raise MirrorError(config.name, f"{config.connection_string_env}: the connection string "
                          "has no AccountKey or SharedAccessSignature")
    return parts


def _secret(config: AzureConfig, variable: str) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        raise MirrorError(config.name, f"the variable {variable} is not set")
    return value
