"""The lean S3 client signs exactly as botocore does (AWS Signature Version 4).

If a signature differed, every real provider would refuse the upload with
SignatureDoesNotMatch; comparing with botocore's own signer, byte for byte, covers
awkward keys, session tokens and metadata without any server. And it reads answers
within bounds (an endpoint, or whatever poses as it, may send without end), while
keeping connections alive across answers read to their end.
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import quote

import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from mirrorpub.mirrors.s3 import wire as s3wire
from tests.services.loopweb import LoopbackWeb, answer, drip, endless

AMZ_DATE = "20261201T101112Z"
HOST = "127.0.0.1:8333"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def botocore_headers(monkeypatch: pytest.MonkeyPatch, method: str, path: str,
                     headers: dict[str, str], body: bytes,
                     credentials: s3wire.Credentials, region: str) -> dict[str, str]:
    when = datetime.strptime(AMZ_DATE, "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: when)
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body, headers=headers)
    S3SigV4Auth(BotoCredentials(credentials.access_key, credentials.secret_key,
                                credentials.token), "s3", region).add_auth(request)
    return {k.lower(): v for k, v in request.headers.items()}


CASES = [
    ("PUT", "site-bucket", "articles/kloop-blocked.html", b"<p>news</p>",
     {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300",
      "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-amz-meta-mirrorpub-sha256": "ab" * 32}),
    ("PUT", "b", "новости/a b+c%d~e!f'g(h).txt", b"", {"Content-Type": "text/plain"}),
    ("GET", "mirror.example", ".mirrorpub-index.json", b"", {}),
    ("HEAD", "mirror.example", "prefix/with spaces/mirrors.json", b"", {}),
]


@pytest.mark.parametrize(("method", "bucket", "key", "body", "headers"), CASES)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLEtoken//+=="])
@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_signatures_match_botocore(monkeypatch: pytest.MonkeyPatch, method: str, bucket: str,
                                   key: str, body: bytes, headers: dict[str, str],
                                   token: str | None, region: str) -> None:
    credentials = s3wire.Credentials("AKIAIOSFODNN7EXAMPLE", SECRET, token)
    path = f"/{bucket}/{quote(key, safe='/-._~')}"
    ours = s3wire.sign(method, HOST, path, headers, body, credentials, region, AMZ_DATE)
    theirs = botocore_headers(monkeypatch, method, path, dict(headers), body, credentials,
                              region)
    assert ours["authorization"] == theirs["authorization"]
    assert ours["x-amz-content-sha256"] == theirs["x-amz-content-sha256"]
    assert ours.get("x-amz-security-token") == theirs.get("x-amz-security-token")


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLEtoken//+=="])
def test_a_batch_delete_is_signed_as_botocore_signs_it(monkeypatch: pytest.MonkeyPatch,
                                                       token: str | None) -> None:
    """POST /bucket?delete: a query string, signed as `delete=`."""
    credentials = s3wire.Credentials("AKIAIOSFODNN7EXAMPLE", SECRET, token)
    body = s3wire._delete_body(["articles/a b.html", "новости/x.html"])
    headers = {"Content-Type": "application/xml", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg=="}
    ours = s3wire.sign("POST", HOST, "/site-bucket", headers, body, credentials, "eu-west-1",
                       AMZ_DATE, query="delete")
    theirs = botocore_headers(monkeypatch, "POST", "/site-bucket?delete", dict(headers), body,
                              credentials, "eu-west-1")
    assert ours["authorization"] == theirs["authorization"]
    assert b"<Key>articles/a b.html</Key>" in body and b"<Quiet>true</Quiet>" in body


def test_a_cached_signing_key_gives_the_same_signature() -> None:
    credentials = s3wire.Credentials("AKID", SECRET)
    key = s3wire.signing_key(SECRET, AMZ_DATE[:8], "us-east-1")
    args = ("PUT", HOST, "/b/k", {"Content-Type": "text/plain"}, b"x", credentials,
            "us-east-1", AMZ_DATE)
    assert s3wire.sign(*args, key) == s3wire.sign(*args)


def test_credentials_never_show_in_their_repr() -> None:
    shown = repr(s3wire.Credentials("AKID", SECRET, "session-token-value"))
    assert SECRET not in shown and "session-token-value" not in shown


def test_a_connection_the_server_dropped_while_idle_is_not_reused() -> None:
    """Servers close idle keep-alive connections without warning; the next request must
    open a new one at once, not fail, back off and try again."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class OneAnswerPerConnection(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as S3 endpoints speak

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            self.close_connection = True  # ... and hang up, without saying so

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), OneAnswerPerConnection)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    attempts = []
    wire = s3wire.S3Wire(f"http://127.0.0.1:{server.server_port}", "us-east-1", "b",
                         lambda: s3wire.Credentials("AKID", SECRET), timeout=5,
                         connect_timeout=5, on_attempt=lambda: attempts.append(1))
    try:
        for _ in range(3):
            reply = wire.get("index.html", 1024)
            assert reply is not None and reply.body == b"ok"
            time.sleep(0.05)  # the server's close has arrived by the next request
    finally:
        server.shutdown()
        wire.close()
    assert len(attempts) == 3


