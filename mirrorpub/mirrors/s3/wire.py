"""The S3 requests a publish makes (GET, HEAD, PUT, DELETE of one key, a batch delete),
signed with SigV4, on http.client.

Why not boto3 for these: botocore spends ~1.8 ms of CPU on every request (endpoint rules,
event hooks, serialising, parsing), so uploading a 10,000-page site was CPU-bound in the
client; these requests cost ~0.35 ms each (benchmarks/README.md). This module does what
a publish does once per file, and the batch delete most publishes end with (boto3 took
0.4 s to import and set up for that one request); listing a bucket and multipart uploads
stay with boto3, and the credentials come from boto3's chain unless the mirror names
environment variables.

Answers are read within bounds, since the endpoint (or something posing as it) may send
without end: a GET takes at most the `limit` its caller names (+ 1 byte, to show there was
more) within `timeout` + `limit` at MIN_RATE; other answers, which carry no body worth
reading, at most 64 KB.

Retries follow botocore's "standard" mode: up to 5 attempts on dropped connections,
timeouts, 5xx, 429 and throttling codes, with full-jitter exponential backoff capped at
20 s. Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as for boto3.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import http.client
import os
import random
import select
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment
from xml.etree import ElementTree

from mirrorpub import __version__

ATTEMPTS = 5
MAX_BACKOFF = 20.0
USER_AGENT = f"mirrorpub/{__version__}"
_RETRY_STATUS = {429, 500, 502, 503, 504}
_RETRY_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestThrottled",
                "RequestLimitExceeded", "BandwidthLimitExceeded", "TooManyRequestsException",
                "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
                "InternalError", "ServiceUnavailable"}
_ERROR_BODY_LIMIT = 64 * 1024  # also what a HEAD's or PUT's answer may carry
MIN_RATE = 64 * 1024  # bytes per second a GET's body must average
_READ = 256 * 1024


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


class S3Failure(Exception):
    """A request that failed for good (after any retries)."""


class ResponseError(S3Failure):
    def __init__(self, status: int, code: str, message: str, region: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.region = region  # where AWS says the bucket is, when it says so
        super().__init__(f"{status} {code}: {message}".strip(": "))


class NetworkError(S3Failure):
    """kind: "connect" (nobody answers at the address), "timeout" (silent for too
    long), "closed" (the connection dropped or the answer was cut short), "tls" (the
    server's certificate was refused; not retried)."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        super().__init__(detail)


class _TooSlow(TimeoutError):
    """An answer arriving, but too slowly to ever end (args[0]: seconds spent)."""


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes


class S3Wire:
    """Signed requests to one bucket. Safe to share between threads, which share a pool
    of keep-alive connections."""

    def __init__(self, endpoint: str, region: str, bucket: str,
                 credentials: Callable[[], Credentials], *, timeout: float,
                 connect_timeout: float, attempts: int = ATTEMPTS,
                 on_attempt: Callable[[], None] = lambda: None) -> None:
        parts = urlsplit(endpoint)
        self.endpoint = endpoint.rstrip("/")
        self.region = region
        self.bucket = bucket
        self.credentials = credentials
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.attempts = attempts
        self.on_attempt = on_attempt
        self._https = parts.scheme == "https"
        self._host = parts.netloc
        self._hostname = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._base_path = parts.path.rstrip("/")
        self._proxy = _proxy_for(parts.scheme, self._hostname)
        self._idle: list[http.client.HTTPConnection] = []  # keep-alive connections
        self._idle_lock = threading.Lock()
        self._signing_key: tuple[str, str, bytes] = ("", "", b"")

    # -- requests ---------------------------------------------------------------------------

    def get(self, key: str, limit: int) -> Reply | None:
        """The object, or None when there is no such key. Of a larger object only `limit`
        + 1 bytes are read: the caller sees it is too large, and nothing more arrives."""
        return self._request("GET", key, missing_ok=True, limit=limit)

    def head(self, key: str) -> Reply | None:
        return self._request("HEAD", key, missing_ok=True)

    def put(self, key: str, body: bytes, headers: Mapping[str, str]) -> None:
        self._request("PUT", key, body=body, headers=headers)

    def delete(self, key: str) -> None:
        """One object; gone already is as good."""
        self._request("DELETE", key, missing_ok=True)

    def delete_objects(self, keys: list[str]) -> list[tuple[str, str, str]]:
        """DeleteObjects (at most 1,000 keys, quiet): (key, code, message) of each the
        service could not delete."""
        body = _delete_body(keys)
        headers = {"content-type": "application/xml",
                   "content-md5": base64.b64encode(hashlib.md5(body).digest()).decode()}
        reply = self._request("POST", "", body=body, headers=headers, query="delete")
        assert reply is not None
        if not reply.body:
            return []
        try:
            root = ElementTree.fromstring(reply.body)
        except ElementTree.ParseError:
            raise ResponseError(reply.status, "MalformedXML", "the batch delete's answer is "
                                "not XML") from None
        return [(_text(error, "Key"), _text(error, "Code"), _text(error, "Message"))
                for error in root if _local(error.tag) == "Error"]

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _request(self, method: str, key: str, *, body: bytes = b"",
                 headers: Mapping[str, str] | None = None, missing_ok: bool = False,
                 limit: int = _ERROR_BODY_LIMIT, query: str = "") -> Reply | None:
        """`key` "" with a `query`: a request on the bucket (one word, as `delete`)."""
        path = f"{self._base_path}/{self.bucket}/{quote(key, safe='/-._~')}" if key else \
            f"{self._base_path}/{self.bucket}"
        failure: S3Failure | None = None
        for attempt in range(1, self.attempts + 1):
            self.on_attempt()
            try:
                reply = self._once(method, path, body, headers or {}, limit, query)
            except NetworkError as exc:
                if exc.kind == "tls":
                    raise  # a certificate problem does not go away by asking again
                failure = exc
            else:
                if reply.status < 300:
                    return reply
                error = _response_error(reply)
                if reply.status == 404 and missing_ok and error.code != "NoSuchBucket":
                    return None
                if reply.status not in _RETRY_STATUS and error.code not in _RETRY_CODES:
                    raise error
                failure = error
            if attempt < self.attempts:
                time.sleep(random.random() * min(MAX_BACKOFF, 2.0 ** (attempt - 1)))
        assert failure is not None
        raise failure

    def _once(self, method: str, path: str, body: bytes, headers: Mapping[str, str],
              limit: int, query: str = "") -> Reply:
        signed = self._signed_headers(method, path, body, headers, query)
        connection = self._checkout()
        target = f"{path}?{query}" if query else path
        if self._proxy and not self._https:  # a plain-HTTP proxy takes the whole URL
            target = f"http://{self._host}{target}"
            if self._proxy.authorization:
                signed["proxy-authorization"] = self._proxy.authorization
        try:
            connection.request(method, target, body=body if method in ("PUT", "POST") else None,
                               headers=signed)
            response = connection.getresponse()
            data = self._body(response, limit if response.status < 300 else _ERROR_BODY_LIMIT)
        except TimeoutError as exc:
            connection.close()
            said = f"an answer still arriving after {exc.args[0]:.0f} s" if \
                isinstance(exc, _TooSlow) else f"no answer within {self.timeout:g} s"
            raise NetworkError("timeout", said) from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise NetworkError("closed", f"connection dropped ({type(exc).__name__})") from None
        # Reused only when the answer was read to its end and the server keeps it open.
        if response.will_close or response.status >= 300 or not response.isclosed():
            connection.close()
        else:
            with self._idle_lock:
                self._idle.append(connection)
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def _body(self, response: http.client.HTTPResponse, limit: int) -> bytes:
        """At most `limit` + 1 bytes of the answer, within `timeout` + `limit` at MIN_RATE
        (read1 makes one read at a time, each within the socket's timeout, so a trickle
        cannot hold it). An answer read to its end is closed, so its connection is reused."""
        started = time.monotonic()
        deadline = started + self.timeout + limit / MIN_RATE
        chunks, total = [], 0
        while total <= limit:
            chunk = response.read1(min(_READ, limit + 1 - total))
            if not chunk:
                response.read()  # nothing left: marks the answer complete
                break
            chunks.append(chunk)
            total += len(chunk)
            if time.monotonic() > deadline:
                raise _TooSlow(time.monotonic() - started)
        return b"".join(chunks)

    def _checkout(self) -> http.client.HTTPConnection:
        with self._idle_lock:
            while self._idle:
                connection = self._idle.pop()
                if connection.sock is not None and not _dropped(connection.sock):
                    return connection
                connection.close()
        connection = self._new_connection()
        try:
            connection.connect()
        except OSError as exc:
            connection.close()
            raise _connect_error(exc) from None
        # The connect timeout bounds connecting only; then each read may take `timeout`.
        assert connection.sock is not None
        connection.sock.settimeout(self.timeout)
        return connection

    def _new_connection(self) -> http.client.HTTPConnection:
        proxy = self._proxy
        host, port = (proxy.host, proxy.port) if proxy else (self._hostname, self._port)
        if self._https:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=self.connect_timeout, context=_tls_context())
            if proxy:  # CONNECT through the proxy, then TLS with the endpoint itself
                connection.set_tunnel(self._hostname, self._port, headers={
                    "Proxy-Authorization": proxy.authorization} if proxy.authorization else None)
            return connection
        return http.client.HTTPConnection(host, port, timeout=self.connect_timeout)

    def _signed_headers(self, method: str, path: str, body: bytes,
                        headers: Mapping[str, str], query: str = "") -> dict[str, str]:
        credentials = self.credentials()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        # The signing key changes once a day: derive it once, not four HMACs per request.
        cached_secret, cached_day, key = self._signing_key
        if cached_secret != credentials.secret_key or cached_day != amz_date[:8]:
            key = signing_key(credentials.secret_key, amz_date[:8], self.region)
            self._signing_key = (credentials.secret_key, amz_date[:8], key)
        signed = sign(method, self._host, path, headers, body, credentials, self.region,
                      amz_date, key, query)
        signed["user-agent"] = USER_AGENT
        return signed


