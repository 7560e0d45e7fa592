"""Which copies readers are sent to, against a real SeaweedFS: only ones that completed a
publish and that an anonymous reader can open; and what a publish reads from a bucket
(its index) is bounded, whatever the bucket serves."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.mirrors.remoteindex import INDEX_NAME, encode_index
from mirrorpub.publish.probe import PROBE
from tests.services.faultproxy import FORWARD, FaultProxy, Request, Respond, respond
from tests.services.seaweed import SeaweedFS
from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site

pytestmark = [pytest.mark.s3, pytest.mark.timeout(240)]

ARTICLES = {"one.md": article("One", "2026-11-01T10:00:00+00:00", "First."),
            "two.md": article("Two", "2026-11-02T10:00:00+00:00", "Second.", tags=["news"])}
NAMING = ("index.html", "articles/one.html", "tags/news.html", "mirrors.html", "mirrors.json",
          "bc2.json")


def s3(seaweed: SeaweedFS, name: str, bucket: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "s3", "bucket": bucket, "endpoint_url": seaweed.endpoint,
            "access_key_id_env": "TEST_S3_KEY", "secret_access_key_env": "TEST_S3_SECRET",
            **extra}


def what_readers_see(seaweed: SeaweedFS, bucket: str) -> str:
    return "\n".join(seaweed.anonymous_get(bucket, key).text for key in NAMING)


def test_a_mistyped_bucket_is_never_named_to_readers(tmp_path: Path, seaweed: SeaweedFS) -> None:
    good, meant = seaweed.make_bucket(), seaweed.make_bucket()
    typo = meant + "x"  # nobody's bucket yet: on AWS, anyone could create it and serve lies
    write_site(tmp_path, ARTICLES, mirrors=[s3(seaweed, "good", good), s3(seaweed, "aws", typo)])
    # Sent anyway (--skip-preflight: else it stops before sending, as tests/s3/test_preflight).
    result = mirrorpub("publish", "--skip-preflight", cwd=tmp_path, env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 3
    assert f"bucket '{typo}' does not exist" in result.stderr
    seen = what_readers_see(seaweed, good)
    assert seaweed.public_url(typo) not in seen and '"aws"' not in seen
    assert mirrorpub("build", cwd=tmp_path).returncode == 0  # public/ is a copy too
    for key in NAMING:
        assert seaweed.public_url(typo) not in (tmp_path / "public" / key).read_text(), key
    # The owner fixes the name: from that publish on, every page and copy names it.
    write_site(tmp_path, ARTICLES, mirrors=[s3(seaweed, "good", good), s3(seaweed, "aws", meant)])
    fixed = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
    assert fixed.returncode == 0, fixed.stderr
    for bucket in (good, meant):
        seen = what_readers_see(seaweed, bucket)
        assert f'href="{seaweed.public_url(meant)}articles/one.html"' in \
            seaweed.anonymous_get(bucket, "articles/one.html").text
        assert seaweed.public_url(meant) + "index.html" in seen


def test_a_first_publish_names_a_proved_copy_at_once_and_sends_each_page_once(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    write_site(tmp_path, ARTICLES, mirrors=[s3(seaweed, "s3", bucket)])
    result = mirrorpub("publish", "--json", cwd=tmp_path, env=seaweed.env())
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1  # one round: no second manifest version
    (mirror,) = report["mirrors"]
    keys = seaweed.keys(bucket)
    site_files = [k for k in keys if not k.startswith(".mirrorpub-index")]
    assert mirror["uploaded"] == len(site_files)  # no file sent twice
    assert ".mirrorpub-probe.txt" not in keys
    for key in NAMING:
        assert seaweed.public_url(bucket) in seaweed.anonymous_get(bucket, key).text, key


def test_the_publish_after_a_first_one_makes_no_manifest_file_again(
        tmp_path: Path, seaweed: SeaweedFS, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changed since the first publish (one round, the copy proved): its manifest
    files are kept as they are, not made again from every file of the site."""
    from mirrorpub.config import load_config
    from mirrorpub.publish import copyfiles
    from mirrorpub.publish.run import publish

    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    write_site(tmp_path, ARTICLES, mirrors=[s3(seaweed, "s3", bucket := seaweed.make_bucket())])
    first = publish(load_config(tmp_path / "mirrorpub.toml"))
    assert first.exit_code == 0 and first.version == 1
    made: list[int] = []
    real = copyfiles.render_files

    def counted(**kwargs: Any) -> dict[str, bytes]:
        made.append(1)
        return real(**kwargs)

    monkeypatch.setattr(copyfiles, "render_files", counted)
    again = publish(load_config(tmp_path / "mirrorpub.toml"))
    assert again.exit_code == 0 and not again.changed and again.version == 1
    assert made == []
    assert '"created_at"' in seaweed.anonymous_get(bucket, "bc2.json").text


