"""A publish killed with SIGKILL at many exact points leaves every mirror readable, and the
next publish finishes the job (SPEC §8: "A publish cut off at any point …").

S3: the publish talks to SeaweedFS through a fault proxy that kills it when the N-th
changing request (PUT, POST ?delete) arrives, for N spread over the whole publish. The
folder mirror beside it is cut wherever it happens to be at that moment. A folder-only
publish is also killed just before its N-th rename or unlink (tests/reliability/
crashpoint.py). After each kill, a reader crawling from index.html finds no broken link,
every page is byte for byte the old version or the new one, and the local state and the
remote index still parse. Then a normal publish must leave each copy identical to the
local build: every file there with the right sha256, nothing stale left behind.
An IPFS publish killed mid-add keeps serving (and pinning) its previous root.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.config import load_config
from mirrorpub.mirrors.remoteindex import INDEX_NAME
from mirrorpub.publish.run import publish
from mirrorpub.read.verify import verify_copy
from mirrorpub.trust.signing import keygen
from tests.reliability.conftest import (
    PidHolder,
    assert_index_parses,
    assert_manifest_whole,
    assert_readable_copy,
    assert_same_files,
    assert_state_parses,
    bucket_objects,
    crawl_bucket,
    crawl_folder,
    finish,
    folder_files,
    is_manifest_file,
    s3_mirror,
    sha,
    start_mirrorpub,
    wait_quiet,
)
from tests.services.faultproxy import FORWARD, STALL, FaultProxy, Request
from tests.sitekit import article, crawl, http_fetcher, mirrorpub, write_site

pytestmark = [pytest.mark.s3]


def _image(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest() * 200  # 6.4 KB, distinct per name


def write_v1(root: Path, mirrors: list[dict[str, Any]]) -> Path:
    articles, files = {}, {}
    for day, name in enumerate("abcdef", start=10):
        body = f"Story {name}.\n\n![photo](img/{name}.png)\n"
        if name == "a":
            body += "\nSee also [the b story](b.md).\n"
        articles[f"{name}.md"] = article(f"Story {name}", date=f"2026-11-{day}T12:00:00+00:00",
                                         body=body, tags=["news", "early" if name < "d"
                                                          else "late"])
        files[f"img/{name}.png"] = _image(name)
    return write_site(root, articles, files=files, mirrors=mirrors, per_page=3,
                      signing_key=str(root / "site.key"))


def write_v2(root: Path) -> None:
    """Remove one story and its photo, change one, add two with new photos."""
    content = root / "content"
    (content / "c.md").unlink()
    (content / "img" / "c.png").unlink()
    (content / "b.md").write_text(article("Story b, corrected", date="2026-11-11T12:00:00+00:00",
                                          body="Corrected.\n\n![photo](img/b.png)\n",
                                          tags=["news", "early"]), encoding="utf-8")
    for day, name in ((20, "g"), (21, "h")):
        (content / f"{name}.md").write_text(article(
            f"Story {name}", date=f"2026-11-{day}T12:00:00+00:00",
            body=f"New {name}.\n\n![photo](img/{name}.png)\n\n[older](a.md)\n",
            tags=["news", "fresh"]), encoding="utf-8")
        (content / "img" / f"{name}.png").write_bytes(_image(name))


def make_site(root: Path, mirrors: list[dict[str, Any]], env: dict[str, str],
              monkeypatch: pytest.MonkeyPatch) -> Path:
    """Site v1, published in-process (setup, not under test)."""
    root.mkdir(parents=True)
    (root / "site.pub").write_text(keygen(root / "site.key").public_text + "\n")
    config = write_v1(root, mirrors)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    report = publish(load_config(config))
    assert report.exit_code == 0, [m.as_json() for m in report.mirrors]
    # The next publish's stamp (to the second) must differ from this one's, as any later
    # edit's does: within the same second bc2.json, which shows only the stamp, stays the
    # same, and that publish makes one request fewer than the reference run counted.
    time.sleep(1.01 - time.time() % 1)
    return config


class KillAtMutation:
    """Proxy rule: SIGKILL the publish when its n-th changing request arrives; hold it."""

    def __init__(self, n: int, target: PidHolder) -> None:
        self.n = n
        self.target = target
        self.seen = 0
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> str:
        if not request.mutates:
            return FORWARD
        with self.lock:
            self.seen += 1
            if self.seen < self.n:
                return FORWARD
        self.target.kill()
        return STALL


def assert_old_or_new(pages: dict[str, bytes], old: dict[str, bytes], new: dict[str, bytes],
                      where: str) -> None:
    for path, body in pages.items():
        if is_manifest_file(path):
            continue
        versions = {sha(v) for v in (old.get(path), new.get(path)) if v is not None}
        assert sha(body) in versions, f"{where}: {path} is neither the old nor the new version"


def mutations_of_v2(seaweed: Any, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many changing S3 requests the v1 -> v2 publish makes (a reference run)."""
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        mirrors = [s3_mirror(seaweed, bucket, endpoint=proxy.url),
                   {"name": "usb", "type": "directory", "path": str(tmp / "usb")}]
        config = make_site(tmp / "site", mirrors, seaweed.env(), monkeypatch)
        write_v2(tmp / "site")
        before = len(proxy.mutations())
        assert publish(load_config(config)).exit_code == 0
        return len(proxy.mutations()) - before


