"""A real `mirrorpub watch` process on a temp site with a folder and a SeaweedFS mirror."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sitekit import article, write_site

DEADLINE = 30.0  # seconds an edit may take to be live; it usually takes one or two


class WatchProcess:
    """`python -m mirrorpub watch --json`, its log lines read back from a file."""

    def __init__(self, config: Path, env: Mapping[str, str], log_path: Path,
                 *extra: str) -> None:
        self.log_path = log_path
        self.stdout_path = log_path.with_suffix(".stdout")
        with log_path.open("wb") as err, self.stdout_path.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mirrorpub", "watch", "-c", str(config), "--json",
                 *extra],
                cwd=config.parent, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                stdout=out, stderr=err)

    def lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        out = []
        for line in self.lines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if kind is None or record.get("event") == kind:
                    out.append(record)
        return out

    def publishes(self) -> list[dict[str, Any]]:
        return self.events("publish")

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
        """Poll `check` until it returns something truthy; fail naming `what`."""
        deadline = time.monotonic() + timeout
        while True:
            result = None
            with contextlib.suppress(OSError, httpx.HTTPError, ValueError):
                result = check()
            if result:
                return result
            if self.process.poll() is not None:
                raise AssertionError(f"watch exited ({self.process.returncode}) while "
                                     f"waiting for {what}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not within {timeout} s: {what}\n{self.log()}")
            time.sleep(0.1)

    def settle(self, quiet: float = 2.5, timeout: float = DEADLINE) -> None:
        """Wait until the log has not grown for `quiet` seconds (the watcher is idle)."""
        deadline = time.monotonic() + timeout
        size, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_size = self.log_path.stat().st_size
            if now_size != size:
                size, since = now_size, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.1)
        raise AssertionError(f"watch never went quiet:\n{self.log()}")

    def log(self) -> str:
        return "\n".join(self.lines()[-40:])

    def terminate(self, timeout: float = 20.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class Site:
    root: Path
    config: Path
    folder: Path  # the folder mirror
    s3_url: str  # the S3 mirror's public URL (anonymous reads)
    env: dict[str, str]
    mirrors: list[dict[str, Any]]

    def write(self, rel: str, text: str) -> None:
        path = self.root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")  # as editors save: beside, then rename
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)

    def folder_text(self, rel: str) -> str:
        return (self.folder / rel).read_text(encoding="utf-8")

    def s3_text(self, rel: str) -> str:
        response = httpx.get(self.s3_url + rel, timeout=10)
        return response.text if response.status_code == 200 else ""

    def live_on_both(self, rel: str, token: str) -> bool:
        return token in self.folder_text(rel) and token in self.s3_text(rel)

    def versions(self) -> tuple[int, int]:
        """mirrors.json version on the folder copy and on the S3 copy."""
        return (json.loads(self.folder_text("mirrors.json"))["version"],
                json.loads(self.s3_text("mirrors.json"))["version"])


@pytest.fixture
def make_site(tmp_path: Path, seaweed: Any) -> Callable[..., Site]:
    def make(server: Any = None, **site_keys: Any) -> Site:
        server = server or seaweed
        bucket = server.make_bucket()
        mirrors = [{"name": "usb", "type": "directory", "path": str(tmp_path / "usb")},
                   {"name": "bucket", "type": "s3", "bucket": bucket,
                    "endpoint_url": server.endpoint, "access_key_id_env": "TEST_S3_KEY",
                    "secret_access_key_env": "TEST_S3_SECRET", "timeout": 5}]
        config = write_site(tmp_path / "site", {
            "a.md": article("Article A", body="first version: token-a0"),
            "b.md": article("Article B", body="See [A](a.md)."),
        }, files={"img/dot.png": b"\x89PNG fake"}, mirrors=mirrors, **site_keys)
        return Site(tmp_path / "site", config, tmp_path / "usb", server.public_url(bucket),
                    server.env(), mirrors)

    return make


@pytest.fixture
def start_watch(tmp_path: Path) -> Iterator[Callable[..., WatchProcess]]:
    started: list[WatchProcess] = []

    def start(site: Site, *extra: str) -> WatchProcess:
        proc = WatchProcess(site.config, site.env, tmp_path / f"watch-{len(started)}.log",
                            *extra)
        started.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in started:
            proc.kill()
