"""Network faults between mirrorpub and the real SeaweedFS and kubo (SPEC §8).

A fault proxy on loopback answers some requests with S3 500 / 503 SlowDown, resets
connections, cuts answers short, or stalls. Brief faults are absorbed by retries (exit 0,
copy identical to the build). A mirror that stays broken (stalled, down, kubo killed
mid-upload) is reported failed in one line, in bounded time, while the other mirrors are
still updated and name it `failed` in their manifest (exit 3).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import (
    assert_readable_copy,
    assert_same_files,
    bucket_objects,
    crawl_bucket,
    crawl_folder,
    folder_files,
    s3_mirror,
)
from tests.services.faultproxy import (
    FORWARD,
    RESET,
    STALL,
    FaultProxy,
    Request,
    Truncate,
    respond,
)
from tests.services.seaweed import free_port
from tests.sitekit import article, assert_no_traceback, crawl, http_fetcher, mirrorpub, write_site

pytestmark = [pytest.mark.s3]


def write_news(root: Path, mirrors: list[dict[str, Any]], *, big: bool = False) -> Path:
    articles = {f"n{i}.md": article(f"News {i}", date=f"2026-11-{10 + i}T09:00:00+00:00",
                                    body=f"Item {i}.\n\n![chart](chart{i}.png)\n", tags=["net"])
                for i in range(4)}
    size = 300_000 if big else 3000
    files = {f"chart{i}.png": bytes([i]) * size for i in range(4)}
    return write_site(root, articles, files=files, mirrors=mirrors)


class FaultSome:
    """Proxy rule: fault the first attempts of chosen requests, pass everything else.

    `plan` maps (method, path suffix) to the faults its successive attempts get.
    """

    def __init__(self, plan: dict[tuple[str, str], list[Any]]) -> None:
        self.plan = {key: list(faults) for key, faults in plan.items()}
        self.lock = threading.Lock()
        self.injected = 0

    def __call__(self, request: Request) -> Any:
        with self.lock:
            for (method, suffix), faults in self.plan.items():
                if request.method == method and request.target.endswith(suffix) and faults:
                    self.injected += 1
                    return faults.pop(0)
        return FORWARD


def publish_ok_through(rule: Callable[[Request], Any], seaweed: Any, tmp_path: Path,
                       change: Callable[[Path], None] | None = None) -> FaultProxy:
    """Publish once cleanly, change the site, publish through the faults: must succeed."""
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_news(tmp_path, [s3_mirror(seaweed, bucket, endpoint=proxy.url)])
        if change is not None:
            mirrorpub("publish", cwd=tmp_path, env=seaweed.env(), check=True)
            change(tmp_path)
        proxy.rule = rule
        result = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
        assert_no_traceback(result)
        assert result.returncode == 0, result.stderr
    assert_same_files(bucket_objects(seaweed, bucket), folder_files(tmp_path / "public"),
                      "S3 after retried faults")
    assert_readable_copy(crawl_bucket(seaweed, bucket), "S3 after retried faults")
    return proxy


def _drop_one(root: Path) -> None:
    (root / "content" / "n1.md").unlink()
    (root / "content" / "chart1.png").unlink()
    (root / "content" / "n9.md").write_text(article("News 9", body="New."), encoding="utf-8")


def test_s3_500_and_slowdown_are_retried(seaweed: Any, tmp_path: Path,
                                         tally: Counter[str]) -> None:
    rule = FaultSome({
        ("GET", "/.mirrorpub-index.json"): [respond(503)],
        ("PUT", "/.mirrorpub-index.json"): [respond(500)],
        ("PUT", "/files/chart2.png"): [respond(503), respond(500)],
        ("PUT", "/articles/n3.html"): [respond(503, "SlowDown")],
        ("PUT", "/mirrors.json"): [respond(500)],
    })
    proxy = publish_ok_through(rule, seaweed, tmp_path)
    assert rule.injected == 6, proxy.faults
    tally["faults injected (network)"] += rule.injected


def test_faults_on_check_and_delete_requests_are_retried(seaweed: Any, tmp_path: Path,
                                                         tally: Counter[str]) -> None:
    rule = FaultSome({
        ("HEAD", "/mirrors.json"): [respond(500)],
        ("POST", "?delete"): [respond(503), RESET],
        ("PUT", "/articles/n9.html"): [RESET],
        ("PUT", "/index.html"): [respond(503)],
    })
    proxy = publish_ok_through(rule, seaweed, tmp_path, change=_drop_one)
    assert rule.injected == 5, proxy.faults
    tally["faults injected (network)"] += rule.injected


def test_connection_resets_and_cut_answers_are_retried(seaweed: Any, tmp_path: Path,
                                                       tally: Counter[str]) -> None:
    # After a change the copy, as the last publish left it, is read by its journal alone
    # (the build's delta is the plan): the journal's answers are the ones cut.
    rule = FaultSome({
        ("GET", "/.mirrorpub-index.journal.json"): [RESET, Truncate(60)],
        ("HEAD", "/mirrors.json"): [RESET],
        ("PUT", "/articles/n9.html"): [RESET, RESET],
        ("PUT", "/feed.xml"): [RESET],
        ("PUT", "/mirrors.json"): [RESET],
    })
    proxy = publish_ok_through(rule, seaweed, tmp_path, change=_drop_one)
    assert rule.injected == 7, proxy.faults
    tally["faults injected (network)"] += rule.injected


# --- mirrors that stay broken ---------------------------------------------------------------

def _failed_lines(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"error: {name}: FAILED")]


def assert_failed_cleanly(result: Any, name: str, *words: str) -> str:
    assert_no_traceback(result)
    assert result.returncode == 3, result.stderr
    lines = _failed_lines(result.stderr, name)
    assert len(lines) == 1, result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


def manifest_status(data: bytes) -> dict[str, str]:
    return {m["name"]: m["status"] for m in json.loads(data)["mirrors"]}


@pytest.mark.parametrize("when", ["from the start", "after the first upload"])
def test_a_stalled_s3_mirror_fails_in_bounded_time_and_the_others_are_updated(
        when: str, seaweed: Any, tmp_path: Path, tally: Counter[str]) -> None:
    slow, good = seaweed.make_bucket(), seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_news(tmp_path, [s3_mirror(seaweed, slow, name="slow", endpoint=proxy.url,
                                        timeout=1),
                              s3_mirror(seaweed, good, name="good"),
                              {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])
        if when == "after the first upload":
            mirrorpub("publish", cwd=tmp_path, env=seaweed.env(), check=True)
            _drop_one(tmp_path)
            seen = Counter[str]()

            def rule(request: Request) -> str:
                seen[request.method] += 1
                return STALL if seen["PUT"] > 1 else FORWARD
        else:
            def rule(request: Request) -> str:
                return STALL

        proxy.rule = rule
        result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path, env=seaweed.env(),
                           timeout=120)
        tally["faults injected (network)"] += len(proxy.faults)
    assert_failed_cleanly(result, "slow", "no answer", "1 s")
    local = folder_files(tmp_path / "public")
    assert_same_files(bucket_objects(seaweed, good), local, "the good S3 mirror")
    assert_same_files(folder_files(tmp_path / "usb"), local, "the folder mirror")
    if when == "after the first upload":  # cut off mid-way: still the old, complete site
        assert manifest_status(local["mirrors.json"])["slow"] == "failed"
        assert_readable_copy(crawl_bucket(seaweed, slow), "the stalled mirror")
    else:  # it never published: readers are not told of it
        assert "slow" not in manifest_status(local["mirrors.json"])


def test_mirrors_that_stay_down_never_hang_the_publish(seaweed: Any, tmp_path: Path,
                                                       tally: Counter[str]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    good = seaweed.make_bucket()
    env = {**seaweed.env(), "DOWN_KEY": "k", "DOWN_SECRET": "s"}
    write_news(tmp_path, [
        {**s3_mirror(seaweed, "down-bucket", name="s3-down", endpoint=closed, timeout=2),
         "access_key_id_env": "DOWN_KEY", "secret_access_key_env": "DOWN_SECRET"},
        {"name": "ipfs-down", "type": "ipfs", "api": closed, "gateways": [closed], "timeout": 2},
        s3_mirror(seaweed, good, name="good")])
    result = mirrorpub("publish", "--skip-preflight", "--json", cwd=tmp_path, env=env, timeout=120)
    tally["faults injected (network)"] += 2
    assert result.returncode == 3, result.stderr
    assert_no_traceback(result)
    report = {m["name"]: m for m in json.loads(result.stdout)["mirrors"]}
    assert report["good"]["ok"] and not report["s3-down"]["ok"] and not report["ipfs-down"]["ok"]
    assert "cannot connect" in report["s3-down"]["error"]
    assert "no IPFS daemon answers" in report["ipfs-down"]["error"]
    assert all("\n" not in (m["error"] or "") for m in report.values())
    assert_same_files(bucket_objects(seaweed, good), folder_files(tmp_path / "public"), "good")


def _self_signed_server(tmp_path: Path) -> tuple[int, list[str]]:
    """An HTTPS server on loopback whose certificate nobody trusts; records handshakes."""
    import datetime
    import socket
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    handshakes: list[str] = []

    def serve() -> None:
        while True:
            client, _ = listener.accept()
            try:
                context.wrap_socket(client, server_side=True).close()
                handshakes.append("completed")
            except (ssl.SSLError, OSError):
                handshakes.append("refused by the client")

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], handshakes


def test_an_untrusted_certificate_fails_at_once_and_says_so(seaweed: Any, tmp_path: Path,
                                                            tally: Counter[str]) -> None:
    port, handshakes = _self_signed_server(tmp_path)
    tally["faults injected (network)"] += 1
    good = seaweed.make_bucket()
    env = {**seaweed.env(), "K": "k", "S": "s"}
    write_news(tmp_path / "site", [
        {"name": "impostor", "type": "s3", "bucket": "news", "endpoint_url":
         f"https://127.0.0.1:{port}", "access_key_id_env": "K", "secret_access_key_env": "S"},
        s3_mirror(seaweed, good, name="good")])
    result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path / "site", env=env, timeout=120)
    line = assert_failed_cleanly(result, "impostor", "certificate this machine does not trust")
    assert "certificate verify failed" in line or "self-signed" in line, line
    assert handshakes == ["refused by the client"]  # refused once, not retried
    assert_same_files(bucket_objects(seaweed, good), folder_files(tmp_path / "site" / "public"),
                      "the good mirror")


# --- IPFS ---------------------------------------------------------------------------------

@pytest.mark.ipfs
@pytest.mark.parametrize("how", ["daemon killed", "connection cut"])
def test_kubo_going_away_mid_upload_fails_only_the_ipfs_mirror(
        how: str, seaweed: Any, kubo_factory: Any, kubo_daemon: Any, tmp_path: Path,
        tally: Counter[str]) -> None:
    daemon = kubo_factory() if how == "daemon killed" else kubo_daemon
    bucket = seaweed.make_bucket()
    with FaultProxy.to(daemon.api_url) as proxy:
        if how == "daemon killed":
            def kill_daemon(request: Request, sent: int) -> str | None:
                if request.path.endswith("/add") and sent > 200_000:
                    proxy.on_upload = None
                    proxy._note("killed the kubo daemon mid-upload")
                    daemon.kill()
                return None
            proxy.on_upload = kill_daemon
        else:
            proxy.cut_upload_after(200_000)
        write_news(tmp_path, [
            {"name": "ipfs", "type": "ipfs", "api": proxy.url, "gateways": [daemon.gateway_url],
             "timeout": 20},
            s3_mirror(seaweed, bucket)], big=True)
        result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path, env=seaweed.env(),
                           timeout=120)
        tally["faults injected (network)"] += len(proxy.faults)
    assert proxy.faults, "the fault never fired"
    assert_failed_cleanly(result, "ipfs", "dropped the connection")
    local = folder_files(tmp_path / "public")
    assert_same_files(bucket_objects(seaweed, bucket), local, "S3 beside a failed IPFS")
    assert "ipfs" not in manifest_status(local["mirrors.json"])  # it never published
    assert_readable_copy(crawl_bucket(seaweed, bucket), "S3 beside a failed IPFS")


@pytest.mark.ipfs
def test_a_stalled_kubo_fails_in_bounded_time(kubo_daemon: Any, tmp_path: Path,
                                              tally: Counter[str]) -> None:
    with FaultProxy.to(kubo_daemon.api_url, lambda request: STALL) as proxy:
        write_news(tmp_path, [
            {"name": "ipfs", "type": "ipfs", "api": proxy.url,
             "gateways": [kubo_daemon.gateway_url], "timeout": 2},
            {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])
        result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path, timeout=120)
        tally["faults injected (network)"] += len(proxy.faults)
    assert_failed_cleanly(result, "ipfs", "did not answer within 2 s")
    assert_readable_copy(crawl_folder(tmp_path / "usb"), "folder beside a stalled IPFS")


@pytest.mark.ipfs
def test_ipfs_recovers_on_the_next_publish(kubo_daemon: Any, tmp_path: Path,
                                           tally: Counter[str]) -> None:
    with FaultProxy.to(kubo_daemon.api_url) as proxy:
        proxy.cut_upload_after(100_000)
        write_news(tmp_path, [{"name": "ipfs", "type": "ipfs", "api": proxy.url,
                               "gateways": [kubo_daemon.gateway_url]}], big=True)
        first = mirrorpub("publish", cwd=tmp_path)
        tally["faults injected (network)"] += len(proxy.faults)
        assert first.returncode == 3, first.stderr
        proxy.on_upload = None
        second = mirrorpub("publish", "--json", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    cid = json.loads(second.stdout)["mirrors"][0]["cid"]
    gateway = f"{kubo_daemon.gateway_url}/ipfs/{cid}/"
    assert_readable_copy(crawl(http_fetcher(gateway)), "IPFS after recovering")