def test_a_proved_copy_that_fails_later_is_named_nowhere(tmp_path: Path,
                                                         seaweed: SeaweedFS) -> None:
    """Its probe was read back, then an upload is refused: the publish runs once more, so
    the copy that worked ends naming only itself."""
    good, flaky = seaweed.make_bucket(), seaweed.make_bucket()

    def refuse_pages(request: Request) -> object:
        return respond(403, "AccessDenied") if request.method == "PUT" and \
            request.path.endswith("/articles/one.html") else FORWARD

    with FaultProxy.to(seaweed.endpoint, refuse_pages) as proxy:
        write_site(tmp_path, ARTICLES, mirrors=[
            s3(seaweed, "good", good),
            s3(seaweed, "flaky", flaky, endpoint_url=proxy.url,
               public_url=seaweed.public_url(flaky))])
        result = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
    assert_no_traceback(result)
    assert result.returncode == 3
    assert "flaky: FAILED" in result.stderr and "articles/one.html" in result.stderr
    seen = what_readers_see(seaweed, good)
    assert seaweed.public_url(good) in seen
    assert seaweed.public_url(flaky) not in seen and '"flaky"' not in seen


def test_a_copy_serving_other_bytes_at_its_public_url_fails(tmp_path: Path,
                                                            seaweed: SeaweedFS) -> None:
    ours, other = seaweed.make_bucket(), seaweed.make_bucket()
    write_site(tmp_path / "elsewhere", ARTICLES, title="Another site",
               mirrors=[s3(seaweed, "theirs", other)])
    assert mirrorpub("publish", cwd=tmp_path / "elsewhere", env=seaweed.env()).returncode == 0
    # public_url mistyped as another site's bucket: uploads would go to ours, readers get
    # theirs. The probe put in ours is not found there, so nothing else is sent.
    write_site(tmp_path / "site", ARTICLES,
               mirrors=[s3(seaweed, "s3", ours, public_url=seaweed.public_url(other))])
    result = mirrorpub("publish", cwd=tmp_path / "site", env=seaweed.env())
    assert result.returncode == 3
    (failure,) = [line for line in result.stderr.splitlines() if "s3: FAILED" in line]
    assert f"{seaweed.public_url(other)}.mirrorpub-probe.txt is not found by an anonymous " \
        "reader (not found (HTTP 404)), though it was just sent: does public_url lead to " \
        "this copy?" in failure
    assert seaweed.keys(ours) == {}  # the probe removed, no page sent
    assert ".mirrorpub-probe.txt" not in seaweed.keys(other)