def test_sigkill_at_every_stage_of_an_s3_and_folder_publish(
        seaweed: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        tally: Counter[str]) -> None:
    total = mutations_of_v2(seaweed, tmp_path / "reference", monkeypatch)
    assert total >= 12  # index, 4 files, pages, manifest files, delete, final index
    points = sorted({1, 2, 3, total // 3, total // 2, 2 * total // 3, total - 2, total - 1,
                     total})
    for n in points:
        root = tmp_path / f"cut-{n}"
        bucket = seaweed.make_bucket()
        holder = PidHolder()
        with FaultProxy.to(seaweed.endpoint) as proxy:
            mirrors = [s3_mirror(seaweed, bucket, endpoint=proxy.url),
                       {"name": "usb", "type": "directory", "path": str(root / "usb")}]
            make_site(root / "site", mirrors, seaweed.env(), monkeypatch)
            old_s3 = bucket_objects(seaweed, bucket)
            old_usb = folder_files(root / "usb")
            write_v2(root / "site")

            proxy.rule = KillAtMutation(n, holder)
            process = start_mirrorpub("publish", cwd=root / "site", env=seaweed.env())
            holder.pid = process.pid
            code, _, err = finish(process)
            assert code == -signal.SIGKILL, f"publish was not cut at mutation {n}: {err}"
            tally["faults injected (kill -9)"] += 1
            wait_quiet(proxy)

            cut_s3 = crawl_bucket(seaweed, bucket)
            assert_readable_copy(cut_s3, f"S3 after a kill at mutation {n}")
            cut_usb = crawl_folder(root / "usb")
            assert_readable_copy(cut_usb, f"folder after a kill at mutation {n}")
            assert_state_parses(root / "site")
            index = seaweed.client().get_object(Bucket=bucket, Key=INDEX_NAME)["Body"].read()
            assert_index_parses(index, f"S3 after a kill at mutation {n}")
            assert_index_parses((root / "usb" / INDEX_NAME).read_bytes(), "folder")

            proxy.rule = lambda request: FORWARD
            done = mirrorpub("publish", cwd=root / "site", env=seaweed.env())
            assert done.returncode == 0, done.stderr

        local = folder_files(root / "site" / "public")
        new_s3 = bucket_objects(seaweed, bucket)
        assert_same_files(new_s3, local, f"S3 after recovering from a kill at {n}")
        assert_same_files(folder_files(root / "usb", hidden=True), local,
                          f"folder (kill at {n})")
        assert "articles/c.html" not in new_s3  # the removed story is gone
        assert_old_or_new(cut_s3.pages, old_s3, new_s3, f"S3 cut at {n}")
        assert_old_or_new(cut_usb.pages, old_usb, local, f"folder cut at {n}")
        assert_readable_copy(crawl_bucket(seaweed, bucket), "S3 after recovery")
        for path, data in new_s3.items():
            head = seaweed.client().head_object(Bucket=bucket, Key=path)
            assert head["Metadata"].get("mirrorpub-sha256") == sha(data), path
        shutil.rmtree(root)


