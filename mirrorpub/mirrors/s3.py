"""S3-compatible buckets as mirrors (AWS, R2, B2, Spaces, SeaweedFS…).

Path-style addressing throughout, so the public URL is `https://ENDPOINT/BUCKET/PREFIX…`
on every provider. What a publish does once per file (GET the index, HEAD an object, PUT
one) goes through `s3wire`, a lean SigV4 client, because botocore's per-request CPU made
big uploads CPU-bound; listing, batch deletes and multipart uploads go through boto3.
Both retry throttling (SlowDown), 5xx and dropped connections with backoff, as botocore's
"standard" mode does; timeouts bound every call. Every object carries
`x-amz-meta-mirrorpub-sha256`: the content hash the planner compares, and the mark that
mirrorpub put it there (only such objects are ever deleted).
"""

from __future__ import annotations

import base64
import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mirrorpub import s3wire
from mirrorpub.errors import MirrorError
from mirrorpub.mediatypes import cache_control
from mirrorpub.mirrors.objectstore import INDEX_NAME, ObjectStoreMirror, Put, put_concurrently
from mirrorpub.mirrors.protocol import Location
from mirrorpub.mirrors.registry import MirrorConfig
from mirrorpub.options import Option, at_least, http_url, matches
from mirrorpub.plan import RemoteEntry

SHA_KEY = "mirrorpub-sha256"
SHA_HEADER = f"x-amz-meta-{SHA_KEY}"
MULTIPART_THRESHOLD = 16 * 1024 * 1024
# Requests in flight per mirror. One process is enough: a request costs ~0.35 ms of CPU
# here, so the server's latency, not this process, is what bounds the rate.
CONCURRENCY = 8

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
        self._wire: s3wire.S3Wire | None = None
        self._count = itertools.count()
        self._sent = 0  # HTTP attempts made, retries included

    # boto3 is imported here, not at module import: loading a config stays cheap.
    def client(self) -> Any:
        if self._client is None:
            self._client = _make_client(self.config, self._on_request)
        return self._client

    def wire(self) -> s3wire.S3Wire:
        if self._wire is None:
            config = self.config
            self._wire = s3wire.S3Wire(
                config.endpoint_url or f"https://s3.{config.region}.amazonaws.com",
                config.region, config.bucket, _credential_source(config),
                timeout=config.timeout, connect_timeout=min(config.timeout, 10),
                on_attempt=self._on_request)
        return self._wire

    def _on_request(self, **_: Any) -> None:
        self._sent = next(self._count) + 1  # every HTTP attempt, retries included

    def requests(self) -> int:
        return self._sent

    def key(self, path: str) -> str:
        return self.config.prefix + path

    def read_index(self) -> bytes | None:
        reply = self._send("read the index", self.wire().get, self.key(INDEX_NAME))
        return reply.body if reply is not None else None

    def recorded_sha256(self, path: str) -> str | None:
        reply = self._send(f"check {path}", self.wire().head, self.key(path))
        return reply.headers.get(SHA_HEADER) if reply is not None else None

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
        self._send(f"upload {path}", self.wire().put, self.key(path), data, headers)

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
        self._send("write the index", self.wire().put, self.key(INDEX_NAME), data,
                   {"content-type": "application/gzip", "cache-control": "no-cache"})

    def _send(self, action: str, function: Any, *args: Any) -> Any:
        """A call through the lean client."""
        try:
            return function(*args)
        except s3wire.S3Failure as exc:
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


def _code_and_message(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, s3wire.ResponseError):
        return exc.code, exc.message
    error = (getattr(exc, "response", None) or {}).get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))


def explain(config: S3Config, exc: Exception) -> str:
    """One line that says what went wrong and what to do; never a credential."""
    where = config.endpoint_url or f"s3.{config.region}.amazonaws.com"
    code, message = _code_and_message(exc)
    region = getattr(exc, "region", None)
    if region and region != config.region:  # a redirect, or a request signed for elsewhere
        return (f"bucket {config.bucket!r} is in region {region}, not {config.region}: set "
                f'region = "{region}" for this mirror')
    if code == "NoSuchBucket":
        return f"bucket {config.bucket!r} does not exist at {where}; create it or fix `bucket`"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId",
                "AuthorizationHeaderMalformed", "ExpiredToken"):
        return f"{where} refused the credentials ({code}); check the access key and secret"
    if code in ("AccessDenied", "AllAccessDisabled", "Forbidden", "403"):
        return (f"access denied to bucket {config.bucket!r}; the credentials need "
                "s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on it")
    if type(exc).__name__ == "NoCredentialsError":
        return NO_CREDENTIALS
    network = _network_kind(exc)
    if network == "timeout":
        return f"no answer from {where} within {config.timeout} s (after retries)"
    if network == "connect":
        return f"cannot connect to {where} (after retries); is the address right and reachable?"
    if network == "closed":
        return f"the connection to {where} kept failing (after retries)"
    if network == "tls":
        return f"{where} has a certificate this machine does not trust ({exc})"
    if code:
        return f"{code}: {message}".strip(": ")
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _network_kind(exc: Exception) -> str | None:
    if isinstance(exc, s3wire.NetworkError):
        return exc.kind
    if not type(exc).__module__.startswith("botocore"):
        return None
    from botocore import exceptions as bx

    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return "timeout"
    if isinstance(exc, bx.EndpointConnectionError):
        return "connect"
    if isinstance(exc, (bx.ConnectionClosedError, bx.ConnectionError, bx.ResponseStreamingError)):
        return "closed"
    return None


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


NO_CREDENTIALS = ("no credentials found; set access_key_id_env and secret_access_key_env, a "
                  "profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")


def _credential_source(config: S3Config) -> Callable[[], s3wire.Credentials]:
    """Credentials for the lean client: the named variables, else boto3's chain (profile,
    AWS_* variables, config files, SSO, instance roles), refreshed when they expire."""
    named = _credentials(config)
    if named:
        fixed = s3wire.Credentials(named["aws_access_key_id"], named["aws_secret_access_key"])
        return lambda: fixed
    import botocore.session
    from botocore import exceptions as bx

    try:
        found = botocore.session.Session(profile=config.profile).get_credentials()
    except bx.ProfileNotFound:
        profile = repr(config.profile) if config.profile else \
            f"{os.environ.get('AWS_PROFILE')!r} (from AWS_PROFILE)"
        raise MirrorError(config.name, f"AWS profile {profile} not found in the AWS config "
                          "or credentials files") from None
    except bx.BotoCoreError as exc:
        raise MirrorError(config.name, f"cannot load credentials: {exc}") from None
    if found is None:
        raise MirrorError(config.name, NO_CREDENTIALS)

    def current() -> s3wire.Credentials:
        try:
            frozen = found.get_frozen_credentials()
        except bx.BotoCoreError as exc:  # temporary credentials that cannot be renewed
            raise s3wire.S3Failure(f"cannot refresh the credentials: {exc}") from None
        return s3wire.Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    return current


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
