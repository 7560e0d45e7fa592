"""Google Cloud Storage as an `s3` mirror (README): its S3 interop long answered a batch
delete (POST ?delete) with 501 NotImplemented. Such a service gets one DELETE per object.
The real SeaweedFS is behind a fault proxy that answers batch deletes as GCS did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.services.faultproxy import FORWARD, FaultProxy, Request, Respond, respond
from tests.services.seaweed import SeaweedFS
from tests.sitekit import article, crawl, http_fetcher, mirrorpub, write_site

pytestmark = pytest.mark.s3


def _published_site(root: Path, seaweed: SeaweedFS, bucket: str, endpoint: str,
                    names: str) -> None:
    """A site of one article per letter of `names`, published once to `bucket` through
    `endpoint`."""
    write_site(root, {f"{n}.md": article(n.upper()) for n in names},
               mirrors=[{"name": "s3", "type": "s3", "bucket": bucket, "endpoint_url": endpoint,
                         "access_key_id_env": "TEST_S3_KEY",
                         "secret_access_key_env": "TEST_S3_SECRET",
                         "public_url": seaweed.public_url(bucket)}])
    mirrorpub("publish", cwd=root, env=seaweed.env(), check=True)


def no_batch_delete(request: Request) -> object:
    if request.method == "POST" and "delete" in request.query:
        return respond(501, "NotImplemented")
    return FORWARD


def test_files_that_left_the_site_are_deleted_one_by_one(tmp_path: Path,
                                                         seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint, no_batch_delete) as proxy:
        _published_site(tmp_path, seaweed, bucket, proxy.url, "abc")
        (tmp_path / "content" / "b.md").unlink()
        (tmp_path / "content" / "c.md").unlink()
        proxy.requests.clear()
        result = mirrorpub("publish", "--json", cwd=tmp_path, env=seaweed.env(), check=True)
        deletes = [r.path for r in proxy.requests if r.method == "DELETE"]
    # Besides the two pages: the manifest parts no published mirrors.json names any more.
    pages = sorted(d.rsplit("/", 1)[1] for d in deletes if "/mirrorpub-files/" not in d)
    assert pages == ["b.html", "c.html"]
    assert json.loads(result.stdout)["mirrors"][0]["deleted"] == len(deletes)
    keys = seaweed.keys(bucket)
    assert "articles/b.html" not in keys and "articles/a.html" in keys
    assert crawl(http_fetcher(seaweed.public_url(bucket))).problems == []


REFUSING: list[bool] = []  # deletes are refused while this holds an item


def refused_deletes(request: Request) -> object:
    if REFUSING and request.method == "POST" and "delete" in request.query:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.'
                'amazonaws.com/doc/2006-03-01/"><Error><Key>articles/b.html</Key><Code>'
                "AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>")
        return Respond(200, body.encode())
    return FORWARD


def test_a_batch_delete_that_refuses_some_files_fails_the_mirror_naming_one(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    """S3 answers a batch delete 200 and lists the keys it could not delete: that is a
    failure, said in one line, not a success."""
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint, refused_deletes) as proxy:
        # The first publish deletes too (its probe, publish/probe.py): that one may.
        _published_site(tmp_path, seaweed, bucket, proxy.url, "ab")
        (tmp_path / "content" / "b.md").unlink()
        REFUSING.append(True)
        try:
            result = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
        finally:
            REFUSING.clear()
    assert result.returncode != 0
    assert "could not delete 1 objects, e.g. articles/b.html: Access Denied" in result.stderr
    assert "Traceback" not in result.stderr
