"""`mirrorpub publish` to every kind of mirror at once (SPEC §3, §7, §8): one manifest,
all copies agreeing, failures contained."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from mirrorpub.trust.schema import manifest_v2_schema as schema
from tests.services.faultproxy import STALL, FaultProxy
from tests.services.kubo import KuboDaemon
from tests.services.seaweed import SeaweedFS
from tests.sitekit import (
    article,
    assert_no_traceback,
    crawl,
    folder_fetcher,
    http_fetcher,
    listed_files,
    mirrorpub,
    write_site,
)

pytestmark = [pytest.mark.s3, pytest.mark.ipfs]

ARTICLES = {
    "report.md": article("Report", "2026-11-25T12:30:00+06:00", "Text. [help](help.md)",
                         tags=["news"]),
    "help.md": article("Help", "2026-11-20T09:00:00Z", "How to reach us."),
}


def s3_entry(seaweed: SeaweedFS, name: str, bucket: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
            "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET",
            **extra}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def everything(tmp_path: Path, seaweed: SeaweedFS, kubo_daemon: KuboDaemon) -> dict[str, Any]:
    buckets = [seaweed.make_bucket(), seaweed.make_bucket()]
    mirrors = [
        s3_entry(seaweed, "bucket-a", buckets[0]),
        s3_entry(seaweed, "bucket-b", buckets[1], prefix="copy"),
        {"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
         "gateways": [kubo_daemon.gateway_url, "https://dweb.link"]},
        {"name": "usb", "type": "directory", "path": "usb"},
        {"name": "old-cdn", "type": "directory", "path": "old", "retired": True},
    ]
    write_site(tmp_path, ARTICLES, mirrors=mirrors, main_domain="news.example")
    return {"root": tmp_path, "buckets": buckets, "seaweed": seaweed, "kubo": kubo_daemon}


def publish_json(root: Path, seaweed: SeaweedFS, *args: str, code: int = 0) -> dict[str, Any]:
    result = mirrorpub("publish", "--json", *args, cwd=root, env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)  # stdout holds one JSON document and nothing else


def copies(env: dict[str, Any], cid: str) -> dict[str, dict[str, Any]]:
    seaweed, kubo = env["seaweed"], env["kubo"]
    a, b = env["buckets"]
    get = httpx.Client(timeout=10).get
    sources = {
        "bucket-a": get(seaweed.public_url(a) + "mirrors.json"),
        "bucket-b": get(seaweed.public_url(b, "copy/") + "mirrors.json"),
        "ipfs": get(f"{kubo.gateway_url}/ipfs/{cid}/mirrors.json"),
    }
    out = {name: r.json() for name, r in sources.items()}
    out["usb"] = json.loads((env["root"] / "usb" / "mirrors.json").read_text())
    return out


def test_every_copy_carries_one_manifest(everything: dict[str, Any]) -> None:
    root, seaweed = everything["root"], everything["seaweed"]
    report = publish_json(root, seaweed)
    cid = next(m["cid"] for m in report["mirrors"] if m["name"] == "ipfs")
    assert {m["name"] for m in report["mirrors"]} == {"bucket-a", "bucket-b", "ipfs", "usb"}
    assert not (root / "old").exists()  # retired: never pushed
    manifests = copies(everything, cid)
    for name, manifest in manifests.items():
        jsonschema.validate(manifest, schema())
        # Version 2: once every copy had completed its first publish, they were named.
        assert manifest["version"] == report["version"] == 2, name
        by_name = {m["name"]: m for m in manifest["mirrors"]}
        assert "old-cdn" not in by_name  # retired before it ever published: nothing to say
        assert set(by_name) == {"bucket-a", "bucket-b", "ipfs", "usb"}
        assert {m["status"] for m in by_name.values()} == {"active"}
        # A copy on IPFS cannot hold its own CID; every other copy carries it.
        if name == "ipfs":
            assert "cid" not in by_name["ipfs"]
        else:
            assert by_name["ipfs"]["cid"] == cid
            assert by_name["ipfs"]["gateway_urls"] == [
                f"{everything['kubo'].gateway_url}/ipfs/{cid}/index.html",
                f"https://dweb.link/ipfs/{cid}/index.html"]
    # All copies agree, apart from what an IPFS copy cannot know about itself.
    def comparable(m: dict[str, Any]) -> dict[str, Any]:
        return {**m, "mirrors": [{k: v for k, v in e.items()
                                  if k not in ("cid", "url", "gateway_urls")}
                                 for e in m["mirrors"]],
                # The first part holds the per-copy files; the buckets are the same.
                "files_index": m["files_index"][1:]}
    assert len({json.dumps(comparable(m), sort_keys=True) for m in manifests.values()}) == 1
    assert manifests["bucket-a"] == manifests["bucket-b"] == manifests["usb"]


def test_bc2_lists_the_active_web_copies(everything: dict[str, Any]) -> None:
    root, seaweed = everything["root"], everything["seaweed"]
    publish_json(root, seaweed)
    bc2 = json.loads((root / "usb" / "bc2.json").read_text())
    assert bc2["version"] == "2.0"
    (site,) = bc2["sites"]
    assert site["main_domain"] == "news.example"
    urls = {a["url"]: a for a in site["available_alternatives"]}
    a, b = everything["buckets"]
    assert seaweed.public_url(a) + "index.html" in urls
    assert seaweed.public_url(b, "copy/") + "index.html" in urls
    ipfs = [a for a in site["available_alternatives"] if a["type"] == "ipfs"]
    assert len(ipfs) == 1 and "/ipfs/bafy" in ipfs[0]["url"]
    assert all(a["type"] in ("mirror", "ipfs") and a["proto"] in ("http", "https")
               for a in site["available_alternatives"])
    assert not any(u.startswith("file:") for u in urls)  # a folder is not a web copy


def test_every_page_points_to_the_same_page_on_other_copies(everything: dict[str, Any]) -> None:
    root, seaweed = everything["root"], everything["seaweed"]
    publish_json(root, seaweed)
    a, b = everything["buckets"]
    page = seaweed.anonymous_get(a, "articles/report.html").text
    for base in (seaweed.public_url(a), seaweed.public_url(b, "copy/")):
        assert f'href="{base}articles/report.html"' in page
    assert 'href="../mirrors.html"' in page
    mirrors_page = (root / "usb" / "mirrors.html").read_text()
    cid = json.loads((root / "usb" / "mirrors.json").read_text())["mirrors"][2]["cid"]
    assert cid in mirrors_page and seaweed.public_url(b, "copy/") + "index.html" in mirrors_page
    for fetch in (http_fetcher(seaweed.public_url(b, "copy/")), folder_fetcher(root / "usb")):
        assert crawl(fetch).problems == []


def test_version_moves_only_when_something_changed(everything: dict[str, Any]) -> None:
    root, seaweed = everything["root"], everything["seaweed"]
    first = publish_json(root, seaweed)
    published = (root / "usb" / "mirrors.json").read_bytes()
    again = publish_json(root, seaweed)
    assert (first["version"], again["version"], again["changed"]) == (2, 2, False)
    assert (root / "usb" / "mirrors.json").read_bytes() == published  # not even rewritten
    first_cid = next(m["cid"] for m in first["mirrors"] if m["name"] == "ipfs")
    assert next(m["cid"] for m in again["mirrors"] if m["name"] == "ipfs") == first_cid
    source = root / "content" / "help.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    edited = publish_json(root, seaweed)
    assert (edited["version"], edited["changed"]) == (3, True)
    manifests = copies(everything, next(m["cid"] for m in edited["mirrors"] if m["name"] == "ipfs"))
    assert {m["version"] for m in manifests.values()} == {3}
    state = json.loads((root / ".mirrorpub" / "state.json").read_text())
    assert state["version"] == 3


def test_publishing_to_a_subset_leaves_the_others_as_they_were(
        everything: dict[str, Any]) -> None:
    root, seaweed = everything["root"], everything["seaweed"]
    report = publish_json(root, seaweed, "--mirror", "usb", "--mirror", "bucket-a")
    assert [m["name"] for m in report["mirrors"]] == ["usb", "bucket-a"]
    assert seaweed.keys(everything["buckets"][1]) == {}


@pytest.mark.parametrize("failure", ["closed port", "wrong credentials", "stall"])
def test_a_dead_mirror_is_named_marked_failed_and_the_others_still_go_out(
        tmp_path: Path, seaweed: SeaweedFS, failure: str) -> None:
    good = seaweed.make_bucket()
    dead_bucket = seaweed.make_bucket()
    proxy = FaultProxy.to(seaweed.endpoint, rule=lambda request: STALL).start()
    dead = {
        "closed port": s3_entry(seaweed, "dead", dead_bucket,
                                endpoint_url=f"http://127.0.0.1:{closed_port()}", timeout=3),
        "wrong credentials": s3_entry(seaweed, "dead", dead_bucket,
                                      secret_access_key_env="NOT_THE_SECRET"),
        "stall": s3_entry(seaweed, "dead", dead_bucket, endpoint_url=proxy.url, timeout=2),
    }[failure]
    usb = {"name": "usb", "type": "directory", "path": "usb"}
    write_site(tmp_path, ARTICLES, mirrors=[s3_entry(seaweed, "good", good),
                                            s3_entry(seaweed, "dead", dead_bucket), usb])
    publish_json(tmp_path, seaweed)  # every copy published once, so each is named
    write_site(tmp_path, ARTICLES, mirrors=[s3_entry(seaweed, "good", good), dead, usb])
    try:
        result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path,
                           env={**seaweed.env(), "NOT_THE_SECRET": "nope"})
    finally:
        proxy.stop()
    assert_no_traceback(result)
    assert result.returncode == 3
    reason = {"closed port": r"cannot connect to http://127\.0\.0\.1:\d+",
              "wrong credentials": r"http://127\.0\.0\.1:\d+ refused the credentials",
              "stall": r"no answer from http://127\.0\.0\.1:\d+ within 2 s"}[failure]
    assert re.search(rf"dead: FAILED after [\d.]+ s: cannot read the index: {reason}",
                     result.stderr), result.stderr
    for manifest in (json.loads((tmp_path / "usb" / "mirrors.json").read_text()),
                     seaweed.anonymous_get(good, "mirrors.json").json()):
        status = {m["name"]: m["status"] for m in manifest["mirrors"]}
        assert status == {"good": "active", "dead": "failed", "usb": "active"}
    assert crawl(http_fetcher(seaweed.public_url(good))).problems == []


def test_dry_run_shows_every_mirror_and_sends_nothing(everything: dict[str, Any]) -> None:
    root, seaweed = everything["root"], everything["seaweed"]
    result = mirrorpub("publish", "--dry-run", cwd=root, env=seaweed.env())
    assert result.returncode == 0, result.stderr
    for name in ("bucket-a", "bucket-b", "ipfs", "usb"):
        assert re.search(rf"^{name}: ", result.stdout, re.M), result.stdout
    # Two articles, the front page, archive page 1 (of the index and of the tag), the tag, the
    # feed: 7 site files.
    assert re.search(r"^ipfs: add 7 files \(\d+ bytes\) as one tree$", result.stdout, re.M)
    assert not (root / "usb").exists()
    assert seaweed.keys(everything["buckets"][0]) == {}
    assert not (root / ".mirrorpub" / "state.json").exists()


def test_a_second_publish_at_the_same_time_is_refused(tmp_path: Path) -> None:
    from mirrorpub.publish.lock import site_lock

    write_site(tmp_path, ARTICLES, mirrors=[{"name": "usb", "type": "directory", "path": "usb"}])
    with site_lock(tmp_path / ".mirrorpub"):
        result = mirrorpub("publish", cwd=tmp_path)
    assert result.returncode == 1
    assert "another publish of this site is running" in result.stderr
    assert not (tmp_path / "usb").exists()
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0


def test_a_build_waits_for_a_running_publish(tmp_path: Path) -> None:
    import subprocess
    import sys
    import threading

    from mirrorpub.publish.lock import site_lock

    write_site(tmp_path, ARTICLES)
    held, release = threading.Event(), threading.Event()

    def publisher() -> None:  # stands in for a publish that holds the site
        with site_lock(tmp_path / ".mirrorpub"):
            held.set()
            release.wait(60)

    thread = threading.Thread(target=publisher)
    thread.start()
    held.wait(10)
    build = subprocess.Popen([sys.executable, "-m", "mirrorpub", "build"], cwd=tmp_path,
                             stderr=subprocess.PIPE, text=True)
    try:
        # The build has reached the lock (it holds the lock file open) while we hold it:
        # it must wait, not build, not give up.
        assert _opens(build, tmp_path / ".mirrorpub" / "lock"), "the build never took the lock"
        assert build.poll() is None
        assert not (tmp_path / "public").exists()
    finally:
        release.set()
        thread.join()
    assert build.wait(timeout=60) == 0, build.stderr.read() if build.stderr else ""
    assert (tmp_path / "public" / "index.html").is_file()


def _opens(process: Any, path: Path, within: float = 60.0) -> bool:
    """Whether `process` comes to hold `path` open (polling its /proc fd table)."""
    import os
    import time

    target, deadline = os.path.realpath(path), time.monotonic() + within
    while time.monotonic() < deadline and process.poll() is None:
        for fd in Path(f"/proc/{process.pid}/fd").glob("*"):
            try:
                if os.readlink(fd) == target:
                    return True
            except OSError:  # closed meanwhile
                continue
        time.sleep(0.02)
    return False


def test_kept_manifest_files_never_outlive_what_they_show(tmp_path: Path) -> None:
    """A publish that changes nothing reuses its last manifest files; a change to what
    they show (here the theme's mirrors.html), or a damaged kept copy, renders them anew."""
    import hashlib
    import shutil

    from mirrorpub.site.theme import default_theme_dir

    write_site(tmp_path, ARTICLES, mirrors=[{"name": "usb", "type": "directory",
                                             "path": "usb"}])
    usb = tmp_path / "usb"
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0
    first = (usb / "mirrors.json").read_bytes()
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0
    assert (usb / "mirrors.json").read_bytes() == first

    (tmp_path / "templates").mkdir()
    theme = (default_theme_dir() / "mirrors.html").read_text(encoding="utf-8")
    (tmp_path / "templates" / "mirrors.html").write_text(
        theme.replace("{% block main %}", "{% block main %}<p>Also by post.</p>", 1),
        encoding="utf-8")
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0
    page = (usb / "mirrors.html").read_bytes()
    assert b"<p>Also by post.</p>" in page
    listed = listed_files(usb)["mirrors.html"]
    assert listed["sha256"] == hashlib.sha256(page).hexdigest()

    kept = tmp_path / ".mirrorpub" / "manifests"
    current = (usb / "mirrors.json").read_bytes()
    for path in kept.rglob("mirrors.json"):
        path.write_bytes(b"{}")
    (usb / "mirrors.json").unlink()
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0
    assert (usb / "mirrors.json").read_bytes() == current
    shutil.rmtree(kept)
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0
    assert (usb / "mirrors.json").read_bytes() == current


def test_progress_lines_count_up_to_what_is_sent(tmp_path: Path) -> None:
    """In a log (no terminal), each mirror says what it will send and counts up to it,
    the manifest files included."""
    write_site(tmp_path, ARTICLES, mirrors=[{"name": "usb", "type": "directory",
                                             "path": "usb"}])
    result = mirrorpub("publish", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    counts = [tuple(map(int, m.groups())) for m in
              re.finditer(r"^usb: (\d+)/(\d+) files sent$", result.stderr, re.MULTILINE)]
    sent = int(re.search(r"^usb: ok in [\d.]+ s: (\d+) sent", result.stdout, re.MULTILINE)[1])
    assert counts and all(done <= total for done, total in counts), result.stderr
    assert counts[-1] == (sent, sent)
    assert result.stderr.count("usb: sending ") == 1


def test_a_build_after_an_edit_lists_the_new_bytes_in_its_manifest(tmp_path: Path) -> None:
    """`mirrorpub build` writes the manifest of the last publish's stamp: its files list
    must still be the site's files as now built, never kept bytes from before an edit."""
    import hashlib

    write_site(tmp_path, ARTICLES, mirrors=[{"name": "usb", "type": "directory",
                                             "path": "usb"}])
    assert mirrorpub("publish", cwd=tmp_path).returncode == 0
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    source = tmp_path / "content" / "help.md"
    source.write_text(source.read_text() + "\nOne more line.\n")
    assert mirrorpub("build", cwd=tmp_path).returncode == 0
    public = tmp_path / "public"
    listed = listed_files(public)
    page = (public / "articles" / "help.html").read_bytes()
    assert b"One more line." in page
    assert listed["articles/help.html"]["sha256"] == hashlib.sha256(page).hexdigest()
