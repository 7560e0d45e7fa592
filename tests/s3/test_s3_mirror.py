"""S3 mirrors against a real SeaweedFS (SPEC §4 s3 entries, §8): incremental, ordered,
correct uploads, read back anonymously over path-style URLs as a reader would."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from mirrorpub.layout import is_part
from tests.services.faultproxy import FaultProxy
from tests.services.seaweed import SeaweedFS
from tests.sitekit import (
    article,
    article_paths,
    assert_no_traceback,
    crawl,
    http_fetcher,
    mirrorpub,
    write_site,
)

pytestmark = pytest.mark.s3

ARTICLES = {
    "one.md": article("One", "2026-11-20T10:00:00Z", "First. [two](two.md)\n\n![m](img/m.png)",
                      tags=["news"]),
    "two.md": article("Two", "2026-11-21T10:00:00Z", "Second. [one](one.md)", tags=["news"]),
    "three.md": article("Three", "2026-11-22T10:00:00Z", "Third.\n\nA later paragraph."),
}
FILES = {"img/m.png": bytes(range(256)) * 4}


def s3_mirror(seaweed: SeaweedFS, name: str, bucket: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
            "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET",
            "public_url": seaweed.public_url(bucket, extra.get("prefix", "")), **extra}


def key_of(path: str) -> str:
    """The object key of a path-style request path (/bucket/key), "" for the bucket."""
    parts = path.split("/", 2)
    return parts[2] if len(parts) > 2 else ""


def publish(root: Path, seaweed: SeaweedFS, *args: str) -> dict[str, Any]:
    result = mirrorpub("publish", "--json", *args, cwd=root, env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_two_buckets_serve_the_site_to_anonymous_readers(tmp_path: Path,
                                                         seaweed: SeaweedFS) -> None:
    buckets = [seaweed.make_bucket(), seaweed.make_bucket()]
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[
        s3_mirror(seaweed, "first", buckets[0]),
        s3_mirror(seaweed, "second", buckets[1], prefix="news/site")])
    publish(tmp_path, seaweed)
    for bucket, prefix in ((buckets[0], ""), (buckets[1], "news/site/")):
        with httpx.Client(timeout=10) as reader:  # no credentials: a reader
            site = crawl(http_fetcher(seaweed.public_url(bucket, prefix), reader))
            assert site.problems == []
            assert article_paths(site) == {"articles/one.html", "articles/two.html",
                                           "articles/three.html"}
            for path, ctype in site.types.items():
                if path.endswith(".html"):
                    assert ctype == "text/html; charset=utf-8", path
            head = reader.head(seaweed.public_url(bucket, prefix) + "articles/one.html")
            assert head.headers["cache-control"] == "public, max-age=300"
            image = reader.head(seaweed.public_url(bucket, prefix) + "files/img/m.png")
            assert image.headers["content-type"] == "image/png"
            assert image.headers["cache-control"] == "public, max-age=86400"
            assert image.headers["x-amz-meta-mirrorpub-sha256"] == \
                hashlib.sha256(FILES["img/m.png"]).hexdigest()
            feed = reader.get(seaweed.public_url(bucket, prefix) + "feed.xml")
            assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert all(k.startswith("news/site/") for k in seaweed.keys(buckets[1]))


def test_a_publish_with_nothing_changed_costs_a_few_requests(tmp_path: Path,
                                                             seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        mirror = s3_mirror(seaweed, "s3", bucket, endpoint_url=proxy.url)
        write_site(tmp_path, ARTICLES, files=FILES, mirrors=[mirror])
        publish(tmp_path, seaweed)
        before = {k: v["etag"] for k, v in seaweed.keys(bucket).items()}
        proxy.requests.clear()
        report = publish(tmp_path, seaweed, "--skip-preflight")  # as watch publishes
        counted = list(proxy.requests)
        proxy.requests.clear()
        checked = publish(tmp_path, seaweed)
        with_preflight = list(proxy.requests)
    assert [m["uploaded"] for m in report["mirrors"] + checked["mirrors"]] == [0, 0]
    assert [r for r in counted + with_preflight if r.mutates] == []  # no object rewritten
    # The index, its journal, mirrors.json's mark; the preflight's one look at the bucket
    # is the GET of the journal, which the publish then does not make again.
    assert len(counted) <= 3, [(r.method, r.target) for r in counted]
    assert len(with_preflight) == len(counted), [(r.method, r.target) for r in with_preflight]
    assert with_preflight[0].method == "GET" and \
        with_preflight[0].path.endswith("/.mirrorpub-index.journal.json")
    assert {k: v["etag"] for k, v in seaweed.keys(bucket).items()} == before
    assert report["changed"] is False


def test_one_edit_rewrites_only_the_objects_that_changed(tmp_path: Path,
                                                         seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES,
                   mirrors=[s3_mirror(seaweed, "s3", bucket, endpoint_url=proxy.url)])
        publish(tmp_path, seaweed)
        path = tmp_path / "content" / "three.md"
        # Not the first paragraph: that is the summary the index and the feed show.
        path.write_text(path.read_text().replace("later paragraph", "corrected paragraph"))
        proxy.requests.clear()
        publish(tmp_path, seaweed)
        written = [r.path.split("/", 2)[2] for r in proxy.mutations() if r.method == "PUT"]
    # The article, then the manifest files; the index's journal, before and after (the
    # index itself is not rewritten: SPEC §14).
    assert written[0] == ".mirrorpub-index.journal.json"
    assert written[1] == "articles/three.html"
    # bc2.json carries no version, only the publish time: it changes unless both
    # publishes fell within one second.
    parts = {p for p in written if is_part(p)}
    assert {"mirrors.html", "mirrors.json"} <= set(written[2:-1]) - parts <= \
        {"bc2.json", "mirrors.html", "mirrors.json"}
    assert len(parts) <= 2  # the bucket listing the article, the small part of the rest
    assert written[-1] == ".mirrorpub-index.journal.json"
    page = seaweed.anonymous_get(bucket, "articles/three.html")
    assert b"A corrected paragraph." in page.content


def test_a_removed_article_is_deleted_after_the_new_pages_are_up(tmp_path: Path,
                                                                 seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES,
                   mirrors=[s3_mirror(seaweed, "s3", bucket, endpoint_url=proxy.url)])
        publish(tmp_path, seaweed)
        (tmp_path / "content" / "three.md").unlink()
        parts_before = {k for k in seaweed.keys(bucket) if is_part(k)}
        proxy.requests.clear()
        report = publish(tmp_path, seaweed)
        steps = [(r.method, key_of(r.path), r.query) for r in proxy.mutations()]
    # The article, and the parts of the manifest before the one replaced.
    parts_gone = parts_before - set(seaweed.keys(bucket))
    assert report["mirrors"][0]["deleted"] == 1 + len(parts_gone), steps
    delete_at = next(i for i, s in enumerate(steps) if s[0] == "POST" and "delete" in s[2])
    uploaded_before = {s[1] for s in steps[:delete_at] if s[0] == "PUT"}
    assert {"index.html", "mirrors.json", "feed.xml"} <= uploaded_before
    assert steps[delete_at + 1:] == [("PUT", ".mirrorpub-index.journal.json", "")]
    assert "articles/three.html" not in seaweed.keys(bucket)
    site = crawl(http_fetcher(seaweed.public_url(bucket)))
    assert site.problems == [] and "articles/three.html" not in site.pages


def test_the_delete_cap_holds_back_mass_deletes_until_raised(tmp_path: Path,
                                                             seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    many = {f"a{i}.md": article(f"A{i}", body="x") for i in range(6)}
    write_site(tmp_path, many, mirrors=[s3_mirror(seaweed, "s3", bucket)])
    publish(tmp_path, seaweed)
    for i in range(6):
        (tmp_path / "content" / f"a{i}.md").unlink()
    capped = mirrorpub("publish", "--max-deletes", "3", cwd=tmp_path, env=seaweed.env())
    assert capped.returncode == 3
    # The six articles and the archive page that listed them (an empty site has none).
    assert "7 files left the site but were not deleted" in capped.stderr
    assert "--max-deletes 7" in capped.stderr
    assert "articles/a0.html" in seaweed.keys(bucket)
    assert mirrorpub("publish", "--max-deletes", "7", cwd=tmp_path,
                     env=seaweed.env()).returncode == 0
    assert not any(k.startswith("articles/a") for k in seaweed.keys(bucket))


def test_dry_run_prints_the_plan_and_sends_nothing(tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[s3_mirror(seaweed, "s3", bucket)])
    result = mirrorpub("publish", "--dry-run", cwd=tmp_path, env=seaweed.env())
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("s3: 9 to upload")
    uploads = [line.split()[1] for line in lines if line.startswith("  upload ")]
    assert uploads == ["files/img/m.png", "articles/one.html", "articles/three.html",
                       "articles/two.html", "tags/news.html", "tags/news.p1.html", "feed.xml",
                       "page-1.html", "index.html"]
    assert "  upload files/img/m.png (1.0 KB, image/png): not at the mirror" in lines
    assert "  then, if they changed: bc2.json, mirrors.html, mirrors.json" in lines
    assert seaweed.keys(bucket) == {}


def test_a_big_file_goes_up_in_parts_with_its_sha256(tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    big = os.urandom(1024) * (20 * 1024)  # 20 MB, above the multipart threshold
    write_site(tmp_path, {"a.md": article("A", body="[video](v.bin)")}, files={"v.bin": big},
               mirrors=[s3_mirror(seaweed, "s3", bucket)])
    publish(tmp_path, seaweed)
    head = seaweed.client().head_object(Bucket=bucket, Key="files/v.bin")
    assert head["ETag"].strip('"').endswith("-2")  # two parts
    assert head["Metadata"]["mirrorpub-sha256"] == hashlib.sha256(big).hexdigest()
    assert seaweed.anonymous_get(bucket, "files/v.bin").content == big
    again = publish(tmp_path, seaweed)
    assert again["mirrors"][0]["uploaded"] == 0


@pytest.mark.parametrize(("change", "expected"), [
    ({"secret_access_key_env": "WRONG_SECRET"}, "refused the credentials"),
    ({"bucket": "no-such-bucket-here"}, "bucket 'no-such-bucket-here' does not exist"),
    ({"access_key_id_env": "UNSET_VAR_X", "secret_access_key_env": "UNSET_VAR_Y"},
     "the environment variable named by access_key_id_env (11 characters) is not set"),
])
def test_errors_name_the_mirror_and_say_what_to_do(tmp_path: Path, seaweed: SeaweedFS,
                                                   change: dict[str, str], expected: str) -> None:
    good, bad = seaweed.make_bucket(), seaweed.make_bucket()
    broken = {**s3_mirror(seaweed, "bad", bad), **change}
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=[s3_mirror(seaweed, "good", good), broken])
    env = {**seaweed.env(), "WRONG_SECRET": "not-the-secret"}
    # Found before anything is sent (preflight): exit 1, the good bucket untouched.
    result = mirrorpub("publish", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert_no_traceback(result)
    failure = next(line for line in result.stderr.splitlines() if "mirror 'bad'" in line)
    assert expected in failure
    assert seaweed.keys(good) == {}
    # Sent anyway: the good copy is updated, the bad one named with its reason (exit 3).
    result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path, env=env)
    assert result.returncode == 3
    assert_no_traceback(result)
    failure = next(line for line in result.stderr.splitlines() if "bad: FAILED" in line)
    assert expected in failure
    assert "index.html" in seaweed.keys(good)
    assert "not-the-secret" not in result.stderr + result.stdout


def many_files(count: int) -> dict[str, bytes]:
    return {f"data/f{i:04d}.txt": f"file {i}\n".encode() * (1 + i % 7) for i in range(count)}


def test_a_thousand_files_go_up_intact_and_are_counted(tmp_path: Path,
                                                       seaweed: SeaweedFS) -> None:
    files = many_files(1100)
    bucket = seaweed.make_bucket()
    write_site(tmp_path, ARTICLES, files={**FILES, **files},
               mirrors=[s3_mirror(seaweed, "s3", bucket)])
    report = publish(tmp_path, seaweed)
    (mirror,) = report["mirrors"]
    # The files, the site (with archive page 1 of the index and of the tag), the manifest
    # files and the manifest's parts: once, the pages naming the copy from the start (its
    # probe was read back before they were made), so no second round.
    parts = [k for k in seaweed.keys(bucket) if is_part(k)]
    assert mirror["uploaded"] == len(files) + 9 + 3 + len(parts)
    assert seaweed.public_url(bucket) + "articles/one.html" in \
        seaweed.anonymous_get(bucket, "articles/one.html").text
    assert ".mirrorpub-probe.txt" not in seaweed.keys(bucket)
    # The probe: the index asked for (none), the probe put, read back anonymously and
    # deleted. Then three anonymous reads back (the feed, the front page, mirrors.json),
    # the index asked for again and the bucket listed; a whole index and its journal,
    # before and after (1,100 changes are past a journal's limit).
    assert mirror["requests"] == mirror["uploaded"] + (3 + 1) + (2 + 4 + 3)
    stored = seaweed.keys(bucket)
    for rel, data in list(files.items())[::97]:
        key = f"files/{rel}"
        assert stored[key]["size"] == len(data)
        head = seaweed.client().head_object(Bucket=bucket, Key=key)
        assert head["Metadata"]["mirrorpub-sha256"] == hashlib.sha256(data).hexdigest()
        assert head["ContentType"] == "text/plain; charset=utf-8"
    assert len([k for k in stored if k.startswith("files/data/")]) == len(files)
    assert publish(tmp_path, seaweed)["mirrors"][0]["uploaded"] == 0


def test_a_failure_among_many_concurrent_uploads_is_one_clear_line(tmp_path: Path,
                                                                  seaweed: SeaweedFS) -> None:
    from tests.services.faultproxy import FORWARD, Request, respond

    def refuse_one(request: Request) -> object:
        return respond(403, "AccessDenied") if request.method == "PUT" and \
            request.path.endswith("/files/data/f0500.txt") else FORWARD

    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint, refuse_one) as proxy:
        write_site(tmp_path, ARTICLES, files={**FILES, **many_files(1010)},
                   mirrors=[s3_mirror(seaweed, "s3", bucket, endpoint_url=proxy.url),
                            {"name": "usb", "type": "directory", "path": "usb"}])
        result = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 3
    failure = [line for line in result.stderr.splitlines() if "s3: FAILED" in line]
    assert len(failure) == 1
    assert "cannot upload files/data/f0500.txt: access denied to bucket" in failure[0]
    assert (tmp_path / "usb" / "index.html").is_file()
    assert "index.html" not in seaweed.keys(bucket)  # the entry page never went up


def test_a_proxy_from_the_environment_carries_every_request(tmp_path: Path,
                                                            seaweed: SeaweedFS) -> None:
    """Behind a company proxy (HTTP_PROXY), uploads must not try to go around it."""
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES, mirrors=[s3_mirror(seaweed, "s3", bucket)])
        env = {**seaweed.env(), "HTTP_PROXY": proxy.url, "http_proxy": proxy.url,
               "NO_PROXY": "", "no_proxy": ""}
        result = mirrorpub("publish", "--json", cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
        (mirror,) = json.loads(result.stdout)["mirrors"]
        seen = list(proxy.requests)
    # The anonymous reads back included, and the preflight's one GET before anything.
    assert len(seen) == mirror["requests"] + 1
    assert {r.method for r in seen} == {"GET", "PUT", "POST"}  # POST: the probe's delete
    # A plain-HTTP proxy is asked for the whole URL (boto3's listing, too).
    assert all(r.target.startswith(f"{seaweed.endpoint}/{bucket}") for r in seen), \
        [r.target for r in seen]
    assert {key_of(r.target.removeprefix(seaweed.endpoint)) for r in seen if r.method == "PUT"} \
        >= {"index.html", "articles/one.html", "files/img/m.png", "mirrors.json"}
    assert seaweed.anonymous_get(bucket, "articles/one.html").status_code == 200


def test_files_that_left_the_site_are_deleted_through_the_proxy_too(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    """The batch delete (POST BUCKET?delete) keeps its query when a plain-HTTP proxy is
    asked for the whole URL."""
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as proxy:
        write_site(tmp_path, ARTICLES, files=FILES, mirrors=[s3_mirror(seaweed, "s3", bucket)])
        env = {**seaweed.env(), "HTTP_PROXY": proxy.url, "http_proxy": proxy.url,
               "NO_PROXY": "", "no_proxy": ""}
        mirrorpub("publish", cwd=tmp_path, env=env, check=True)
        (tmp_path / "content" / "three.md").unlink()
        proxy.requests.clear()
        result = mirrorpub("publish", cwd=tmp_path, env=env)
        posts = [r.target for r in proxy.requests if r.method == "POST"]
    assert result.returncode == 0, result.stderr
    assert posts == [f"{seaweed.endpoint}/{bucket}?delete"]
    assert "articles/three.html" not in seaweed.keys(bucket)
    assert "articles/one.html" in seaweed.keys(bucket)


def _chain_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment where boto3's chain finds only what the test puts there."""
    return {"AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", **extra}


