"""Azurite, Microsoft's Azure Storage emulator (npm `azurite`, installed into .cache/ by
`make azurite`), as the azure tests' Blob service: started on a free loopback port with
its telemetry off, data in the test's tmp folder. Containers are made publicly readable
the way an owner would: public access level "blob", through the SDK.

    azurite          session-scoped, shared by every azure test
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services.seaweed import free_port, stop_group

REPO = Path(__file__).resolve().parents[2]
VERSION = "3.37.0"
ACCOUNT = "mirrortest"
START_TIMEOUT = 60.0


def azurite_binary() -> Path:
    path = REPO / ".cache" / f"azurite-{VERSION}" / "node_modules" / ".bin" / "azurite-blob"
    if not path.exists():
        raise RuntimeError("Azurite is missing: run `make azurite` (make test does)")
    return path


class Azurite:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        # An account of its own with a fresh key (AZURITE_ACCOUNTS), not the well-known one:
        # a test may then look for the key in everything mirrorpub wrote.
        self.key = base64.b64encode(secrets.token_bytes(64)).decode()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}/"

    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={self.key};"
                f"BlobEndpoint=http://127.0.0.1:{self.port}/{ACCOUNT};")

    def env(self) -> dict[str, str]:
        return {"TEST_AZURE_CONNECTION": self.connection_string(), "TEST_AZURE_KEY": self.key}

    def start(self) -> Azurite:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = (self.workdir / "azurite.log").open("ab")
        self.process = subprocess.Popen(
            [str(azurite_binary()), "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
             "--location", str(self.workdir / "data"), "--skipApiVersionCheck", "--loose",
             "--disableTelemetry", "--silent"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "AZURITE_ACCOUNTS": f"{ACCOUNT}:{self.key}"})
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"azurite exited:\n{self.log()}")
            with contextlib.suppress(Exception):
                self.service().get_service_properties()
                return self
            time.sleep(0.2)
        raise RuntimeError(f"azurite did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "azurite.log").read_text(errors="replace")[-3000:]
        return ""

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
        self.process = None

    def service(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient.from_connection_string(self.connection_string(),
                                                        retry_total=1)

    def make_container(self, *, public: bool = True) -> str:
        name = f"site-{secrets.token_hex(4)}"
        container = self.service().create_container(name)
        if public:
            container.set_container_access_policy(signed_identifiers={}, public_access="blob")
        return name

    def public_url(self, container: str, prefix: str = "") -> str:
        return f"{self.endpoint}{container}/{prefix}"

    def blobs(self, container: str) -> dict[str, Any]:
        """name -> properties (with metadata) of every blob."""
        client = self.service().get_container_client(container)
        return {b.name: b for b in client.list_blobs(include=["metadata"])}


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    server = Azurite(tmp_path_factory.mktemp("azurite")).start()
    try:
        yield server
    finally:
        server.stop()
