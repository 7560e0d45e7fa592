"""A real IPFS Cluster for tests: two peers (crdt consensus, one shared secret, the second
bootstrapped to the first), each with its own online kubo, all on loopback.

    cluster        session-scoped Cluster: peers[0], peers[1]; their kubo nodes are
                   swarm-connected; each peer's Pinning Service API (pinsvcapi) takes
                   basic auth, and `token()` is a JWT from its POST /token
    editor_kubo    the editor's own kubo, a third online node connected to both cluster
                   kubo nodes; the test's own, so a test may stop it

The binaries come from scripts/build-cluster.sh (built from the Go module proxy when
missing). Nothing listens beyond 127.0.0.1: kubo runs with the test profile, swarm on
loopback, no routing; the cluster peers listen on loopback with mDNS off.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services.kubo import (
    REPO_ROOT,
    KuboDaemon,
    _die_with_parent,
    _tail,
    free_port,
    kubo_binary,
)

BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-cluster.sh"
START_TIMEOUT = 90.0
USER, PASSWORD = "newsroom", "cluster-test-password"


@functools.cache
def cluster_binary() -> Path:
    done = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True,
                          check=False)
    lines = done.stdout.strip().splitlines()
    folder = Path(lines[-1]) if lines else Path()
    binary = folder / "ipfs-cluster-service" if folder.is_dir() else folder
    if done.returncode != 0 or not binary.is_file():
        raise RuntimeError(f"{BUILD_SCRIPT} failed (exit {done.returncode}):\n"
                           f"{_tail(done.stderr)}")
    return binary


class ClusterPeer:
    def __init__(self, workdir: Path, kubo: KuboDaemon, secret: str, name: str) -> None:
        self.workdir, self.kubo, self.secret, self.name = workdir, kubo, secret, name
        self.path = workdir / "cluster"
        self.process: subprocess.Popen[bytes] | None = None
        self.listen_port = self.rest_port = self.proxy_port = self.pinsvc_port = 0

    @property
    def pinsvc_url(self) -> str:
        return f"http://127.0.0.1:{self.pinsvc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def peer_id(self) -> str:
        return str(json.loads((self.path / "identity.json").read_text())["id"])

    @property
    def address(self) -> str:
        return f"/ip4/127.0.0.1/tcp/{self.listen_port}/p2p/{self.peer_id}"

    def start(self, bootstrap: str | None = None) -> ClusterPeer:
        if not (self.path / "service.json").exists():
            self._init()
        self._configure()
        args = [str(cluster_binary()), "daemon"]
        if bootstrap:
            args += ["--bootstrap", bootstrap]
        with (self.workdir / "cluster.log").open("ab") as log:
            self.process = subprocess.Popen(
                args, env=self._env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        self._wait(lambda: self._get("/id").status_code == 200)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def token(self) -> str:
        """A JWT for the Pinning Service API, as a newsroom member gets one."""
        answer = httpx.post(f"{self.pinsvc_url}/token", auth=(USER, PASSWORD), timeout=10,
                            trust_env=False)
        answer.raise_for_status()
        return str(answer.json()["token"])

    def peers(self) -> int:
        answer = self._get("/peers")
        return len([line for line in answer.text.splitlines() if line.strip()])

    def pin_state(self, cid: str) -> dict[str, str]:
        """Per cluster peer name: the status of `cid` there (pinned, pinning, …)."""
        answer = self._get(f"/pins/{cid}")
        if answer.status_code != 200:
            return {}
        return {info.get("peername", p): info["status"]
                for p, info in (answer.json().get("peer_map") or {}).items()}

    def log(self) -> str:
        path = self.workdir / "cluster.log"
        return _tail(path.read_text(errors="replace")) if path.exists() else ""

    # -- internals --------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IPFS_", "CLUSTER_"))}
        env["IPFS_CLUSTER_PATH"] = str(self.path)
        return env

    def _init(self) -> None:
        done = subprocess.run([str(cluster_binary()), "init", "--consensus", "crdt"],
                              env=self._env(), capture_output=True, text=True, timeout=60,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ipfs-cluster-service init failed:\n{done.stderr}")

    def _configure(self) -> None:
        if not self.listen_port:
            self.listen_port, self.rest_port, self.proxy_port, self.pinsvc_port = (
                free_port(), free_port(), free_port(), free_port())
        path = self.path / "service.json"
        config: dict[str, Any] = json.loads(path.read_text())
        loopback = "/ip4/127.0.0.1/tcp/{}".format
        cluster = config["cluster"]
        cluster.update(peername=self.name, secret=self.secret, mdns_interval="0s",
                       enable_relay_hop=False, listen_multiaddress=[loopback(self.listen_port)],
                       monitor_ping_interval="2s", peer_watch_interval="2s")
        api = config["api"]
        api["restapi"]["http_listen_multiaddress"] = loopback(self.rest_port)
        api["ipfsproxy"]["listen_multiaddress"] = loopback(self.proxy_port)
        api["ipfsproxy"]["node_multiaddress"] = loopback(self.kubo.api_port)
        api["pinsvcapi"]["http_listen_multiaddress"] = loopback(self.pinsvc_port)
        api["pinsvcapi"]["basic_auth_credentials"] = {USER: PASSWORD}
        http = config["ipfs_connector"]["ipfshttp"]
        http.update(node_multiaddress=loopback(self.kubo.api_port), connect_swarms_delay="1s")
        path.write_text(json.dumps(config, indent=2))

    def _get(self, path: str) -> httpx.Response:
        return httpx.get(self.rest_url + path, timeout=5, trust_env=False)

    def _wait(self, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"cluster peer {self.name} exited:\n{self.log()}")
            try:
                if ready():
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"cluster peer {self.name} not ready in {START_TIMEOUT:g} s:\n"
                           f"{self.log()}")


class Cluster:
    def __init__(self, workdir: Path) -> None:
        secret = secrets.token_hex(32)
        self.kubos = [KuboDaemon(workdir / f"kubo{n}", binary=kubo_binary(), online=True)
                      for n in (1, 2)]
        self.peers = [ClusterPeer(workdir / f"peer{n}", kubo, secret, f"peer{n}")
                      for n, kubo in zip((1, 2), self.kubos, strict=True)]

    def start(self) -> Cluster:
        for kubo in self.kubos:
            kubo.start()
        connect(self.kubos[0], self.kubos[1])
        first, second = self.peers
        first.start()
        second.start(bootstrap=first.address)
        first._wait(lambda: first.peers() == 2 and second.peers() == 2)
        return self

    def stop(self) -> None:
        for peer in reversed(self.peers):
            peer.stop()
        for kubo in self.kubos:
            kubo.stop()


def connect(a: KuboDaemon, b: KuboDaemon) -> None:
    """swarm/connect a to b (both online test nodes)."""
    answer = httpx.post(f"{a.api_url}/api/v0/swarm/connect", params={"arg": b.swarm_address},
                        timeout=10, trust_env=False)
    assert answer.status_code == 200, answer.text


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        running = Cluster(tmp_path_factory.mktemp("cluster")).start()
    except RuntimeError as exc:
        pytest.fail(f"IPFS Cluster did not start: {exc}", pytrace=False)
    yield running
    running.stop()


@pytest.fixture
def editor_kubo(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[KuboDaemon]:
    daemon = KuboDaemon(tmp_path_factory.mktemp("editor-kubo"), binary=kubo_binary(),
                        online=True).start()
    for node in cluster.kubos:
        connect(daemon, node)
    yield daemon
    daemon.stop()