def _folder_site(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    mirrors = [{"name": "usb", "type": "directory", "path": str(root / "usb")}]
    return make_site(root / "site", mirrors, {}, monkeypatch)


def test_sigkill_before_each_file_operation_of_a_folder_publish(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Counter[str]) -> None:
    reference = tmp_path / "reference"
    _folder_site(reference, monkeypatch)
    write_v2(reference / "site")
    count_file = tmp_path / "count"
    process = start_mirrorpub("publish", cwd=reference / "site", module=
                              "tests.reliability.crashpoint",
                              env={"CRASH_DIR": str(reference / "usb"), "CRASH_AT": "0",
                                   "CRASH_COUNT_FILE": str(count_file)})
    code, _, err = finish(process)
    assert code == 0, err
    total = int(count_file.read_text())
    assert total >= 12
    points = range(1, total + 1)  # every rename and unlink of the publish
    for n in points:
        root = tmp_path / f"cut-{n}"
        _folder_site(root, monkeypatch)
        old = folder_files(root / "usb")
        write_v2(root / "site")
        # Every other time the publish that picks up the pieces is killed too, early.
        for crash_at in (n, 3) if n % 2 else (n,):
            process = start_mirrorpub("publish", cwd=root / "site",
                                      module="tests.reliability.crashpoint",
                                      env={"CRASH_DIR": str(root / "usb"),
                                           "CRASH_AT": str(crash_at)})
            code, _, err = finish(process)
            assert code == -signal.SIGKILL, f"not cut at file operation {crash_at}: {err}"
            tally["faults injected (kill -9)"] += 1

            cut = crawl_folder(root / "usb")
            assert_readable_copy(cut, f"folder after a kill before file operation {n}")
            # The manifest the copy serves names only whole parts, listing files there.
            assert_manifest_whole(folder_files(root / "usb"), f"folder cut at {crash_at}")
            assert_state_parses(root / "site")
            assert_index_parses((root / "usb" / INDEX_NAME).read_bytes(), "folder index")

        done = mirrorpub("publish", cwd=root / "site")
        assert done.returncode == 0, done.stderr
        local = folder_files(root / "site" / "public")
        assert_same_files(folder_files(root / "usb", hidden=True), local,
                          f"folder after recovering from a kill at {n}")
        checked = verify_copy(str(root / "usb"), key=str(root / "site" / "site.pub"),
                              seen_path=root / "seen.json")
        assert checked.ok, (n, checked.problems, checked.bad_files, checked.extra_files)
        assert_old_or_new(cut.pages, old, local, f"folder cut at {n}")
        shutil.rmtree(root)


@pytest.mark.ipfs
def test_sigkill_during_an_ipfs_add_keeps_the_old_root_and_the_next_publish_adds(
        kubo_daemon: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        tally: Counter[str]) -> None:
    holder = PidHolder()
    with FaultProxy.to(kubo_daemon.api_url) as proxy:
        mirrors = [{"name": "ipfs", "type": "ipfs", "api": proxy.url,
                    "gateways": [kubo_daemon.gateway_url]}]
        make_site(tmp_path / "site", mirrors, {}, monkeypatch)
        old_cid = load_state_json(tmp_path / "site")["mirrors"]["ipfs"]["facts"]["cid"]
        write_v2(tmp_path / "site")

        def kill_mid_add(request: Request, sent: int) -> None:
            if request.path.endswith("/add") and sent > 20_000:
                holder.kill()

        proxy.on_upload = kill_mid_add
        process = start_mirrorpub("publish", cwd=tmp_path / "site")
        holder.pid = process.pid
        assert finish(process)[0] == -signal.SIGKILL
        tally["faults injected (kill -9)"] += 1
        old = crawl(http_fetcher(f"{kubo_daemon.gateway_url}/ipfs/{old_cid}/"))
        assert_readable_copy(old, "the previous IPFS root after a kill mid-add")
        assert old_cid in kubo_daemon.cli("pin", "ls", "--type=recursive").stdout

        proxy.on_upload = None
        done = mirrorpub("publish", "--json", cwd=tmp_path / "site")
    assert done.returncode == 0, done.stderr
    new_cid = json.loads(done.stdout)["mirrors"][0]["cid"]
    assert new_cid != old_cid
    new = crawl(http_fetcher(f"{kubo_daemon.gateway_url}/ipfs/{new_cid}/"))
    assert_readable_copy(new, "the new IPFS root")
    assert "articles/g.html" in new.pages and "articles/c.html" not in new.pages


def load_state_json(site: Path) -> dict[str, Any]:
    return json.loads((site / ".mirrorpub" / "state.json").read_text(encoding="utf-8"))