# -- AWS Signature Version 4, for S3 (the path is not encoded twice) -----------------------

def signing_key(secret: str, day: str, region: str) -> bytes:
    key = hmac.new(f"AWS4{secret}".encode(), day.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(method: str, host: str, path: str, headers: Mapping[str, str], body: bytes,
         credentials: Credentials, region: str, amz_date: str,
         key: bytes | None = None, query: str = "") -> dict[str, str]:
    """Every header of the request, Authorization included; all of them are signed.
    `path` is already URI-encoded; `query`, if any, one parameter without a value (as
    `delete`); `amz_date` is YYYYMMDDTHHMMSSZ in UTC."""
    day = amz_date[:8]
    payload = hashlib.sha256(body).hexdigest()
    signed = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload}
    if credentials.token:
        signed["x-amz-security-token"] = credentials.token
    signed.update((name.lower(), value) for name, value in headers.items())
    names = sorted(signed)
    canonical = "\n".join([
        method, path, f"{query}=" if query else "",
        *(f"{name}:{' '.join(signed[name].split())}" for name in names),
        "", ";".join(names), payload])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = key or signing_key(credentials.secret_key, day, region)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    signed["authorization"] = (f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
                               f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return signed


def _delete_body(keys: list[str]) -> bytes:
    root = ElementTree.Element("Delete", xmlns="http://s3.amazonaws.com/doc/2006-03-01/")
    ElementTree.SubElement(root, "Quiet").text = "true"
    for key in keys:
        ElementTree.SubElement(ElementTree.SubElement(root, "Object"), "Key").text = key
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(element: ElementTree.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return " ".join((child.text or "").split())
    return ""


def _dropped(sock: Any) -> bool:
    """Whether an idle keep-alive connection was closed by the server meanwhile (it then
    reads as ready): reusing it would cost a failed attempt and a backoff."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _connect_error(exc: OSError) -> NetworkError:
    if getattr(exc, "verify_message", None):  # ssl.SSLCertVerificationError
        return NetworkError("tls", str(exc.verify_message))  # type: ignore[attr-defined]
    reason = "timed out" if isinstance(exc, TimeoutError) else \
        (exc.strerror or str(exc) or type(exc).__name__)
    return NetworkError("connect", f"cannot connect: {reason}")


def _response_error(reply: Reply) -> ResponseError:
    code, message = "", ""
    if reply.body:
        try:
            root = ElementTree.fromstring(reply.body)
            code = root.findtext("Code") or ""
            message = root.findtext("Message") or ""
        except ElementTree.ParseError:
            message = reply.body[:200].decode("utf-8", "replace")
    return ResponseError(reply.status, code or str(reply.status), " ".join(message.split()),
                         reply.headers.get("x-amz-bucket-region"))


@dataclass(frozen=True)
class _Proxy:
    host: str
    port: int
    authorization: str | None = field(default=None, repr=False)


def _proxy_for(scheme: str, host: str) -> _Proxy | None:
    proxies = getproxies_environment()
    url = proxies.get(scheme)
    if not url or proxy_bypass_environment(host, proxies):
        return None
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        return None
    authorization = None
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(user_pass.encode()).decode()
    return _Proxy(parts.hostname, parts.port or 80, authorization)


@functools.cache
def _tls_context() -> Any:
    # The CA bundle boto3 users expect: AWS_CA_BUNDLE, else certifi's (as httpx uses).
    import ssl

    import certifi

    return ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or certifi.where())
