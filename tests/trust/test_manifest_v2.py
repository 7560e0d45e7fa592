"""Manifest v2 (SPEC §12): a small mirrors.json naming parts by their sha256; an edit
changes few small parts; verify and status read v1 and v2 copies; hostile parts refused
in one line; the shipped schemas hold the documents publish writes."""

from __future__ import annotations

import copy as deep
import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import mirrorpub_memstore as memstore
import pytest

from mirrorpub import layout
from mirrorpub.config import load_config
from mirrorpub.model import FileEntry, Location, MirrorStatus, Stamp
from mirrorpub.read.status import check_all
from mirrorpub.read.verify import verify_copy
from mirrorpub.site.build.listings import _listing_jobs, age_ranks
from mirrorpub.site.pages import Entry
from mirrorpub.trust.manifest import (
    MAX_PARTS,
    ManifestMirror,
    SiteInfo,
    chunk_size,
    encode,
    manifest_document,
    split_files,
)
from mirrorpub.trust.schema import (
    files_part_schema,
    keys_schema,
    manifest_schema,
    manifest_v2_schema,
    schema_errors,
)
from tests.sitekit import assert_no_traceback, listed_files, mirrorpub, rewrite_listing
from tests.trust.conftest import make_site

SITE = SiteInfo(title="Kloop", language="ru", main_domain=None, blocked_help="",
                public_key="ed25519:" + "A" * 43 + "=", fingerprint="x")
STAMP = Stamp(version=9, published_at="2026-11-28T10:00:00Z",
              expires_at="2026-12-28T10:00:00Z", digest="d")