def test_a_bucket_in_another_region_is_named_with_the_fix() -> None:
    from mirrorpub.mirrors.s3.config import S3Config
    from mirrorpub.mirrors.s3.explain import explain

    config = S3Config(name="aws", type="s3", retired=False, bucket="kloop-mirror", prefix="",
                      region="us-east-1", endpoint_url=None, profile=None,
                      access_key_id_env=None, secret_access_key_env=None,
                      public_url="https://s3.us-east-1.amazonaws.com/kloop-mirror/", timeout=60)
    reply = s3wire.Reply(301, {"x-amz-bucket-region": "eu-central-1"},
                         b"<Error><Code>PermanentRedirect</Code><Message>The bucket you are "
                         b"attempting to access must be addressed using the specified "
                         b"endpoint.</Message></Error>")
    assert explain(config, s3wire._response_error(reply)) == (
        "bucket 'kloop-mirror' is in region eu-central-1, not us-east-1: "
        'set region = "eu-central-1" for this mirror')


def wire_to(web: LoopbackWeb, timeout: float = 5) -> s3wire.S3Wire:
    return s3wire.S3Wire(web.base, "us-east-1", "b", lambda: s3wire.Credentials("AKID", SECRET),
                         timeout=timeout, connect_timeout=5, attempts=1)


@pytest.mark.timeout(30)
def test_answers_read_to_their_end_keep_the_connection_for_the_next_request() -> None:
    with LoopbackWeb(answer(b"x" * 300_000)) as web:
        wire = wire_to(web)
        try:
            for _ in range(3):
                reply = wire.get("index", 1 << 20)
                assert reply is not None and len(reply.body) == 300_000
        finally:
            wire.close()
    assert web.connections == 1


@pytest.mark.timeout(30)
def test_a_get_reads_no_more_than_its_limit_of_an_endless_answer() -> None:
    with LoopbackWeb(endless) as web:
        wire = wire_to(web)
        try:
            reply = wire.get("index", 1 << 20)
            assert reply is not None and len(reply.body) == (1 << 20) + 1  # one more: too big
        finally:
            wire.close()


@pytest.mark.timeout(30)
def test_a_get_answered_a_byte_at_a_time_fails_within_its_deadline() -> None:
    # Each byte comes well within the socket's timeout: only a deadline ends it.
    with LoopbackWeb(drip(every=0.5, declared=1000)) as web:
        wire = wire_to(web, timeout=2)
        try:
            with pytest.raises(s3wire.NetworkError,
                               match=r"an answer still arriving after \d+ s"):
                wire.get("index", 1000)  # deadline: 2 s + 1000 bytes at MIN_RATE
        finally:
            wire.close()
