"""Debian's `tor`, offline, as the onion test's judge: started with DisableNetwork 1 and
HiddenServiceDir = the mirror's hs_dir, it reads mirrorpub's key and writes the service's
`hostname` (and public key) itself. Nothing leaves 127.0.0.1: no network, no SOCKS port.

The onion cannot be reached through Tor here: that needs the Tor network.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

START_TIMEOUT = 60.0


def tor_binary() -> str:
    found = shutil.which("tor") or ("/usr/sbin/tor" if Path("/usr/sbin/tor").exists() else None)
    if not found:
        raise RuntimeError("Debian's tor is missing: run `make tor` (make test does)")
    return found


@contextlib.contextmanager
def offline_tor(hs_dir: Path, workdir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """tor serving hs_dir's key to 127.0.0.1:port, until the block ends; waits until tor
    has written `hostname` (remove it first to see tor write its own)."""
    workdir.mkdir(parents=True, exist_ok=True)
    torrc = workdir / "torrc"
    torrc.write_text("\n".join([
        "DisableNetwork 1", "SocksPort 0", "ControlPort 0", "ORPort 0", "DirPort 0",
        f"DataDirectory {workdir / 'data'}", f"HiddenServiceDir {hs_dir}",
        f"HiddenServicePort 80 127.0.0.1:{port}", f"Log notice file {workdir / 'tor.log'}",
        "AvoidDiskWrites 1", ""]))
    process = subprocess.Popen([tor_binary(), "-f", str(torrc), "--defaults-torrc", "/dev/null",
                                "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(hs_dir / "hostname", process, workdir / "tor.log")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _wait_for(hostname: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if hostname.is_file() and hostname.read_bytes().endswith(b".onion\n"):
            return
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"tor exited {process.returncode}: {err}\n{_tail(log)}")
        time.sleep(0.1)
    raise RuntimeError(f"tor wrote no hostname within {START_TIMEOUT} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    with contextlib.suppress(OSError):
        return log.read_text(errors="replace")[-3000:]
    return ""