def corpus(articles: int) -> dict[str, FileEntry]:
    """The files of a site of `articles` articles, as a build lists them."""
    files = {f"articles/story-number-{n}.html": _entry(f"a{n}", 9000) for n in range(articles)}
    files.update({f"page-{n}.html": _entry(f"p{n}", 30000) for n in range(2, articles // 20)})
    files.update({f"tags/tag-{n}.html": _entry(f"t{n}", 8000) for n in range(articles // 10)})
    files.update({f"files/img/photo-{n}.jpg": _entry(f"f{n}", 90000)
                  for n in range(articles // 5)})
    files.update({p: _entry(p, 5000) for p in ("index.html", "feed.xml", "mirrors.html",
                                               "bc2.json", "keys.json", "keys.json.sig")})
    return files


def _entry(seed: str, size: int) -> FileEntry:
    return FileEntry(sha256=hashlib.sha256(seed.encode()).hexdigest(), size=size, md5="",
                     content_type="text/html")


def s3_mirrors(count: int) -> list[ManifestMirror]:
    return [ManifestMirror(name=f"mirror-{n:02d}", type="s3", status=MirrorStatus.ACTIVE,
                           location=Location(url=f"https://s3.eu-central-1.amazonaws.com/"
                                                 f"news-mirror-{n:02d}-7f3a/index.html",
                                             page_base=None))
            for n in range(count)]


def test_an_edit_of_one_article_changes_its_part_and_nothing_else():
    files, ranks = ranked_site(10_000)
    files.update({p: _entry(p, 5000) for p in ("index.html", "feed.xml", "mirrors.html")})
    before = split_files(files, ranks)
    edited = {**files, "articles/story-005000.html": _entry("edited", 9100)}
    after = split_files(edited, ranks)
    changed = set(after) - set(before)
    assert len(changed) == 1  # the one part holding the article
    assert sum(len(after[p]) for p in changed) < 54 * 1024  # with mirrors.json: < 64 KB
    # The front page and feed change with it nearly always: they share one small part.
    front = {**edited, "index.html": _entry("new front", 5100), "feed.xml": _entry("nf", 1)}
    also = set(split_files(front, ranks)) - set(after)
    assert len(also) == 1 and sum(len(split_files(front, ranks)[p]) for p in also) < 2048


def ranked_site(articles: int, *, skip: int | None = None) -> tuple[dict[str, FileEntry],
                                                                    dict[str, int]]:
    """A site as a build lists it, with the ages listings.age_ranks gives: every page of
    `articles` stories (1–4 of 60 tags each), less story `skip`. A listing page's bytes
    stand for what it shows."""
    rng = random.Random(7)  # the same stories whatever their number
    pool = [f"tag-{n}" for n in range(60)]
    tags = [tuple(rng.sample(pool, rng.randint(1, 4))) for _ in range(articles)]
    entries = [Entry(slug=f"story-{n:06d}", title="t", date=f"{n:08d}", updated=None,
                     summary="", lang="en", author=None, tags=tags[n])
               for n in reversed(range(articles)) if n != skip]
    files = {layout.article_path(e.slug): _entry(e.slug, 9000) for e in entries}
    for _template, page, shown, extra in _listing_jobs(entries, 20, 50):
        files[page] = _entry(repr((page, [e.slug for e in shown], sorted(extra.items()))),
                             20_000)
    return files, age_ranks(entries, 20, 50)


@pytest.mark.parametrize("articles", [2_000, 100_000])
def test_a_new_story_changes_a_few_small_parts(articles: int):
    """SPEC §14: the new article, the newest archive pages and its tags' pages share the
    newest parts; the older ones, written once, stay as they were."""
    before = split_files(*ranked_site(articles))
    files, ranks = ranked_site(articles + 1)
    after = split_files(files, ranks)
    new = set(after) - set(before)
    assert 1 <= len(new) <= 5
    assert sum(len(after[p]) for p in new) < 64 * 1024
    assert len(set(before) & set(after)) >= len(before) - 5


def test_a_file_taken_out_changes_the_parts_beside_it_only():
    """A story taken down in the middle of the archive moves no cut far from it: later
    parts keep their names though every later file moved down one place."""
    files, ranks = ranked_site(20_000)
    before = split_files(files, ranks)
    for n in range(5_000, 5_040):  # whichever part each lands in, and the cuts beside it
        path = f"articles/story-{n:06d}.html"
        after = split_files({p: e for p, e in files.items() if p != path}, ranks)
        assert 1 <= len(set(before) - set(after)) <= 3, path


def test_mirrors_json_stays_under_16_kb_with_20_mirrors_at_any_size():
    for articles in (10, 10_000, 100_000):
        parts = split_files(corpus(articles))
        assert len(parts) <= MAX_PARTS + 1
        data = encode(manifest_document(SITE, STAMP, s3_mirrors(20), parts))
        assert len(data) < 16 * 1024, (articles, len(data))


def test_parts_cover_every_file_once_and_are_named_by_their_sha256():
    files = corpus(2_000)
    files[layout.MANIFEST] = _entry("m", 1)
    files[layout.SIGNATURE] = _entry("s", 1)
    parts = split_files(files)
    seen: dict[str, Any] = {}
    for path, data in parts.items():
        assert path == layout.part_path(hashlib.sha256(data).hexdigest())
        listed = json.loads(data)
        jsonschema.validate(listed, files_part_schema())
        assert schema_errors(listed, files_part_schema()) == []
        assert not set(listed["files"]) & set(seen)
        seen.update(listed["files"])
    assert set(seen) == set(files) - {layout.MANIFEST, layout.SIGNATURE}
    assert split_files(dict(reversed(files.items()))) == parts  # deterministic


def test_parts_grow_in_steps_and_their_number_stops():
    sizes = [chunk_size(n) for n in (0, 256 * 40, 256 * 40 + 1, 12_000, 120_000)]
    assert sizes == [256, 256, 304, 304, 3443]
    files, ranks = ranked_site(100_000)
    assert len(split_files(files, ranks)) <= MAX_PARTS + 1


def test_the_schemas_hold_what_publish_writes_and_agree_with_jsonschema():
    doc = json.loads(encode(manifest_document(SITE, STAMP, s3_mirrors(3),
                                              split_files(corpus(50)))))
    assert doc["schema"] == "mirrorpub.manifest/2" and doc["key"] == SITE.public_key
    jsonschema.validate(doc, manifest_v2_schema())
    assert schema_errors(doc, manifest_v2_schema()) == []
    for schema in (manifest_schema(), manifest_v2_schema(), files_part_schema(), keys_schema()):
        jsonschema.Draft202012Validator.check_schema(schema)
    bad = deep.deepcopy(doc)
    bad["files_index"][0]["path"] = "mirrorpub-files/../../etc/passwd.json"
    assert schema_errors(bad, manifest_v2_schema()) != []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, manifest_v2_schema())


# --- copies ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("v2")
    usb = base / "usb"
    make_site(base / "site", [{"name": "usb", "type": "directory", "path": str(usb)}], None)
    assert mirrorpub("publish", cwd=base / "site").returncode == 0
    return usb


@pytest.fixture
def copy(published: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(published, target)
    return target


def verify(copy: Path) -> list[str]:
    result = mirrorpub("verify", str(copy), cwd=copy.parent)
    assert_no_traceback(result)
    assert result.returncode == 1, result.stdout
    return [line for line in result.stdout.splitlines() if line.startswith("problem:")]


def first_part(copy: Path) -> Path:
    manifest = json.loads((copy / "mirrors.json").read_text())
    return copy / manifest["files_index"][0]["path"]


def as_v1(copy: Path) -> None:
    """The copy as an earlier mirrorpub wrote it: every file in mirrors.json."""
    files = listed_files(copy)
    manifest = json.loads((copy / "mirrors.json").read_text())
    for entry in manifest.pop("files_index"):
        (copy / entry["path"]).unlink()
    manifest.pop("key", None)
    manifest.update(schema="mirrorpub.manifest/1", files=files)
    (copy / "mirrors.json").write_text(json.dumps(manifest, indent=2))


def test_verify_reads_a_v2_copy_and_a_v1_copy(copy: Path, state_home: Path):
    assert json.loads((copy / "mirrors.json").read_text())["schema"] == "mirrorpub.manifest/2"
    assert verify_copy(str(copy), seen_path=state_home / "a.json").ok
    (copy / "articles" / "first.html").write_text("<p>forged</p>")
    result = verify_copy(str(copy), seen_path=state_home / "b.json")
    assert [p.path for p in result.bad_files] == ["articles/first.html"]
    shutil.rmtree(copy / layout.PARTS_DIR)
    assert not verify_copy(str(copy), seen_path=state_home / "c.json").ok


def test_verify_and_status_read_a_v1_copy(tmp_path: Path, state_home: Path):
    site = tmp_path / "site"
    usb = tmp_path / "usb"
    make_site(site, [{"name": "usb", "type": "directory", "path": str(usb)}], None)
    assert mirrorpub("publish", cwd=site).returncode == 0
    as_v1(usb)
    result = verify_copy(str(usb), seen_path=state_home / "v1.json")
    assert result.ok, result.problems
    assert result.files_checked == len(json.loads((usb / "mirrors.json").read_text())["files"])
    report = check_all(load_config(site / "mirrorpub.toml"))
    assert report.exit_code == 0, [c.problems for c in report.copies]
    (usb / "index.html").write_text("<p>forged</p>")
    report = check_all(load_config(site / "mirrorpub.toml"))
    assert [p.path for c in report.copies for p in c.bad_files] == ["index.html"]


def test_status_reads_a_v2_copy(tmp_path: Path):
    site = tmp_path / "site"
    usb = tmp_path / "usb"
    make_site(site, [{"name": "usb", "type": "directory", "path": str(usb)}], None)
    assert mirrorpub("publish", cwd=site).returncode == 0
    report = check_all(load_config(site / "mirrorpub.toml"))
    assert report.exit_code == 0, [c.problems for c in report.copies]
    assert report.copies[0].files_checked == len(listed_files(usb))
    first_part(usb).write_text("{}")
    report = check_all(load_config(site / "mirrorpub.toml"))
    assert report.exit_code == 3 and any("does not match the sha256" in p
                                         for c in report.copies for p in c.problems)


def _replace_part(copy: Path, data: bytes) -> None:
    """A part with other bytes, and a mirrors.json naming it by their hash (unsigned)."""
    digest = hashlib.sha256(data).hexdigest()
    (copy / layout.part_path(digest)).write_bytes(data)
    manifest = json.loads((copy / "mirrors.json").read_text())
    manifest["files_index"][0] = {"path": layout.part_path(digest), "sha256": digest}
    (copy / "mirrors.json").write_text(json.dumps(manifest))


HOSTILE_PARTS = {
    "wrong types": (b'{"files": {"index.html": {"sha256": 7, "size": "big"}}}',
                    "not a valid part of a manifest"),
    "not an object": (b'["index.html"]', "not a valid part of a manifest"),
    "truncated": (b'{"files": {"index.html": {"sha256": "', "not valid JSON"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "huge": (b'{"files": {}, "x": "' + b"a" * (5 * 1024 * 1024) + b'"}', "larger than"),
    "escapes the copy": (b'{"files": {"../../etc/passwd": {"sha256": "' + b"0" * 64
                         + b'", "size": 1}}}', "leads outside the copy"),
    "lists the manifest": (b'{"files": {"mirrors.json": {"sha256": "' + b"0" * 64
                           + b'", "size": 1}}}', "not a valid part"),
    "binary": (bytes(range(256)) * 4, "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PARTS))
def test_a_hostile_part_is_refused_in_one_line(copy: Path, state_home: Path, case: str):
    data, expected = HOSTILE_PARTS[case]
    _replace_part(copy, data)
    problems = verify(copy)
    assert len(problems) == 1 and expected in problems[0], problems
    assert len(problems[0]) < 600


@pytest.mark.parametrize("name", [
    "mirrorpub-files/../mirrors.json", "../outside.json", "/etc/passwd",
    "mirrorpub-files/" + "0" * 64 + ".json\n", "mirrorpub-files/x.json"])
def test_a_part_name_that_is_not_a_part_is_refused(copy: Path, state_home: Path, name: str):
    manifest = json.loads((copy / "mirrors.json").read_text())
    manifest["files_index"][0]["path"] = name
    (copy / "mirrors.json").write_text(json.dumps(manifest))
    problems = verify(copy)
    assert len(problems) == 1 and "not a valid manifest" in problems[0], problems


def test_a_part_that_does_not_match_its_name_or_is_missing_is_refused(copy: Path,
                                                                      state_home: Path):
    part = first_part(copy)
    part.write_bytes(part.read_bytes()[:-10])  # cut short
    problems = verify(copy)
    assert len(problems) == 1 and "does not match the sha256" in problems[0]
    part.unlink()
    problems = verify(copy)
    assert len(problems) == 1 and "cannot be read" in problems[0]


def test_a_file_listed_in_two_parts_is_refused(copy: Path, state_home: Path):
    manifest = rewrite_listing(copy, lambda files: None)
    manifest["files_index"].append(dict(manifest["files_index"][0]))
    (copy / "mirrors.json").write_text(json.dumps(manifest))
    problems = verify(copy)
    assert len(problems) == 1 and "which another part lists too" in problems[0]


# --- publishing ------------------------------------------------------------------------

@pytest.fixture
def mem_site(tmp_path: Path):
    memstore.BUCKETS.clear()
    make_site(tmp_path, [{"name": "mem", "type": "memory", "bucket": "m",
                          "public_url": "https://mem.example/m/"}], None)
    yield tmp_path
    memstore.BUCKETS.clear()


def _publish(root: Path) -> None:
    from mirrorpub.publish.run import publish

    assert publish(load_config(root / "mirrorpub.toml")).exit_code == 0


def _named(files: dict[str, bytes]) -> set[str]:
    return {e["path"] for e in json.loads(files["mirrors.json"])["files_index"]}


def test_old_parts_stay_one_publish_and_are_deleted_after_no_manifest_names_them(
        mem_site: Path):
    from tests.sitekit import article

    _publish(mem_site)
    bucket = memstore.bucket("m")
    generations = [_named(bucket.files())]
    for n in range(3):
        (mem_site / "content" / "first.md").write_text(
            article("First story", "2026-11-20T10:00:00+00:00", f"Edit {n}."))
        start = len(bucket.log)
        _publish(mem_site)
        generations.append(_named(bucket.files()))
        log = bucket.log[start:]
        puts = [p for op, p in log if op == "put"]
        # New parts before the mirrors.json that names them; deletes after it.
        assert all(puts.index(p) < puts.index("mirrors.json") for p in puts if layout.is_part(p))
        deleted = [p for op, p in log if op == "delete"]
        last_put = max(i for i, (op, _) in enumerate(log) if op == "put")
        assert all(log.index(("delete", p)) > last_put for p in deleted)
        on_bucket = {p for p in bucket.files() if layout.is_part(p)}
        # The current manifest's parts and the previous one's; nothing older.
        assert on_bucket == generations[-1] | generations[-2]
        # A one-edit publish sends mirrors.json and two small parts at most.
        assert len([p for p in puts if layout.is_part(p)]) <= 2
