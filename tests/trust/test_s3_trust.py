"""verify and status against real S3 buckets (SeaweedFS), read anonymously as readers do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.sitekit import article, assert_no_traceback, mirrorpub
from tests.trust.conftest import SiteKey, make_site, publish, s3_mirror

pytestmark = pytest.mark.s3

REFUSED = ("the bucket refuses anonymous readers; make it public with a bucket policy "
           "(mirrorpub never does that itself)")


def run(*args: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = mirrorpub(*args, cwd=root, env=env)
    assert_no_traceback(result)
    return result


def status_json(root: Path, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = run("status", "--json", root=root, env=env)
    return result.returncode, json.loads(result.stdout)


def by_mirror(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["mirror"]: c for c in document["copies"]}


def test_a_genuine_signed_s3_copy_verifies_and_status_is_clean(
        tmp_path: Path, seaweed: Any, site_key: SiteKey, state_home: Path):
    root = tmp_path / "site"
    one, two = s3_mirror(seaweed, "one"), s3_mirror(seaweed, "two")
    make_site(root, [one, two], site_key)
    env = seaweed.env()
    publish(root, env=env)
    for url in (seaweed.public_url(one["bucket"]), seaweed.public_url(two["bucket"]) +
                "index.html"):
        result = run("verify", url, "--key", site_key.public, root=tmp_path, env=env)
        assert result.returncode == 0, result.stdout
        assert "OK: this copy is genuine, fresh and complete" in result.stdout
        # With archive page 1 of the index and of the tag (SPEC §14): 10 files.
        assert "files: 10 checked, all intact" in result.stdout
    code, document = status_json(root, env)
    assert code == 0, document
    for copy in document["copies"]:
        assert copy["state"] == "ok" and copy["current"] and copy["signature"] == "valid"
        assert copy["version"] == document["version"]
        assert copy["bad_files"] == [] and copy["differs_from_local_build"] == []
    plain = run("status", root=root, env=env)
    assert plain.returncode == 0
    assert "2 of 2 copies current and intact" in plain.stdout


def test_a_forged_page_is_named_by_verify_and_by_status(
        tmp_path: Path, seaweed: Any, site_key: SiteKey, state_home: Path):
    root = tmp_path / "site"
    one, two = s3_mirror(seaweed, "one"), s3_mirror(seaweed, "two")
    make_site(root, [one, two], site_key)
    env = seaweed.env()
    publish(root, env=env)
    # Someone holding the owner's credentials swaps one article in bucket one.
    seaweed.client().put_object(Bucket=one["bucket"], Key="articles/first.html",
                                Body=b"<html><p>forged news</p></html>",
                                ContentType="text/html; charset=utf-8")
    result = run("verify", seaweed.public_url(one["bucket"]), "--key", site_key.public,
                 root=tmp_path, env=env)
    assert result.returncode == 1
    assert "articles/first.html: " in result.stdout and "altered" in result.stdout
    assert "signature: valid" in result.stdout  # the manifest itself is genuine
    code, document = status_json(root, env)
    assert code == 3
    copies = by_mirror(document)
    assert copies["two"]["state"] == "ok"
    assert copies["one"]["state"] == "broken"
    assert [b["path"] for b in copies["one"]["bad_files"]] == ["articles/first.html"]
    plain = run("status", root=root, env=env)
    assert plain.returncode == 3
    assert "articles/first.html:" in plain.stdout and "one" in plain.stdout


def test_a_mirror_left_behind_is_reported_stale(tmp_path: Path, seaweed: Any, site_key: SiteKey):
    root = tmp_path / "site"
    one, two = s3_mirror(seaweed, "one"), s3_mirror(seaweed, "two")
    make_site(root, [one, two], site_key)
    env = seaweed.env()
    publish(root, env=env)
    old = status_json(root, env)[1]["version"]
    (root / "content" / "third.md").write_text(article("Third story", "2026-11-22T10:00:00Z"))
    publish(root, "--mirror", "one", env=env)
    code, document = status_json(root, env)
    assert code == 3
    copies = by_mirror(document)
    new = old + 1
    assert document["version"] == new
    assert copies["one"]["state"] == "ok" and copies["one"]["version"] == new
    assert copies["two"]["state"] == "stale" and copies["two"]["version"] == old
    assert copies["two"]["expected_version"] == new and not copies["two"]["current"]
    # its files match its own (older) manifest, but not the local build
    assert copies["two"]["bad_files"] == []
    assert "articles/third.html" in [d["path"] for d in copies["two"]["differs_from_local_build"]]
    plain = run("status", root=root, env=env)
    assert f"serves version {old}, the current one is {new}" in plain.stdout


def test_a_bucket_without_a_public_read_policy_fails_the_publish_and_is_never_named(
        tmp_path: Path, seaweed: Any):
    root = tmp_path / "site"
    closed, open_ = s3_mirror(seaweed, "closed", public=False), s3_mirror(seaweed, "open")
    make_site(root, [closed, open_], None)
    env = seaweed.env()
    result = run("publish", root=root, env=env)  # the owner can write; readers cannot read
    assert result.returncode == 3
    (failure,) = [line for line in result.stderr.splitlines() if "closed: FAILED" in line]
    assert "refused an anonymous reader (refused (HTTP 403))" in failure
    assert REFUSED in failure  # the fix, named; and left to the owner
    closed_url = seaweed.public_url(closed["bucket"])
    for key in ("mirrors.json", "bc2.json", "mirrors.html", "index.html",
                "articles/first.html"):
        body = seaweed.anonymous_get(open_["bucket"], key).text
        assert closed_url not in body and '"closed"' not in body, key
    code, document = status_json(root, env)
    assert code == 3
    copy = by_mirror(document)["closed"]
    assert copy["state"] == "unpublished"  # never read back: it never counted as published
    assert copy["problems"] == [REFUSED]
    plain = run("status", root=root, env=env)
    assert REFUSED in plain.stdout
    # and mirrorpub did not open the bucket up on its own
    assert seaweed.anonymous_get(closed["bucket"], "index.html").status_code == 403


def test_an_unreachable_mirror_is_reported_without_a_traceback(tmp_path: Path):
    root = tmp_path / "site"
    gone = {"name": "gone", "type": "s3", "bucket": "news", "endpoint_url": "http://127.0.0.1:9"}
    make_site(root, [gone], None)
    code, document = status_json(root, {})
    assert code == 3
    copy = by_mirror(document)["gone"]
    assert copy["state"] == "unreachable"
    assert "cannot connect" in copy["problems"][0]


def test_a_rolled_back_copy_is_refused_after_a_newer_one_was_seen(
        tmp_path: Path, seaweed: Any, site_key: SiteKey, state_home: Path):
    root = tmp_path / "site"
    mirror = s3_mirror(seaweed, "one")
    bucket, client = mirror["bucket"], seaweed.client()
    make_site(root, [mirror], site_key)
    env = seaweed.env()
    publish(root, env=env)
    saved = {key: client.get_object(Bucket=bucket, Key=key) for key in seaweed.keys(bucket)}
    saved = {key: (o["Body"].read(), o["ContentType"]) for key, o in saved.items()}
    old = json.loads(saved["mirrors.json"][0])["version"]
    (root / "content" / "third.md").write_text(article("Third story", "2026-11-22T10:00:00Z"))
    publish(root, env=env)
    url = seaweed.public_url(bucket)
    newer = run("verify", url, "--key", site_key.public, root=tmp_path, env=env)
    assert newer.returncode == 0, newer.stdout
    assert f"version {old + 1}" in newer.stdout
    for key, (body, content_type) in saved.items():  # an attacker replays version 1
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    replayed = run("verify", url, "--key", site_key.public, root=tmp_path, env=env)
    assert replayed.returncode == 1
    assert "signature: valid" in replayed.stdout  # genuine, and old
    assert f"rollback refused: this copy serves version {old}, but version {old + 1} was " \
        "verified" in replayed.stdout
    accepted = run("verify", url, "--key", site_key.public, "--allow-rollback", root=tmp_path,
                   env=env)
    assert accepted.returncode == 0, accepted.stdout
    assert "older copy accepted (--allow-rollback)" in accepted.stdout
    # accepting it once does not lower what was seen
    assert run("verify", url, "--key", site_key.public, root=tmp_path, env=env).returncode == 1


def test_a_mirror_added_after_the_last_publish_is_reported_unpublished(
        tmp_path: Path, seaweed: Any):
    root = tmp_path / "site"
    one = s3_mirror(seaweed, "one")
    make_site(root, [one], None)
    env = seaweed.env()
    publish(root, env=env)
    make_site(root, [one, s3_mirror(seaweed, "later")], None)
    code, document = status_json(root, env)
    assert code == 3
    copies = by_mirror(document)
    assert copies["one"]["state"] == "ok"
    assert copies["later"]["state"] == "unpublished"
    assert "never published here" in copies["later"]["problems"][0]
