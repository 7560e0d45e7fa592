"""All six kinds of copies in one site (SPEC §8, §10): one publish updates every one, one
failing kind never stops the others (exit 3); and nothing published, printed or logged
carries a token or the editor's local path (the site lives under a canary user name)."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.kinds.common import make_site, mirror_report, publish
from tests.services.azurite import ACCOUNT, Azurite
from tests.services.githttp import GitServer, bare, git_server
from tests.services.kubo import KuboDaemon
from tests.services.seaweed import SeaweedFS, free_port
from tests.services.webfolder import web_folder
from tests.sitekit import (
    assert_no_traceback,
    crawl,
    folder_fetcher,
    http_fetcher,
    listed_files,
    mirrorpub,
)

pytestmark = [pytest.mark.s3, pytest.mark.ipfs]

CANARY_USER = "canaryuser" + secrets.token_hex(3)
TOKEN = "glpat-" + secrets.token_hex(16)
KINDS = ("s3", "ipfs", "usb", "pages", "onion", "azure")


@dataclass
class World:
    root: Path  # the site, under /…/home/CANARY_USER/
    home: Path
    mirrors: list[dict[str, Any]]
    env: dict[str, str]
    seaweed: SeaweedFS
    bucket: str
    azurite: Azurite
    container: str
    git: GitServer
    repo: Path
    pages_url: str
    kubo: KuboDaemon


@pytest.fixture
def world(tmp_path: Path, seaweed: SeaweedFS, azurite: Azurite,
          kubo_daemon: KuboDaemon) -> Iterator[World]:
    home = tmp_path / "home" / CANARY_USER
    (home / "media").mkdir(parents=True)
    (home / "srv").mkdir()
    bucket, container = seaweed.make_bucket(), azurite.make_container()
    with git_server(home / "remotes", TOKEN) as server, web_folder(tmp_path) as pages_url:
        repo = bare(server.root, "mirror.git")
        mirrors = [
            {"name": "s3", "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
             "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET",
             "public_url": seaweed.public_url(bucket)},
            {"name": "ipfs", "type": "ipfs", "api": kubo_daemon.api_url,
             "gateways": [kubo_daemon.gateway_url]},
            {"name": "usb", "type": "directory", "path": str(home / "media" / "usb")},
            {"name": "pages", "type": "git", "remote": server.repo_url("mirror.git"),
             "token_env": "PAGES_TOKEN", "public_url": pages_url},
            {"name": "onion", "type": "onion", "path": str(home / "srv" / "onion"),
             "hs_dir": str(home / "tor"), "key": str(home / ".config" / "onion.key")},
            {"name": "azure", "type": "azure", "account": ACCOUNT, "container": container,
             "connection_string_env": "TEST_AZURE_CONNECTION",
             "endpoint_url": azurite.endpoint}]
        root = home / "news"
        make_site(root, mirrors)
        env = {**seaweed.env(), **azurite.env(), "PAGES_TOKEN": TOKEN}
        yield World(root, home, mirrors, env, seaweed, bucket, azurite, container, server,
                    repo, pages_url, kubo_daemon)


def test_six_kinds_publish_in_one_run_and_each_reader_finds_a_whole_copy(world: World) -> None:
    report = publish(world.root, world.env)
    assert {m["name"]: m["ok"] for m in report["mirrors"]} == dict.fromkeys(KINDS, True)
    manifest = json.loads((world.home / "media" / "usb" / "mirrors.json").read_text())
    listed = {m["name"]: m for m in manifest["mirrors"]}
    assert {n: m["status"] for n, m in listed.items()} == dict.fromkeys(KINDS, "active")
    assert "url" not in listed["usb"]  # a folder without public_url: name and type only
    assert listed["onion"]["url"].endswith(".onion/index.html")
    for fetch in (http_fetcher(world.seaweed.public_url(world.bucket)),
                  http_fetcher(world.azurite.public_url(world.container)),
                  http_fetcher(listed["ipfs"]["url"].removesuffix("index.html")),
                  folder_fetcher(world.home / "media" / "usb"),
                  folder_fetcher(world.home / "srv" / "onion")):
        assert crawl(fetch).problems == []
    for url in (world.seaweed.public_url(world.bucket),
                world.azurite.public_url(world.container),
                str(world.home / "media" / "usb"), str(world.home / "srv" / "onion")):
        assert mirrorpub("verify", url, cwd=world.root).returncode == 0, url


BREAK = {
    "s3": lambda w, m: m.update(bucket="no-such-bucket-" + secrets.token_hex(3)),
    "ipfs": lambda w, m: m.update(api=f"http://127.0.0.1:{free_port()}", timeout=2),
    "usb": lambda w, m: m.update(path=str(w.home / "unmounted" / "usb")),
    "pages": lambda w, m: m.update(remote=w.git.repo_url("missing.git")),
    "onion": lambda w, m: m.update(key=str(w.home / "not-a-key.pem")),
    "azure": lambda w, m: m.update(container="no-such-container"),
}


def test_one_failing_kind_never_stops_the_others(world: World) -> None:
    (world.home / "not-a-key.pem").write_text("not a key\n")
    publish(world.root, world.env)
    for kind in KINDS:
        mirrors = [dict(m) for m in world.mirrors]
        broken = next(m for m in mirrors if m["name"] == kind)
        BREAK[kind](world, broken)
        make_site(world.root, mirrors)
        (world.root / "content" / "extra.md").write_text(
            f"---\ntitle: While {kind} is down\ndate: 2026-11-24T10:00:00Z\n---\nNews.\n")
        # Found before anything is sent (preflight), but for a git remote: its plan asks it.
        stopped = mirrorpub("publish", cwd=world.root, env=world.env)
        assert_no_traceback(stopped)
        if kind != "pages":
            assert stopped.returncode == 1, (kind, stopped.stderr)
            assert [x for x in stopped.stderr.splitlines() if f"mirror {kind!r}:" in x], \
                stopped.stderr
        report = publish(world.root, world.env, 3, "--skip-preflight")
        oks = {m["name"]: m["ok"] for m in report["mirrors"]}
        assert oks == {k: k != kind for k in KINDS}, (kind, report)
        assert mirror_report(report, kind)["error"]
        listing = json.loads(httpx.get(world.seaweed.public_url(world.bucket) +
                                       "mirrors.json").content) if kind != "s3" else \
            json.loads((world.home / "media" / "usb" / "mirrors.json").read_text())
        status = {m["name"]: m["status"] for m in listing["mirrors"]}
        assert status[kind] == "failed", (kind, status)
        assert f"While {kind} is down" in (world.home / "srv" / "onion" / "index.html"
                                           ).read_text() or kind == "onion"
        (world.root / "content" / "extra.md").unlink()


# --- the canary: no token, no local path ------------------------------------------------

def test_no_token_and_no_local_path_in_any_copy_output_or_log(world: World) -> None:
    runs = [mirrorpub(*args, cwd=world.root, env=world.env)
            for args in (["publish", "-vv"], ["publish", "--json", "-vv"],
                         ["publish", "--dry-run", "-vv"])]
    (world.root / "content" / "one.md").write_text(
        (world.root / "content" / "one.md").read_text() + "\nAn edit.\n")
    runs.append(mirrorpub("publish", "-vv", cwd=world.root, env=world.env))
    forbidden = {"the canary user name": CANARY_USER.encode(), "the git token": TOKEN.encode(),
                 "the azure key": world.azurite.key.encode(),
                 "the s3 secret": world.seaweed.secret_key.encode()}
    for result in runs:
        assert_no_traceback(result)
        assert result.returncode == 0, result.stdout + result.stderr
        _search(f"the output of {' '.join(result.args[3:])}",
                (result.stdout + result.stderr).encode(), forbidden)
    copies = _every_published_file(world)
    assert {kind for kind, _ in copies} == set(KINDS)
    for (kind, path), data in copies.items():
        _search(f"{kind} copy's {path}", data, forbidden)
    assert len(copies) > 5 * 9  # ~10 files on each copy, and every git object


def _search(what: str, data: bytes, forbidden: dict[str, bytes]) -> None:
    for name, value in forbidden.items():
        assert value not in data, f"{name} appears in {what}"


def _every_published_file(world: World) -> dict[tuple[str, str], bytes]:
    """Every byte readers can get from each copy: objects with their metadata, files,
    and every git object on the remote (commits and trees too)."""
    found: dict[tuple[str, str], bytes] = {}
    client = world.seaweed.client()
    for key in world.seaweed.keys(world.bucket):
        obj = client.get_object(Bucket=world.bucket, Key=key)
        found["s3", key] = obj["Body"].read() + repr(obj["Metadata"]).encode()
    blobs = world.azurite.service().get_container_client(world.container)
    for name, properties in world.azurite.blobs(world.container).items():
        found["azure", name] = blobs.download_blob(name).readall() + \
            repr(properties.metadata).encode()
    for kind, folder in (("usb", world.home / "media" / "usb"),
                         ("onion", world.home / "srv" / "onion")):
        for path in folder.rglob("*"):
            if path.is_file():
                found[kind, path.relative_to(folder).as_posix()] = path.read_bytes()
    objects = subprocess.run(["git", f"--git-dir={world.repo}", "cat-file", "--batch",
                              "--batch-all-objects"], capture_output=True, check=True).stdout
    found["pages", "every object"] = objects
    manifest = json.loads((world.home / "media" / "usb" / "mirrors.json").read_text())
    ipfs = next(m for m in manifest["mirrors"] if m["name"] == "ipfs")
    base = ipfs["url"].removesuffix("index.html")
    for path in [*listed_files(world.home / "media" / "usb"), "mirrors.json"]:
        found["ipfs", path] = httpx.get(base + path, timeout=20).content
    return found
