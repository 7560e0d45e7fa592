"""Onion copies (SPEC §10): a folder copy whose address is a Tor v3 onion service. The
address is checked against tor itself (Debian's tor, offline: DisableNetwork 1) reading
mirrorpub's key from hs_dir; the copy is crawled through the deploy/ web server as tor
would pass readers to it. Reaching the service through Tor needs the Tor network, which
these tests do not have."""

from __future__ import annotations

import json
import shutil
import stat
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from mirrorpub.commands.serve import FolderHandler
from mirrorpub.mirrors.onion import hsdir
from tests.kinds.common import (
    assert_only_the_edit_changed,
    changed,
    edit_one_article,
    folder_hashes,
    make_site,
    manifest_of,
    mirror_report,
    publish,
)
from tests.services.seaweed import free_port
from tests.services.tor import offline_tor
from tests.sitekit import article_paths, assert_no_traceback, crawl, folder_fetcher, mirrorpub


def onion_mirror(base: Path, name: str = "onion") -> dict[str, str]:
    (base / "srv").mkdir(exist_ok=True)  # the web root; the copy's own folder is made
    return {"name": name, "type": "onion", "path": str(base / "srv" / name),
            "hs_dir": str(base / "tor" / name), "key": str(base / "keys" / f"{name}.key")}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    make_site(root, [onion_mirror(tmp_path)])
    return root


