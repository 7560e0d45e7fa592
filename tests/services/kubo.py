"""A real kubo (IPFS) daemon for tests: offline, on loopback, in a throwaway repo.

Use it from a conftest by importing the fixtures (pytest finds them by name):

    from tests.services.kubo import kubo_client, kubo_daemon, kubo_factory  # noqa: F401

    kubo_daemon   session-scoped KuboDaemon shared by every test; do not kill or reconfigure it
    kubo_client   a TestKubo (mirrorpub's KuboClient, plus reads only tests need) on
                  kubo_daemon's API, closed after the test
    kubo_factory  make_daemon(**config) -> a fresh started KuboDaemon of the test's own,
                  stopped after it: for tests that kill, restart or reconfigure a daemon

The binary comes from scripts/build-kubo.sh, which builds it when missing (minutes, once
per machine); a failed build fails the tests, it never skips them. To keep that build out
of the first test's pytest-timeout, call build_kubo_before_tests(session) from a
pytest_collection_finish hook (tests/kubo/conftest.py does).

The daemon runs with `ipfs daemon --offline` and the "test" profile, with no bootstrap
peers, no swarm listener, AutoConf and telemetry off: it never reaches for the internet.
Its RPC API and gateway listen on free ports of 127.0.0.1. The gateway is path-style on
127.0.0.1 (http://127.0.0.1:PORT/ipfs/CID/index.html answers 200); on the host name
"localhost" kubo instead redirects to the subdomain form CID.ipfs.localhost.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mirrorpub.mirrors.ipfs.kubo import KuboClient

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-kubo.sh"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
KUBO_FIXTURES = {"kubo_daemon", "kubo_client", "kubo_factory"}

# "bafkqaaa" is the identity CID of zero bytes: any gateway serves it without a blockstore,
# so asking for it shows the gateway is up and path-style.
EMPTY_CID = "bafkqaaa"


class KuboStartError(RuntimeError):
    """The daemon did not come up; the message carries its output."""


@functools.cache
def kubo_binary() -> Path:
    """Path of the kubo binary, building it with scripts/build-kubo.sh when missing."""
    try:
        done = subprocess.run(
            ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise RuntimeError(f"cannot run {BUILD_SCRIPT}: {exc}") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not Path(lines[-1]).is_file():
        raise RuntimeError(
            f"{BUILD_SCRIPT} failed (exit {done.returncode}); kubo is needed by the IPFS "
            f"tests.\n--- stderr (tail) ---\n{_tail(done.stderr)}"
        )
    return Path(lines[-1])


def build_kubo_before_tests(session: pytest.Session) -> None:
    """Build kubo during collection when a collected test needs it (no test timeout runs then)."""
    if any(KUBO_FIXTURES & set(getattr(item, "fixturenames", ())) for item in session.items):
        try:
            kubo_binary()
        except RuntimeError as exc:
            raise pytest.UsageError(str(exc)) from exc


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class KuboDaemon:
    """One kubo daemon with its own repo under ``workdir``.

    ``config`` maps dotted kubo config keys to values written into the repo's config
    before the daemon starts, e.g. {"API.Authorizations": {...}}.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        binary: Path | None = None,
        config: dict[str, Any] | None = None,
        online: bool = False,
    ) -> None:
        self.workdir = Path(workdir)
        # Online: a swarm listener on 127.0.0.1 so blocks move between test nodes (no
        # bootstrap, no mDNS, no routing: peers meet only by swarm/connect).
        self.online = online
        self.swarm_port = 0
        self.repo = self.workdir / "repo"
        self.binary = Path(binary) if binary else kubo_binary()
        self.config = dict(config or {})
        self.api_port = 0
        self.gateway_port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0  # how long the last start() took

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def swarm_address(self) -> str:
        """This node's multiaddr for swarm/connect (online nodes only)."""
        peer = json.loads((self.repo / "config").read_text())["Identity"]["PeerID"]
        return f"/ip4/127.0.0.1/tcp/{self.swarm_port}/p2p/{peer}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> KuboDaemon:
        """Init the repo if needed and start the daemon; returns once API and gateway answer.

        Keeps its ports across restarts; picks new ones only if a port was taken meanwhile.
        """
        if self.running:
            return self
        began = time.monotonic()
        if not (self.repo / "config").exists():
            self._init_repo()
        for attempt in range(3):
            if not self.api_port or attempt:
                self.api_port, self.gateway_port = _two_free_ports()
                self.swarm_port = free_port() if self.online else 0
            self._write_config()
            self._spawn()
            try:
                self._wait_until_ready()
            except KuboStartError as exc:
                self.kill()
                if "address already in use" in str(exc) and attempt < 2:
                    continue
                raise
            self.start_seconds = time.monotonic() - began
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM), SIGKILL if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a crash would: for fault tests."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process = None

    def restart(self) -> KuboDaemon:
        self.stop()
        return self.start()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the ipfs command line on this repo (it talks to the running daemon)."""
        return subprocess.run(
            [str(self.binary), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    def log(self) -> str:
        """The daemon's stdout and stderr so far (all starts)."""
        return "".join(
            f"--- {name} ---\n{_tail(path.read_text(errors='replace'))}\n"
            for name, path in (("stdout", self._stdout), ("stderr", self._stderr))
            if path.exists()
        )

    # -- internals ------------------------------------------------------------------------

    @property
    def _stdout(self) -> Path:
        return self.workdir / "daemon.stdout.log"

    @property
    def _stderr(self) -> Path:
        return self.workdir / "daemon.stderr.log"

    def _env(self) -> dict[str, str]:
        # Drop the caller's IPFS_* settings (a real IPFS_PATH above all) before adding ours.
        env = {k: v for k, v in os.environ.items() if not k.startswith("IPFS_")}
        env["IPFS_PATH"] = str(self.repo)
        env["IPFS_TELEMETRY"] = "off"
        return env

    def _init_repo(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [str(self.binary), "init", "--profile=test", "--empty-repo"],
            env=self._env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if done.returncode != 0:
            raise KuboStartError(f"ipfs init failed:\n{done.stdout}{done.stderr}")

    def _write_config(self) -> None:
        """Pin the addresses to our ports and shut every door to the outside."""
        path = self.repo / "config"
        config = json.loads(path.read_text())
        settings: dict[str, Any] = {
            "Addresses.API": f"/ip4/127.0.0.1/tcp/{self.api_port}",
            "Addresses.Gateway": f"/ip4/127.0.0.1/tcp/{self.gateway_port}",
            # --offline does not listen anyway; an online test node only on loopback.
            "Addresses.Swarm": [f"/ip4/127.0.0.1/tcp/{self.swarm_port}"] if self.online else [],
            "Addresses.NoAnnounce": [],
            "Swarm.RelayClient.Enabled": False,
            "Swarm.RelayService.Enabled": False,
            "Swarm.DisableNatPortMap": True,
            "Bootstrap": [],
            "Peering.Peers": [],
            "AutoConf.Enabled": False,  # would fetch bootstrap/DNS/routing lists over HTTPS
            "AutoTLS.Enabled": False,
            "Discovery.MDNS.Enabled": False,
            "Routing.DelegatedRouters": [],
            "Ipns.DelegatedPublishers": [],
            "Plugins.Plugins.telemetry.Config.Mode": "off",
            **({"Routing.Type": "none"} if self.online else {}),
            **self.config,
        }
        for key, value in settings.items():
            _set_dotted(config, key, value)
        path.write_text(json.dumps(config, indent=2))

    def _spawn(self) -> None:
        with self._stdout.open("ab") as out, self._stderr.open("ab") as err:
            self.process = subprocess.Popen(
                [str(self.binary), "daemon", *([] if self.online else ["--offline"])],
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while True:
                if self.process is None or self.process.poll() is not None:
                    raise KuboStartError(f"ipfs daemon exited while starting\n{self.log()}")
                if self._answers(http):
                    return
                if time.monotonic() > deadline:
                    raise KuboStartError(
                        f"ipfs daemon did not answer within {START_TIMEOUT:g} s at "
                        f"{self.api_url}\n{self.log()}"
                    )
                time.sleep(0.02)

    def _answers(self, http: httpx.Client) -> bool:
        """True when the API answers and the gateway serves a path-style /ipfs/ URL."""
        try:
            version = http.post(f"{self.api_url}/api/v0/version")
            gateway = http.get(f"{self.gateway_url}/ipfs/{EMPTY_CID}", follow_redirects=False)
        except httpx.TransportError:
            return False
        # 401/403: the API is up but wants credentials (a test that sets API.Authorizations).
        if version.status_code not in {200, 401, 403}:
            return False
        if gateway.status_code != 200:
            raise KuboStartError(
                f"the gateway at {self.gateway_url} answered /ipfs/{EMPTY_CID} with "
                f"{gateway.status_code} {gateway.headers.get('location', '')}\n{self.log()}"
            )
        return True


def _two_free_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


def _set_dotted(config: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = config
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value


def _die_with_parent() -> None:
    """Linux: SIGKILL the daemon if pytest dies, so no daemon outlives a crashed run."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _start_or_fail(daemon: KuboDaemon) -> KuboDaemon:
    try:
        return daemon.start()
    except KuboStartError as exc:
        pytest.fail(f"kubo did not start: {exc}", pytrace=False)


def _binary_or_fail() -> Path:
    try:
        return kubo_binary()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def kubo_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboDaemon]:
    """One offline daemon for the whole session. Do not kill or reconfigure it."""
    daemon = KuboDaemon(tmp_path_factory.mktemp("kubo"), binary=_binary_or_fail())
    _start_or_fail(daemon)
    yield daemon
    daemon.stop()


@pytest.fixture
def kubo_client(kubo_daemon: KuboDaemon) -> Iterator[TestKubo]:
    with TestKubo(kubo_daemon.api_url) as client:
        yield client


@pytest.fixture
def kubo_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., KuboDaemon]]:
    """make_daemon(**config) starts a daemon of the test's own; all are stopped after it.

    Keyword arguments are dotted config keys with "__" for ".", e.g.
    make_daemon(API__Authorizations={...}).
    """
    daemons: list[KuboDaemon] = []

    def make_daemon(**config: Any) -> KuboDaemon:
        daemon = KuboDaemon(
            tmp_path_factory.mktemp("kubo-own"),
            binary=_binary_or_fail(),
            config={key.replace("__", "."): value for key, value in config.items()},
        )
        daemons.append(daemon)
        return _start_or_fail(daemon)

    yield make_daemon
    for daemon in daemons:
        daemon.stop()


class TestKubo(KuboClient):
    """mirrorpub's client, with the reads only tests make (mirrorpub itself never does)."""

    __test__ = False  # not a test class, whatever its name

    def name_resolve(self, name: str, *, timeout: float = 60.0) -> str:
        """Resolve an IPNS name to the "/ipfs/CID…" path it points to, bypassing the cache."""
        return str(self._call("name/resolve", timeout=timeout, arg=name, nocache="true")["Path"])
