"""Azure copies (SPEC §10): Azure Blob Storage as an object store, against Azurite
(Microsoft's emulator), read back anonymously at the container's public URL as a reader
would, once the owner made it public."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.kinds.common import (
    assert_only_the_edit_changed,
    edit_one_article,
    make_site,
    mirror_report,
    publish,
)
from tests.services.azurite import ACCOUNT, Azurite
from tests.services.faultproxy import FaultProxy
from tests.sitekit import article_paths, assert_no_traceback, crawl, http_fetcher, mirrorpub


def azure_mirror(azurite: Azurite, container: str, endpoint: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    return {"name": "azure", "type": "azure", "account": ACCOUNT, "container": container,
            "connection_string_env": "TEST_AZURE_CONNECTION",
            "endpoint_url": endpoint or azurite.endpoint, **extra}


def test_a_reader_crawls_the_public_container_and_verify_and_status_pass(
        azurite: Azurite, tmp_path: Path) -> None:
    container = azurite.make_container()
    root = tmp_path / "site"
    make_site(root, [azure_mirror(azurite, container)])
    publish(root, azurite.env())
    url = azurite.public_url(container)
    with httpx.Client(timeout=10) as reader:  # anonymous: no key, no SAS
        result = crawl(http_fetcher(url, reader))
        assert result.problems == []
        assert article_paths(result) == {"articles/one.html", "articles/two.html",
                                         "articles/three.html"}
        page = reader.head(url + "articles/one.html")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["cache-control"] == "public, max-age=300"
        image = reader.head(url + "files/img/m.png")
        assert image.headers["content-type"] == "image/png"
        assert image.headers["x-ms-meta-mirrorpub_sha256"]
    manifest = json.loads(httpx.get(url + "mirrors.json").content)
    assert manifest["mirrors"][0]["url"] == url + "index.html"
    assert mirrorpub("verify", url, cwd=root).returncode == 0
    status = mirrorpub("status", cwd=root, env=azurite.env())
    assert status.returncode == 0, status.stdout + status.stderr


def test_the_default_public_url_is_the_accounts_blob_endpoint(tmp_path: Path) -> None:
    from mirrorpub.config import load_config

    root = tmp_path / "site"
    make_site(root, [{"name": "azure", "type": "azure", "account": "newsmirror7f3a",
                      "container": "site", "prefix": "ru", "account_key_env": "K"}])
    mirror = load_config(root / "mirrorpub.toml").mirrors[0]
    assert mirror.public_url == "https://newsmirror7f3a.blob.core.windows.net/site/ru/"


def test_a_one_edit_publish_uploads_only_the_changed_blobs(azurite: Azurite,
                                                          tmp_path: Path) -> None:
    container = azurite.make_container()
    with FaultProxy.to(f"http://127.0.0.1:{azurite.port}") as proxy:
        endpoint = f"{proxy.url}/{ACCOUNT}/"
        root = tmp_path / "site"
        make_site(root, [azure_mirror(azurite, container, endpoint,
                                      public_url=azurite.public_url(container))])
        publish(root, azurite.env())
        proxy.requests.clear()
        report = mirror_report(publish(root, azurite.env(), 0, "--skip-preflight"), "azure")
        assert report["uploaded"] == 0
        assert [r for r in proxy.requests if r.mutates] == []
        # The index, its journal, mirrors.json's mark (the preflight would ask one more).
        assert len(proxy.requests) <= 3, [(r.method, r.target) for r in proxy.requests]
        edit_one_article(root)
        proxy.requests.clear()
        report = mirror_report(publish(root, azurite.env()), "azure")
        written = [r.path.split("/", 3)[3] for r in proxy.requests if r.method == "PUT"]
    journal = ".mirrorpub-index.journal.json"  # the index itself is not rewritten
    assert written[0] == journal and written[-1] == journal
    assert_only_the_edit_changed(set(written[1:-1]))
    assert report["uploaded"] == len(written) - 2
    assert b"A corrected paragraph." in httpx.get(
        azurite.public_url(container) + "articles/three.html").content


def test_only_blobs_mirrorpub_put_there_are_deleted(azurite: Azurite, tmp_path: Path) -> None:
    container = azurite.make_container()
    azurite.service().get_container_client(container).upload_blob("owner-notes.txt", b"keep")
    root = tmp_path / "site"
    make_site(root, [azure_mirror(azurite, container)])
    publish(root, azurite.env())
    azurite.service().get_container_client(container).delete_blob(".mirrorpub-index.json")
    (root / "content" / "three.md").unlink()
    before = set(azurite.blobs(container))
    report = mirror_report(publish(root, azurite.env()), "azure")
    blobs = azurite.blobs(container)
    gone = sorted(before - set(blobs))
    # The page, and manifest parts that no published mirrors.json names any more.
    assert [g for g in gone if not g.startswith("mirrorpub-files/")] == ["articles/three.html"]
    assert report["deleted"] == len(gone)
    assert "owner-notes.txt" in blobs  # no mark of ours: never deleted


def test_a_private_container_fails_the_publish_with_the_fix_and_a_wrong_key_too(
        azurite: Azurite, tmp_path: Path) -> None:
    container = azurite.make_container(public=False)
    root = tmp_path / "site"
    make_site(root, [azure_mirror(azurite, container)])
    report = publish(root, azurite.env(), expect=3)  # read back as a reader would: refused
    error = report["mirrors"][0]["error"]
    assert "refuses anonymous readers" in error and 'public access level to "blob"' in error
    status = mirrorpub("status", cwd=root, env=azurite.env())
    assert status.returncode == 3
    wrong = "A" * 86 + "=="
    env = {"TEST_AZURE_CONNECTION": azurite.connection_string().replace(azurite.key, wrong)}
    result = mirrorpub("publish", "-vv", cwd=root, env=env)
    assert_no_traceback(result)
    assert result.returncode == 1  # found before sending (preflight)
    assert "mirror 'azure'" in result.stderr and "refused the credentials" in result.stderr
    for text in (status.stdout + status.stderr, result.stdout + result.stderr):
        assert azurite.key not in text and wrong not in text


def test_a_missing_container_and_missing_variable_are_one_line(azurite: Azurite,
                                                              tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root, [azure_mirror(azurite, "no-such-container")])
    result = mirrorpub("publish", cwd=root, env=azurite.env())
    assert result.returncode == 1  # found before sending (preflight)
    (line,) = [x for x in result.stderr.splitlines() if "mirror 'azure'" in x]
    assert "no container 'no-such-container'" in line, result.stderr
    result = mirrorpub("publish", cwd=root, env={"TEST_AZURE_CONNECTION": ""})
    assert result.returncode == 1
    (line,) = [x for x in result.stderr.splitlines() if "mirror 'azure'" in x]
    assert "TEST_AZURE_CONNECTION is not set" in line


@pytest.mark.parametrize(("extra", "expected"), [
    ({}, "set one of connection_string_env and account_key_env"),
    ({"connection_string_env": "A", "account_key_env": "B"},
     "set one of connection_string_env and account_key_env"),
    ({"connection_string_env": "A", "account": "Bad_Name"}, "mirrors[0].account: expected"),
])
def test_bad_azure_config(tmp_path: Path, extra: dict[str, str], expected: str) -> None:
    root = tmp_path / "site"
    make_site(root, [{"name": "azure", "type": "azure", "account": "acct", "container": "site",
                      **extra}])
    result = mirrorpub("build", cwd=root)
    assert result.returncode == 1 and expected in result.stderr, result.stderr
