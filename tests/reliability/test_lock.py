"""One publish at a time per site (SPEC §8), and a lock that outlives no crash.

The first publish is held mid-way by a fault proxy that stalls its S3 requests, so it
really is running (lock taken, talking to the mirror) when the second one starts.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.config import load_config
from mirrorpub.publish.run import publish
from tests.reliability.conftest import (
    assert_same_files,
    bucket_objects,
    finish,
    folder_files,
    s3_mirror,
    start_mirrorpub,
)
from tests.services.faultproxy import FORWARD, STALL, FaultProxy
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

pytestmark = [pytest.mark.s3]


def _wait_for_request(proxy: FaultProxy, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not proxy.requests:
        assert time.monotonic() < deadline, "the first publish never reached the mirror"
        time.sleep(0.05)


def _site(root: Path, seaweed: Any, bucket: str, proxy: FaultProxy) -> Path:
    return write_site(root, {"a.md": article("A"), "b.md": article("B")}, mirrors=[
        s3_mirror(seaweed, bucket, endpoint=proxy.url),
        {"name": "usb", "type": "directory", "path": str(root / "usb")}])


def test_a_second_publish_refuses_naming_the_holder_and_sends_nothing(
        seaweed: Any, tmp_path: Path, tally: Counter[str]) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint, lambda request: STALL) as proxy:
        _site(tmp_path, seaweed, bucket, proxy)
        first = start_mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
        try:
            _wait_for_request(proxy)
            seen = len(proxy.requests)
            second = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
            json_second = mirrorpub("publish", "--json", cwd=tmp_path, env=seaweed.env())
            tally["faults injected (concurrent publish)"] += 2
            assert len(proxy.requests) == seen, "the refused publish talked to the mirror"
        finally:
            first.send_signal(signal.SIGKILL)
            finish(first)
        tally["faults injected (kill -9)"] += 1
    for result in (second, json_second):
        assert_no_traceback(result)
        assert result.returncode == 1
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1, message
        assert "another publish of this site is running" in message
        assert f"pid {first.pid}" in message and "mirrorpub publish" in message, message
    assert json_second.stdout == ""
    assert seaweed.keys(bucket) == {}
    assert not (tmp_path / "usb").exists()


def test_the_lock_survives_a_kill_of_its_holder(seaweed: Any, tmp_path: Path,
                                                tally: Counter[str]) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint, lambda request: STALL) as proxy:
        _site(tmp_path, seaweed, bucket, proxy)
        first = start_mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
        _wait_for_request(proxy)
        first.send_signal(signal.SIGKILL)
        code, _, _ = finish(first)
        assert code == -signal.SIGKILL
        tally["faults injected (kill -9)"] += 1
        proxy.rule = lambda request: FORWARD
        after = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
    assert after.returncode == 0, after.stderr
    local = folder_files(tmp_path / "public")
    assert_same_files(bucket_objects(seaweed, bucket), local, "S3 after the holder was killed")
    assert_same_files(folder_files(tmp_path / "usb"), local, "folder after the holder was killed")


def test_a_waiting_publish_proceeds_once_the_holder_dies(
        seaweed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        tally: Counter[str]) -> None:
    bucket = seaweed.make_bucket()
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    with FaultProxy.to(seaweed.endpoint, lambda request: STALL) as proxy:
        config = load_config(_site(tmp_path, seaweed, bucket, proxy))
        first = start_mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
        _wait_for_request(proxy)
        results: list[Any] = []

        def wait_and_publish() -> None:
            try:
                results.append(publish(config, lock_wait=60))
            except Exception as exc:  # reported by the assertion below
                results.append(exc)

        retried = _watch_lock_retries(monkeypatch)
        waiter = threading.Thread(target=wait_and_publish)
        waiter.start()
        # It found the lock held and tries again, rather than giving up or going ahead.
        assert retried.wait(60), "the second publish never found the lock held"
        assert not results, "the second publish did not wait for the lock"
        proxy.rule = lambda request: FORWARD
        first.send_signal(signal.SIGKILL)
        finish(first)
        tally["faults injected (kill -9)"] += 1
        waiter.join(timeout=120)
    assert results and not isinstance(results[0], Exception), results
    assert results[0].exit_code == 0
    assert_same_files(bucket_objects(seaweed, bucket), folder_files(tmp_path / "public"),
                      "S3 after waiting for the lock")


def _watch_lock_retries(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set when a publish in this process finds the site lock held and waits."""
    from mirrorpub.publish import lock

    retried = threading.Event()

    class _Time:
        monotonic = staticmethod(time.monotonic)

        @staticmethod
        def sleep(seconds: float) -> None:
            retried.set()
            time.sleep(seconds)

    monkeypatch.setattr(lock, "time", _Time)
    return retried


@pytest.mark.parametrize("planted", ["link to a file", "dangling link", "fifo"])
def test_a_lock_file_planted_as_a_link_or_fifo_is_refused(planted: str, tmp_path: Path,
                                                         tally: Counter[str]) -> None:
    """The lock is truncated and rewritten by every publish: through a link planted at
    .mirrorpub/lock it would wipe whatever file the link points at."""
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"the editor's notes")
    root = tmp_path / "site"
    write_site(root, {"a.md": article("A")},
               mirrors=[{"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])
    lock = root / ".mirrorpub" / "lock"
    lock.parent.mkdir()
    if planted == "fifo":
        os.mkfifo(lock)
    else:
        os.symlink(victim if planted == "link to a file" else tmp_path / "nowhere", lock)
    tally["hostile inputs tried"] += 1
    result = mirrorpub("publish", cwd=root, timeout=60)
    assert_no_traceback(result)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(lock) in lines[0], result.stderr
    assert "symbolic link" in lines[0] or "not a regular file" in lines[0]
    assert victim.read_bytes() == b"the editor's notes"
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "usb").exists()
