"""The object store of an S3 mirror: a bucket (and prefix), through two clients.

Path-style addressing throughout, so the public URL is `https://ENDPOINT/BUCKET/PREFIX…`
on every provider. What a publish does once per file (GET the index, HEAD an object, PUT
one, a batch delete) goes through `wire`, a lean SigV4 client, because botocore's
per-request CPU made big uploads CPU-bound (and importing it cost a small publish 0.4 s);
listing and multipart uploads go through boto3.
Both retry throttling (SlowDown), 5xx and dropped connections with backoff, as botocore's
"standard" mode does; timeouts bound every call. Every object carries
`x-amz-meta-mirrorpub-sha256`: the content hash the planner compares, and the mark that
mirrorpub put it there (only such objects are ever deleted).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

from mirrorpub import redact
from mirrorpub.errors import MirrorError
from mirrorpub.mirrors import readahead
from mirrorpub.mirrors.objectstore import Put, put_concurrently
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.remoteindex import (
    INDEX_NAME,
    INDEX_NAMES,
    JOURNAL_NAME,
    MAX_INDEX_GZIP_BYTES,
)
from mirrorpub.mirrors.s3 import wire
from mirrorpub.mirrors.s3.config import S3Config, journal_key
from mirrorpub.mirrors.s3.credentials import credential_source, named_credentials
from mirrorpub.mirrors.s3.explain import explain
from mirrorpub.site.mediatypes import cache_control

SHA_KEY = "mirrorpub-sha256"
SHA_HEADER = f"x-amz-meta-{SHA_KEY}"
GOOG_SHA_HEADER = f"x-goog-meta-{SHA_KEY}"
MULTIPART_THRESHOLD = 16 * 1024 * 1024
# Requests in flight per mirror. One process is enough: a request costs ~0.35 ms of CPU
# here, so the server's latency, not this process, is what bounds the rate.
CONCURRENCY = 8


class S3Store:
    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.name = config.name
        self._client: Any = None
        self._wire_client: wire.S3Wire | None = None
        self._count = itertools.count()
        self._sent = 0  # HTTP attempts made, retries included
        # The preflight's read of the journal stands for this store's first one, unless
        # this store wrote it first (a first publish's second round reads its own).
        self._journal_read_ahead = True

    # boto3 is imported here, not at module import: loading a config stays cheap.
    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client(self.config, self._on_request)
        return self._client

    def _wire(self) -> wire.S3Wire:
        if self._wire_client is None:
            config = self.config
            self._wire_client = wire.S3Wire(
                config.endpoint,
                config.region, config.bucket, credential_source(config),
                timeout=config.timeout, connect_timeout=min(config.timeout, 10),
                on_attempt=self._on_request)
        return self._wire_client

    def _on_request(self, **_: Any) -> None:
        self._sent = next(self._count) + 1  # every HTTP attempt, retries included

    def requests(self) -> int:
        return self._sent

    def begin_writes(self, *, as_left: bool = False) -> None:
        pass

    def close(self) -> None:
        if self._wire_client is not None:
            self._wire_client.close()
        if self._client is not None:
            self._client.close()

    def key(self, path: str) -> str:
        return self.config.prefix + path

    def read_index(self, name: str = INDEX_NAME) -> bytes | None:
        if name == JOURNAL_NAME and self._journal_read_ahead:
            self._journal_read_ahead = False
            kept, body = readahead.take(journal_key(self.config))
            if kept:
                return body if isinstance(body, bytes) else None
        reply = self._send("read the index", self._wire().get, self.key(name),
                           MAX_INDEX_GZIP_BYTES)
        return reply.body if reply is not None else None

    def recorded_sha256(self, path: str) -> str | None:
        reply = self._send(f"check {path}", self._wire().head, self.key(path))
        if reply is None:
            return None
        # Google Cloud Storage may answer with its own name for the same metadata.
        return reply.headers.get(SHA_HEADER) or reply.headers.get(GOOG_SHA_HEADER)

    def is_ours(self, path: str) -> bool:
        return self.recorded_sha256(path) is not None

    def listing(self) -> Iterator[tuple[str, RemoteEntry]]:
        paginator = self.client().get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.config.bucket, Prefix=self.config.prefix)
        iterator = iter(pages)
        while True:
            try:
                page = self._call("list the bucket", next, iterator)
            except StopIteration:
                return
            for item in page.get("Contents", []):
                path = item["Key"][len(self.config.prefix):]
                if path in INDEX_NAMES or not path:
                    continue
                etag = item.get("ETag", "").strip('"')
                yield path, RemoteEntry(size=item["Size"], md5=None if "-" in etag else etag)

    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        put_concurrently(self.put, items, CONCURRENCY, sent)

    def put(self, item: Put) -> None:
        path, entry, source, data = item.path, item.entry, item.source, item.data
        if data is None and entry.size >= MULTIPART_THRESHOLD:
            assert source is not None
            extra = {"ContentType": entry.content_type, "CacheControl": cache_control(path),
                     "Metadata": {SHA_KEY: entry.sha256}}
            self._call(f"upload {path}", self.client().upload_file, str(source),
                       self.config.bucket, self.key(path), ExtraArgs=extra,
                       Config=_transfer_config())
            return
        if data is None:
            assert source is not None
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise MirrorError(self.name, f"cannot read {source}: {exc.strerror}") from None
        # Content-MD5 is the build's: bytes changed on disk since are refused (BadDigest).
        headers = {"content-type": entry.content_type, "cache-control": cache_control(path),
                   "content-md5": base64.b64encode(bytes.fromhex(entry.md5)).decode(),
                   SHA_HEADER: entry.sha256}
        self._send(f"upload {path}", self._wire().put, self.key(path), data, headers)

    def delete(self, paths: list[str]) -> None:
        for start in range(0, len(paths), 1000):
            keys = [self.key(p) for p in paths[start:start + 1000]]
            try:
                errors = self._wire().delete_objects(keys)
            except wire.ResponseError as exc:
                if exc.status != 501 and exc.code != "NotImplemented":
                    raise self._error("delete old files", exc) from None
                # Google Cloud Storage's S3 interop long lacked batch deletes: one by one.
                for key in keys:
                    self._send(f"delete {key}", self._wire().delete, key)
                continue
            except wire.S3Failure as exc:
                raise self._error("delete old files", exc) from None
            if errors:
                key, _code, message = errors[0]
                raise MirrorError(self.name, f"could not delete {len(errors)} objects, e.g. "
                                  f"{key}: {message}")

    def write_index(self, data: bytes, name: str = INDEX_NAME) -> None:
        if self._journal_read_ahead:
            self._journal_read_ahead = False
            readahead.take(journal_key(self.config))  # what it said is no longer so
        # Its sha256 as any object's: one HEAD tells a publish the index is as it left it.
        self._send("write the index", self._wire().put, self.key(name), data,
                   {"content-type": "application/gzip", "cache-control": "no-cache",
                    SHA_HEADER: hashlib.sha256(data).hexdigest()})

    def _send(self, action: str, function: Any, *args: Any) -> Any:
        """A call through the lean client."""
        try:
            return function(*args)
        except wire.S3Failure as exc:
            raise self._error(action, exc) from None

    def _call(self, action: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """A call through boto3."""
        try:
            return function(*args, **kwargs)
        except StopIteration:
            raise
        except MirrorError:
            raise
        except Exception as exc:
            raise self._error(action, exc) from None

    def _error(self, action: str, exc: Exception) -> MirrorError:
        return MirrorError(self.name, f"cannot {action}: {explain(self.config, exc)}")


def _make_client(config: S3Config, on_request: Any) -> Any:
    import boto3
    from botocore import exceptions as bx
    from botocore.config import Config

    try:
        session = boto3.session.Session(profile_name=config.profile, **named_credentials(config))
    except bx.ProfileNotFound:
        raise MirrorError(config.name, f"AWS profile {redact.shown(config.profile)} not "
                          "found") from None
    client = session.client(
        "s3",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(
            s3={"addressing_style": "path"},
            signature_version="s3v4",
            retries={"mode": "standard", "max_attempts": 5},
            connect_timeout=min(config.timeout, 10),
            read_timeout=config.timeout,
            max_pool_connections=CONCURRENCY + 2,
            # Several S3-compatible services reject the newer default checksum headers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )
    client.meta.events.register("before-send.s3", on_request)
    return client


def _transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD,
                          multipart_chunksize=MULTIPART_THRESHOLD, max_concurrency=4)