@pytest.mark.parametrize("how", ["AWS_* variables", "a named profile"])
def test_credentials_come_from_boto3s_chain_when_the_mirror_names_none(
        tmp_path: Path, seaweed: SeaweedFS, how: str) -> None:
    bucket = seaweed.make_bucket()
    mirror = {"name": "s3", "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
              "public_url": seaweed.public_url(bucket)}
    if how == "a named profile":
        (tmp_path / "aws-credentials").write_text(
            f"[newsroom]\naws_access_key_id = {seaweed.access_key}\n"
            f"aws_secret_access_key = {seaweed.secret_key}\n")
        mirror["profile"] = "newsroom"
        env = _chain_env(tmp_path)
    else:
        env = _chain_env(tmp_path, AWS_ACCESS_KEY_ID=seaweed.access_key,
                         AWS_SECRET_ACCESS_KEY=seaweed.secret_key)
    write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[mirror])
    result = mirrorpub("publish", cwd=tmp_path / "site", env=env)
    assert result.returncode == 0, result.stderr
    assert seaweed.anonymous_get(bucket, "articles/one.html").status_code == 200
    assert seaweed.secret_key not in result.stdout + result.stderr


@pytest.mark.parametrize(("profile", "env", "expected"), [
    (None, {}, "no credentials found"),
    ("nobody", {}, "AWS profile 'nobody' not found"),
    (None, {"AWS_PROFILE": "ghost"}, "AWS profile 'ghost' (from AWS_PROFILE) not found")])
def test_missing_credentials_are_one_line_that_says_where_to_put_them(
        tmp_path: Path, seaweed: SeaweedFS, profile: str | None, env: dict[str, str],
        expected: str) -> None:
    mirror = {"name": "s3", "type": "s3", "bucket": "news", "endpoint_url": seaweed.endpoint,
              **({"profile": profile} if profile else {})}
    write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[mirror])
    result = mirrorpub("publish", cwd=tmp_path / "site", env=_chain_env(tmp_path, **env))
    assert_no_traceback(result)
    assert result.returncode == 1
    (line,) = [x for x in result.stderr.splitlines() if "mirror 's3'" in x]
    assert expected in line
