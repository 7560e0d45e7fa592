"""S3-compatible buckets as mirrors (AWS, R2, B2, Spaces, SeaweedFS…), through boto3.

Path-style addressing throughout, so the public URL is `https://ENDPOINT/BUCKET/PREFIX…`
on every provider. botocore's "standard" retry mode retries throttling (SlowDown), 5xx
and dropped connections with backoff; timeouts bound every call. Every object carries
`x-amz-meta-mirrorpub-sha256`: the content hash the planner compares, and the mark that
mirrorpub put it there (only such objects are ever deleted).
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mirrorpub.errors import MirrorError
from mirrorpub.mediatypes import cache_control
from mirrorpub.mirrors.objectstore import INDEX_NAME, ObjectStoreMirror, Put, put_concurrently
from mirrorpub.mirrors.protocol import Location
from mirrorpub.mirrors.registry import MirrorConfig
from mirrorpub.options import Option, at_least, http_url, matches
from mirrorpub.plan import FileEntry, RemoteEntry

SHA_KEY = "mirrorpub-sha256"
MULTIPART_THRESHOLD = 16 * 1024 * 1024
CONCURRENCY = 8
# Below this many files a second process costs more (~0.5 s to start) than it saves.
PROCESS_THRESHOLD = 1000
PROCESS_CHUNK = 100  # files per task: progress moves in steps this size
MAX_PROCESSES = 4
BODY_ATTEMPTS = 3

_ENV_NAME = matches(r"[A-Za-z_][A-Za-z0-9_]*", "an environment variable name")
OPTIONS: dict[str, Option] = {
    "bucket": Option(str, required=True, check=matches(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "a bucket name (3-63 of a-z, 0-9, '.', '-')")),
    "prefix": Option(str, default="", check=matches(r"[^\\]*", "a key prefix")),
    "region": Option(str, default="us-east-1", check=matches(r"[a-z0-9-]+", "a region name")),
    "endpoint_url": Option(str, default=None, check=http_url),
    "profile": Option(str, default=None),
    # Names of variables; someone may paste the key itself here by mistake.
    "access_key_id_env": Option(str, default=None, check=_ENV_NAME, secret=True),
    "secret_access_key_env": Option(str, default=None, check=_ENV_NAME, secret=True),
    "public_url": Option(str, default=None, check=http_url),
    "timeout": Option(int, default=60, check=at_least(1)),
}


@dataclass(frozen=True)
class S3Config(MirrorConfig):
    bucket: str
    prefix: str
    region: str
    endpoint_url: str | None
    profile: str | None
    access_key_id_env: str | None
    secret_access_key_env: str | None
    public_url: str
    timeout: int


def make_config(values: dict[str, Any], base: Path, where: str,
                problems: list[str]) -> S3Config | None:
    if (values["access_key_id_env"] is None) != (values["secret_access_key_env"] is None):
        problems.append(f"{where}: set both access_key_id_env and secret_access_key_env, "
                        "or neither")
    for key in ("endpoint_url", "public_url"):
        parts = urlsplit(values[key] or "")
        if parts.username or parts.password:
            problems.append(f"{where}.{key}: must not contain credentials (user:password@); "
                            "use access_key_id_env and secret_access_key_env")
            values[key] = None
    if not values["bucket"] or not values["name"]:
        return None
    prefix = values["prefix"].strip("/")
    prefix = f"{prefix}/" if prefix else ""
    public = values["public_url"] or default_public_url(
        values["endpoint_url"], values["region"], values["bucket"], prefix)
    return S3Config(
        name=values["name"], type="s3", retired=values["retired"], bucket=values["bucket"],
        prefix=prefix, region=values["region"], endpoint_url=values["endpoint_url"],
        profile=values["profile"], access_key_id_env=values["access_key_id_env"],
        secret_access_key_env=values["secret_access_key_env"],
        public_url=public.rstrip("/") + "/", timeout=values["timeout"],
    )


def default_public_url(endpoint: str | None, region: str, bucket: str, prefix: str) -> str:
    host = endpoint.rstrip("/") if endpoint else f"https://s3.{region}.amazonaws.com"
    return f"{host}/{bucket}/{prefix}"


def locate(config: S3Config, facts: Mapping[str, Any]) -> Location:
    return Location(url=config.public_url + "index.html", page_base=config.public_url)


def open_mirror(config: S3Config) -> ObjectStoreMirror:
    return ObjectStoreMirror(config.name, S3Store(config), lambda facts: locate(config, facts))


class S3Store:
    def __init__(self, config: S3Config) -> None:
        self.config = config
        self.name = config.name
        self._client: Any = None
        self._count = itertools.count()
        self._sent = 0  # requests this process made
        self._by_workers = 0  # requests worker processes made for us

    # boto3 is imported here, not at module import: loading a config stays cheap.
    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client(self.config, self._on_request)
        return self._client

    def _on_request(self, **_: Any) -> None:
        self._sent = next(self._count) + 1  # every HTTP attempt, retries included

    def requests(self) -> int:
        return self._sent + self._by_workers

    def key(self, path: str) -> str:
        return self.config.prefix + path

    def read_index(self) -> bytes | None:
        # botocore retries requests, not a body cut off mid-way: fetch it again ourselves.
        for attempt in range(1, BODY_ATTEMPTS + 1):
            try:
                response = self._call("read the index", self.client().get_object,
                                      Bucket=self.config.bucket, Key=self.key(INDEX_NAME))
            except _NotFound:
                return None
            try:
                return response["Body"].read()
            except Exception as exc:  # botocore raises several types mid-body (reset, timeout)
                if attempt == BODY_ATTEMPTS:
                    raise self._error("read the index", exc) from None
        return None

    def recorded_sha256(self, path: str) -> str | None:
        try:
            head = self._call(f"check {path}", self.client().head_object,
                              Bucket=self.config.bucket, Key=self.key(path))
        except _NotFound:
            return None
        return head.get("Metadata", {}).get(SHA_KEY)

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
                if path == INDEX_NAME or not path:
                    continue
                etag = item.get("ETag", "").strip('"')
                yield path, RemoteEntry(size=item["Size"], md5=None if "-" in etag else etag)

    def put_all(self, items: list[Put], sent: Callable[[Put], None]) -> None:
        workers = min(os.cpu_count() or 1, MAX_PROCESSES)
        small = [i for i in items if i.data is None and i.entry.size < MULTIPART_THRESHOLD]
        if workers < 2 or len(small) < PROCESS_THRESHOLD:
            put_concurrently(self.put, items, CONCURRENCY, sent)
            return
        self._put_in_processes(small, workers, sent)
        chosen = {i.path for i in small}
        rest = [i for i in items if i.path not in chosen]
        if rest:
            put_concurrently(self.put, rest, CONCURRENCY, sent)

    def _put_in_processes(self, items: list[Put], workers: int,
                          sent: Callable[[Put], None]) -> None:
        # botocore spends ~1.7 ms of CPU on every request, under one GIL: thousands of small
        # PUTs are CPU-bound in one process, so they are spread over a process per core.
        # "spawn": forking a process that runs other threads (other mirrors) can deadlock.
        context = multiprocessing.get_context("spawn")
        chunks = [items[i:i + PROCESS_CHUNK] for i in range(0, len(items), PROCESS_CHUNK)]
        with ProcessPoolExecutor(workers, mp_context=context,
                                 initializer=_worker_started) as pool:
            futures = {pool.submit(_put_chunk, self.config,
                                   [(i.path, asdict(i.entry), str(i.source)) for i in chunk]):
                       chunk for chunk in chunks}
            try:
                for future in as_completed(futures):
                    requests, error = future.result()
                    self._by_workers += requests
                    if error:
                        raise MirrorError(self.name, error)
                    for item in futures[future]:
                        sent(item)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise

    def put(self, item: Put) -> None:
        path, entry, source, data = item.path, item.entry, item.source, item.data
        extra = {"ContentType": entry.content_type, "CacheControl": cache_control(path),
                 "Metadata": {SHA_KEY: entry.sha256}}
        if data is None and entry.size >= MULTIPART_THRESHOLD:
            assert source is not None
            self._call(f"upload {path}", self.client().upload_file, str(source),
                       self.config.bucket, self.key(path), ExtraArgs=extra,
                       Config=_transfer_config())
            return
        md5 = base64.b64encode(bytes.fromhex(entry.md5)).decode()
        if data is not None:
            self._call(f"upload {path}", self.client().put_object, Bucket=self.config.bucket,
                       Key=self.key(path), Body=data, ContentMD5=md5, **extra)
            return
        assert source is not None
        try:
            body = source.read_bytes()
        except OSError as exc:
            raise MirrorError(self.name, f"cannot read {source}: {exc.strerror}") from None
        self._call(f"upload {path}", self.client().put_object, Bucket=self.config.bucket,
                   Key=self.key(path), Body=body, ContentMD5=md5, **extra)

    def delete(self, paths: list[str]) -> None:
        for start in range(0, len(paths), 1000):
            batch = [{"Key": self.key(p)} for p in paths[start:start + 1000]]
            response = self._call("delete old files", self.client().delete_objects,
                                  Bucket=self.config.bucket,
                                  Delete={"Objects": batch, "Quiet": True})
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise MirrorError(self.name, f"could not delete {len(errors)} objects, e.g. "
                                  f"{first.get('Key')}: {first.get('Message')}")

    def write_index(self, data: bytes) -> None:
        self._call("write the index", self.client().put_object, Bucket=self.config.bucket,
                   Key=self.key(INDEX_NAME), Body=data, ContentType="application/json",
                   CacheControl="no-cache")

    def _call(self, action: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except StopIteration:
            raise
        except Exception as exc:
            if _status(exc) == 404 and _code(exc) not in ("NoSuchBucket",):
                raise _NotFound() from None
            raise self._error(action, exc) from None

    def _error(self, action: str, exc: Exception) -> MirrorError:
        return MirrorError(self.name, f"cannot {action}: {explain(self.config, exc)}")


class _NotFound(Exception):
    pass


_worker_store: S3Store | None = None  # one client per worker process, reused across chunks


def _worker_started() -> None:
    # A worker must not outlive a publish that was killed, nor handle its Ctrl-C.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)


def _put_chunk(config: S3Config, items: list[tuple[str, dict[str, Any], str]]
               ) -> tuple[int, str | None]:
    """In a worker process: store these site files; (requests made, first error)."""
    global _worker_store
    if _worker_store is None:
        _worker_store = S3Store(config)
    store = _worker_store
    before = store.requests()
    puts = [Put(path, FileEntry(**entry), Path(source), None) for path, entry, source in items]
    try:
        put_concurrently(store.put, puts, CONCURRENCY, lambda item: None)
    except MirrorError as exc:  # sent back as text: exceptions with fields do not pickle
        return store.requests() - before, exc.message
    return store.requests() - before, None


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def explain(config: S3Config, exc: Exception) -> str:
    """One line that says what went wrong and what to do; never a credential."""
    from botocore import exceptions as bx

    where = config.endpoint_url or f"s3.{config.region}.amazonaws.com"
    code = _code(exc)
    if code == "NoSuchBucket":
        return f"bucket {config.bucket!r} does not exist at {where}; create it or fix `bucket`"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId",
                "AuthorizationHeaderMalformed", "ExpiredToken"):
        return f"{where} refused the credentials ({code}); check the access key and secret"
    if code in ("AccessDenied", "AllAccessDisabled", "Forbidden", "403"):
        return (f"access denied to bucket {config.bucket!r}; the credentials need "
                "s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on it")
    if isinstance(exc, bx.NoCredentialsError):
        return ("no credentials found; set access_key_id_env and secret_access_key_env, a "
                "profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(exc, bx.ProfileNotFound):
        return f"AWS profile {config.profile!r} not found in ~/.aws/config or credentials"
    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return f"no answer from {where} within {config.timeout} s (after retries)"
    if isinstance(exc, bx.EndpointConnectionError):
        return f"cannot connect to {where} (after retries); is the address right and reachable?"
    if isinstance(exc, (bx.ConnectionClosedError, bx.ConnectionError,
                        bx.ResponseStreamingError)):
        return f"the connection to {where} kept failing (after retries)"
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
        return f"{code}: {message}".strip(": ")
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _credentials(config: S3Config) -> dict[str, str]:
    if config.access_key_id_env is None or config.secret_access_key_env is None:
        return {}
    values = {}
    for field, variable in (("aws_access_key_id", config.access_key_id_env),
                            ("aws_secret_access_key", config.secret_access_key_env)):
        value = os.environ.get(variable)
        if not value:
            raise MirrorError(config.name, f"environment variable {variable} is not set "
                              "(named by the mirror's credentials settings)")
        values[field] = value
    return values


def _make_client(config: S3Config, on_request: Any) -> Any:
    import boto3
    from botocore import exceptions as bx
    from botocore.config import Config

    try:
        session = boto3.session.Session(profile_name=config.profile, **_credentials(config))
    except bx.ProfileNotFound:
        raise MirrorError(config.name, f"AWS profile {config.profile!r} not found") from None
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
