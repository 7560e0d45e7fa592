"""A 50 MB file goes to S3 as a multipart upload with its sha256 recorded, survives a
publish killed in the middle of its parts, and is not sent again once it is there.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import (
    PidHolder,
    assert_readable_copy,
    assert_same_files,
    crawl_bucket,
    crawl_folder,
    finish,
    folder_files,
    s3_mirror,
    start_mirrorpub,
    wait_quiet,
)
from tests.services.faultproxy import FORWARD, STALL, FaultProxy, Request
from tests.sitekit import article, mirrorpub, write_site

pytestmark = [pytest.mark.s3]

BIG = 50 * 1024 * 1024


class KillAtPart:
    """Proxy rule: SIGKILL the publish when the n-th multipart part arrives."""

    def __init__(self, n: int, target: PidHolder) -> None:
        self.n, self.target, self.parts = n, target, 0
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> str:
        if "partNumber=" not in request.query:
            return FORWARD
        with self.lock:
            self.parts += 1
            if self.parts < self.n:
                return FORWARD
        self.target.kill()
        return STALL


def test_a_50mb_file_is_sent_in_parts_with_its_sha256_and_survives_a_kill(
        seaweed: Any, tmp_path: Path, tally: Counter[str]) -> None:
    bucket = seaweed.make_bucket()
    root = tmp_path / "site"
    holder = PidHolder()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_site(root, {"a.md": article("A", body="Small.")}, mirrors=[
            s3_mirror(seaweed, bucket, endpoint=proxy.url),
            {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])
        mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)

        data = os.urandom(BIG)
        (root / "content" / "archive.bin").write_bytes(data)
        (root / "content" / "b.md").write_text(article("B", body="[archive](archive.bin)"))
        proxy.rule = KillAtPart(2, holder)
        process = start_mirrorpub("publish", cwd=root, env=seaweed.env())
        holder.pid = process.pid
        code, _, err = finish(process)
        assert code == -signal.SIGKILL, err
        tally["faults injected (kill -9)"] += 1
        wait_quiet(proxy)
        assert_readable_copy(crawl_bucket(seaweed, bucket), "S3 cut in the middle of a part")
        assert_readable_copy(crawl_folder(tmp_path / "usb"), "folder beside it")

        proxy.rule = lambda request: FORWARD
        mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)
        head = seaweed.client().head_object(Bucket=bucket, Key="files/archive.bin")
        assert head["ContentLength"] == BIG
        assert "-" in head["ETag"], "not a multipart upload"
        assert head["Metadata"]["mirrorpub-sha256"] == hashlib.sha256(data).hexdigest()
        body = seaweed.client().get_object(Bucket=bucket, Key="files/archive.bin")["Body"]
        assert hashlib.sha256(body.read()).hexdigest() == hashlib.sha256(data).hexdigest()
        assert_same_files(folder_files(tmp_path / "usb"), folder_files(root / "public"),
                          "folder with the big file")

        before = len(proxy.requests)
        mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)
        again = proxy.requests[before:]
    assert not [r for r in again if r.mutates], "an unchanged site was sent again"
    assert_readable_copy(crawl_bucket(seaweed, bucket), "S3 with the big file")