@pytest.fixture
def folder_server(tmp_path: Path) -> Iterator[str]:
    """deploy/onion's web server (mirrorpub serve --root) over the onion folder."""
    root = tmp_path / "srv" / "onion"
    root.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(FolderHandler, root=root.resolve()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_tor_serves_the_address_the_manifest_names(site: Path, tmp_path: Path) -> None:
    publish(site)
    folder, hs_dir = tmp_path / "srv" / "onion", tmp_path / "tor" / "onion"
    entry = next(m for m in manifest_of(folder)["mirrors"] if m["name"] == "onion")
    address = entry["url"].removeprefix("http://").removesuffix("/index.html")
    assert entry["url"] == f"http://{address}/index.html"
    assert address.endswith(".onion") and len(address) == 62
    assert stat.S_IMODE((tmp_path / "keys" / "onion.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(hs_dir.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in hs_dir.iterdir()} == {
        "hs_ed25519_secret_key": 0o600, "hs_ed25519_public_key": 0o600, "hostname": 0o600}
    ours = (hs_dir / "hs_ed25519_public_key").read_bytes()
    # Leave tor only the secret key: it derives the rest and writes its own hostname.
    (hs_dir / "hostname").unlink()
    (hs_dir / "hs_ed25519_public_key").unlink()
    with offline_tor(hs_dir, tmp_path / "tor-run", free_port()):
        assert (hs_dir / "hostname").read_text() == address + "\n"
        assert (hs_dir / "hs_ed25519_public_key").read_bytes() == ours
    bc2 = json.loads((folder / "bc2.json").read_text())
    onion = [a for a in bc2["sites"][0]["available_alternatives"] if ".onion" in a["url"]]
    assert [(a["proto"], a["type"], a["url"]) for a in onion] == [
        ("tor", "eotk", f"http://{address}/index.html")]
    page = (folder / "articles" / "one.html").read_text()
    assert f"http://{address}/articles/one.html" in page  # every page names the onion


def test_a_reader_crawls_the_copy_through_the_deploy_server(site: Path, folder_server: str,
                                                            tmp_path: Path) -> None:
    publish(site)
    with httpx.Client(timeout=10) as reader:
        result = crawl(lambda p: _get(reader, folder_server, p))
        assert result.problems == []
        assert article_paths(result) == {"articles/one.html", "articles/two.html",
                                         "articles/three.html"}
        assert reader.get(folder_server).text == result.pages["index.html"].decode()
        assert reader.get(folder_server + "articles/").status_code == 404  # never a listing
        assert reader.get(folder_server + ".mirrorpub-index.json").status_code == 404
        assert "Python" not in reader.get(folder_server).headers.get("server", "")
    folder_result = crawl(folder_fetcher(tmp_path / "srv" / "onion"))
    assert folder_result.problems == [] and set(folder_result.pages) == set(result.pages)


def _get(reader: httpx.Client, base: str, path: str) -> tuple[int, str, bytes]:
    response = reader.get(base + path)
    return response.status_code, response.headers.get("content-type", ""), response.content


def test_the_deploy_server_never_follows_a_link_out_of_the_folder(folder_server: str,
                                                                  tmp_path: Path) -> None:
    root = tmp_path / "srv" / "onion"
    (tmp_path / "secret.txt").write_text("not for readers")
    (root / "index.html").write_text("<p>hi</p>")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "up").symlink_to(tmp_path)
    (root / "inside.html").symlink_to(root / "index.html")
    with httpx.Client(timeout=10) as reader:
        for path in ("leak.txt", "up/secret.txt", "../secret.txt", "%2e%2e/secret.txt",
                     "up/", "index.html%00.txt"):
            response = reader.get(folder_server + path)
            assert response.status_code == 404, path
            assert b"not for readers" not in response.content
        assert reader.get(folder_server + "inside.html").text == "<p>hi</p>"
        assert reader.post(folder_server + "index.html").status_code == 501


def test_a_one_edit_publish_writes_only_what_changed(site: Path, tmp_path: Path) -> None:
    folder = tmp_path / "srv" / "onion"
    publish(site)
    before = folder_hashes(folder)
    assert publish(site)["mirrors"][0]["uploaded"] == 0  # nothing changed, nothing sent
    edit_one_article(site)
    report = mirror_report(publish(site), "onion")
    after = folder_hashes(folder)
    paths = changed(before, after)
    assert_only_the_edit_changed(paths)
    assert report["uploaded"] == len([p for p in paths if p in after]), (report, paths)
    assert "A corrected paragraph." in (folder / "articles" / "three.html").read_text()


def test_verify_and_status_pass_and_status_sees_a_wrong_hostname(site: Path,
                                                                 tmp_path: Path) -> None:
    publish(site)
    folder, hs_dir = tmp_path / "srv" / "onion", tmp_path / "tor" / "onion"
    verify = mirrorpub("verify", str(folder), cwd=site)
    assert verify.returncode == 0, verify.stdout
    status = mirrorpub("status", "--json", cwd=site)
    assert status.returncode == 0, status.stdout + status.stderr
    (hs_dir / "hostname").write_text(hsdir.onion_address(bytes(32)) + ".onion\n")
    status = mirrorpub("status", "--json", cwd=site)
    assert_no_traceback(status)
    assert status.returncode == 3
    copy = json.loads(status.stdout)["copies"][0]
    assert copy["state"] == "broken"
    assert any("hostname is not that of the mirror's key" in p for p in copy["problems"])
    publish(site)  # the next publish puts tor's files right again
    assert mirrorpub("status", cwd=site).returncode == 0


def test_another_onion_key_in_hs_dir_is_never_overwritten(site: Path, tmp_path: Path) -> None:
    from mirrorpub.trust.signing import new_key_file

    hs_dir = tmp_path / "tor" / "onion"
    other = new_key_file(tmp_path / "other.key")
    hsdir.install(hs_dir, hsdir.service_files(other))
    before = {p.name: p.read_bytes() for p in hs_dir.iterdir()}
    report = publish(site, expect=3)
    assert "holds the key of " + hsdir.address_of(other) + ".onion" in \
        mirror_report(report, "onion")["error"]
    assert {p.name: p.read_bytes() for p in hs_dir.iterdir()} == before


def test_the_key_and_tor_folder_must_stay_out_of_what_is_published(tmp_path: Path) -> None:
    mirror = {**onion_mirror(tmp_path), "hs_dir": str(tmp_path / "srv" / "onion" / "tor")}
    root = tmp_path / "site"
    make_site(root, [mirror])
    result = mirrorpub("publish", cwd=root)
    assert result.returncode == 1
    assert "mirrors[0].hs_dir" in result.stderr and "would be published" in result.stderr
    assert not (tmp_path / "srv" / "onion").exists()


def test_a_dry_run_makes_no_key(site: Path, tmp_path: Path) -> None:
    result = mirrorpub("publish", "--dry-run", cwd=site)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "keys").exists() and not (tmp_path / "tor").exists()


def test_the_folder_can_be_carried_off_and_still_verifies(site: Path, tmp_path: Path) -> None:
    publish(site)
    stick = tmp_path / "stick"
    shutil.copytree(tmp_path / "srv" / "onion", stick)
    assert mirrorpub("verify", str(stick), cwd=tmp_path).returncode == 0