def test_a_copy_serving_other_bytes_at_its_public_url_fails_once_sent(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    """The probe is found, but the pages readers get there are another site's."""
    ours, other = seaweed.make_bucket(), seaweed.make_bucket()
    write_site(tmp_path / "elsewhere", ARTICLES, title="Another site",
               mirrors=[s3(seaweed, "theirs", other)])
    assert mirrorpub("publish", cwd=tmp_path / "elsewhere", env=seaweed.env()).returncode == 0
    write_site(tmp_path / "site", ARTICLES,
               mirrors=[s3(seaweed, "s3", ours, public_url=seaweed.public_url(other))])
    # Theirs holds a probe, as one of its publishes cut off mid-probe would leave it: the
    # probe is read back, and the pages, once sent, are the ones that tell.
    seaweed.client().put_object(Bucket=other, Key=".mirrorpub-probe.txt", Body=PROBE)
    result = mirrorpub("publish", cwd=tmp_path / "site", env=seaweed.env())
    assert result.returncode == 3
    (failure,) = [line for line in result.stderr.splitlines() if "s3: FAILED" in line]
    assert "feed.xml serves other bytes than were just sent: does public_url lead to " \
        "another copy?" in failure


# --- the index a bucket serves -----------------------------------------------------------------

def published_bucket(tmp_path: Path, seaweed: SeaweedFS,
                     endpoint: str | None = None) -> tuple[str, Path]:
    bucket = seaweed.make_bucket()
    write_site(tmp_path, ARTICLES, mirrors=[
        s3(seaweed, "s3", bucket, **({"endpoint_url": endpoint} if endpoint else {}))])
    assert mirrorpub("publish", cwd=tmp_path, env=seaweed.env()).returncode == 0
    return bucket, tmp_path


def test_an_index_that_inflates_past_what_any_site_needs_is_not_read(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket, root = published_bucket(tmp_path, seaweed)
    # A well-formed index, checksum and all, of a few hundred KB gzip'd that inflates to
    # 72 MB (the cap is 64 MB, four times what 100,000 files need). A bomb needs no
    # validity; this one has it, so only the cap can turn it away.
    bomb = encode_index({}, {"x" * (72 << 20)})
    assert len(bomb) < 2 << 20
    seaweed.client().put_object(Bucket=bucket, Key=INDEX_NAME, Body=bomb)
    result = mirrorpub("publish", "--dry-run", cwd=root, env=seaweed.env())
    assert result.returncode == 0, result.stderr
    assert "  note: the mirror's index is damaged; compared against a listing" in \
        result.stdout.splitlines()


def test_a_huge_index_object_is_read_no_further_than_the_cap(tmp_path: Path,
                                                            seaweed: SeaweedFS) -> None:
    with FaultProxy.to(seaweed.endpoint) as proxy:
        bucket, root = published_bucket(tmp_path, seaweed, endpoint=proxy.url)
        huge = gzip.compress(b"{", mtime=0) + os.urandom(96 << 20)  # three times the cap
        seaweed.client().put_object(Bucket=bucket, Key=INDEX_NAME, Body=huge)
        proxy.requests.clear()
        result = mirrorpub("publish", "--dry-run", cwd=root, env=seaweed.env())
        asked = [r for r in proxy.requests if r.method == "GET" and INDEX_NAME in r.target]
    assert result.returncode == 0, result.stderr
    assert "index is damaged" in result.stdout
    assert len(asked) == 1
    # The cap (32 MB), and what sat in socket buffers when the connection was dropped.
    assert asked[0].answered < 48 << 20, asked[0].answered


def test_a_copy_that_stops_letting_readers_in_is_failed_and_named_failed(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    one, two = seaweed.make_bucket(), seaweed.make_bucket()
    write_site(tmp_path, ARTICLES, mirrors=[s3(seaweed, "one", one), s3(seaweed, "two", two)])
    assert mirrorpub("publish", cwd=tmp_path, env=seaweed.env()).returncode == 0
    seaweed.client().delete_bucket_policy(Bucket=two)  # someone closes bucket two
    (tmp_path / "content" / "three.md").write_text(article("Three", "2026-11-03T10:00:00Z"))
    result = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
    assert result.returncode == 3
    (failure,) = [line for line in result.stderr.splitlines() if "two: FAILED" in line]
    assert "make it public with a bucket policy" in failure
    manifest = json.loads(seaweed.anonymous_get(one, "mirrors.json").content)
    assert {m["name"]: m["status"] for m in manifest["mirrors"]} == {"one": "active",
                                                                     "two": "failed"}


def test_a_cdn_still_serving_the_page_before_does_not_fail_a_copy_that_published(
        tmp_path: Path, seaweed: SeaweedFS) -> None:
    bucket = seaweed.make_bucket()
    with FaultProxy.to(seaweed.endpoint) as cdn:  # pages are cached five minutes
        write_site(tmp_path, ARTICLES,
                   mirrors=[s3(seaweed, "s3", bucket, public_url=f"{cdn.url}/{bucket}/")])
        assert mirrorpub("publish", cwd=tmp_path, env=seaweed.env()).returncode == 0
        before = seaweed.anonymous_get(bucket, "index.html").content
        cdn.rule = lambda r: Respond(200, before, "text/html; charset=utf-8") \
            if r.path.endswith("/index.html") else FORWARD
        (tmp_path / "content" / "three.md").write_text(article("Three", "2026-11-03T10:00:00Z"))
        result = mirrorpub("publish", cwd=tmp_path, env=seaweed.env())
        assert result.returncode == 0, result.stderr
        assert cdn.faults  # the old front page was served
