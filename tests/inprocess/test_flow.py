"""The whole publish flow, in this process, on in-memory buckets (tests/plugins/).

Plan, order, barrier, manifest, deletes, the delete cap and crash points, as Hugo's deploy
tests run on `memblob`: the real code end to end, no server, milliseconds. The same flows
against real services are in tests/publish, tests/s3 and tests/reliability.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mirrorpub_memstore as memstore
import pytest

from mirrorpub.config import load_config
from mirrorpub.layout import is_part, upload_rank
from mirrorpub.mirrors import objectstore
from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.remoteindex import encode_index
from mirrorpub.publish.local import build_only
from mirrorpub.publish.report import PublishReport
from mirrorpub.publish.run import publish
from mirrorpub.site.mediatypes import content_type
from tests.sitekit import article, crawl, write_site

ARTICLES = {
    "one.md": article("One", "2026-11-01T10:00:00+00:00", "See [two](two.md) and "
                      "![map](img/map.png).", tags=["news"]),
    "two.md": article("Two", "2026-11-02T10:00:00+00:00", "Back to [one](one.md).",
                      tags=["news", "kz"]),
    "three.md": article("Three", "2026-11-03T10:00:00+00:00", "Third."),
}
FILES = {"img/map.png": b"\x89PNG map"}


@pytest.fixture(autouse=True)
def fresh_buckets() -> Iterator[None]:
    memstore.BUCKETS.clear()
    yield
    memstore.BUCKETS.clear()


@dataclass
class Site:
    root: Path
    mirrors: list[dict[str, Any]]

    @property
    def config_path(self) -> Path:
        return self.root / "mirrorpub.toml"

    def publish(self, **options: Any) -> PublishReport:
        return publish(load_config(self.config_path), **options)

    def build(self) -> None:
        build_only(load_config(self.config_path))  # `mirrorpub build`

    def write(self, rel: str, text: str) -> None:
        (self.root / "content" / rel).write_text(text, encoding="utf-8")

    def remove(self, rel: str) -> None:
        (self.root / "content" / rel).unlink()

    def built(self) -> dict[str, bytes]:
        public = self.root / "public"
        return {p.relative_to(public).as_posix(): p.read_bytes()
                for p in public.rglob("*") if p.is_file()}


def make_site(tmp_path: Path, *buckets: str, **site: Any) -> Site:
    mirrors = [{"name": f"mem-{b}", "type": "memory", "bucket": b,
                "public_url": f"https://mem.example/{b}/"} for b in buckets]
    write_site(tmp_path, ARTICLES, files=FILES, mirrors=mirrors, per_page=2, **site)
    return Site(tmp_path, mirrors)


def summary(report: PublishReport, name: str) -> dict[str, int]:
    """Hugo's deploy tests' summary, per mirror."""
    mirror = next(m for m in report.mirrors if m.name == name)
    o = mirror.outcome
    return {"uploaded": o.uploaded, "deleted": o.deleted, "ok": int(mirror.ok)}


def reader_problems(bucket: memstore.MemoryBucket) -> list[str]:
    """What a reader starting at index.html trips over in this bucket."""
    files = bucket.files()

    def fetch(path: str) -> tuple[int, str, bytes]:
        if path not in files:
            return 404, "", b""
        return 200, content_type(path), files[path]

    if "index.html" not in files:
        return []  # nothing published yet: a reader finds no site, not a broken one
    result = crawl(fetch)
    return result.problems + manifest_problems(files)


def listed(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """What the copy's mirrors.json lists, through its parts (SPEC §12)."""
    manifest = json.loads(files["mirrors.json"])
    out: dict[str, dict[str, Any]] = {}
    for entry in manifest["files_index"]:
        out.update(json.loads(files[entry["path"]])["files"])
    return out


def manifest_problems(files: dict[str, bytes]) -> list[str]:
    """Every part mirrors.json names is there, whole; every file listed is there."""
    manifest = json.loads(files["mirrors.json"])
    problems = [f"part {e['path']} missing or altered" for e in manifest["files_index"]
                if e["path"] not in files or sha256(files[e["path"]]) != e["sha256"]]
    if problems:
        return problems
    # Mid-publish a changed file may already be new under the old manifest (SPEC §8 asks
    # only that nothing is missing); a finished publish is compared byte for byte.
    return [f"mirrors.json lists {p}, not there" for p in listed(files) if p not in files]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _named(files: dict[str, bytes]) -> set[str]:
    return {e["path"] for e in json.loads(files["mirrors.json"])["files_index"]}


def current(files: dict[str, bytes]) -> dict[str, bytes]:
    """The copy without the parts of the manifest it replaced (kept one publish more,
    for readers who fetched that manifest a moment before)."""
    named = {e["path"] for e in json.loads(files["mirrors.json"])["files_index"]}
    return {p: d for p, d in files.items() if not is_part(p) or p in named}


def index_is_whole(bucket: memstore.MemoryBucket) -> bool:
    """The bucket's index and journal name exactly what it holds, nothing pending."""
    files, pending = bucket.state()  # type: ignore[misc]
    return not pending and set(files) == set(bucket.files())


# --- the plain flow -------------------------------------------------------------------

def rounds(log: list[tuple[str, str]]) -> list[list[str]]:
    """The paths put in each stretch between two index (or journal) writes."""
    out: list[list[str]] = [[]]
    for op, path in log:
        if op in ("index", "journal"):
            out.append([])
        elif op == "put":
            out[-1].append(path)
    return [puts for puts in out if puts]


def test_a_first_publish_sends_every_file_in_the_order_spec_8_asks(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    report = site.publish()
    assert report.exit_code == 0 and report.changed
    bucket = memstore.bucket("a")
    assert current(bucket.files()) == site.built()  # the copy is exactly the build
    first, second = rounds(bucket.log)
    for puts in (first, second):
        ranks = [upload_rank(p, is_new=True) for p in puts]
        assert ranks == sorted(ranks), puts  # assets, articles, tags, listings, pages, manifest
        pages = [p for p in puts if not is_part(p)]
        assert pages[-2:] == ["index.html", "mirrors.json"]
        # Its parts go up after the pages, before the mirrors.json that names them.
        named = {e["path"] for e in json.loads(bucket.files()["mirrors.json"])["files_index"]}
        assert puts.index("mirrors.json") > max(puts.index(p) for p in puts if is_part(p))
        assert named <= set(bucket.files())
    assert {p for p in first if not is_part(p)} == {p for p in site.built() if not is_part(p)}
    # Its first publish done, the copy is named: once more, the pages that name it and the
    # manifest files, nothing else (version 2: what the copies say changed).
    assert "files/img/map.png" not in second and "mirrors.json" in second
    assert all(p.endswith(".html") or p in ("feed.xml", "bc2.json", "mirrors.json")
               or is_part(p) for p in second), second
    assert report.version == 2
    for path, data in bucket.files().items():
        if path.endswith(".html"):
            assert b"https://mem.example/a/" in data, path
    # Listed at first, the copy gets a whole index; after that, only the journal changes.
    assert bucket.log[:2] == [("index", ""), ("journal", "")]
    assert bucket.log[-1] == ("journal", "") and bucket.log.count(("index", "")) == 1
    files, pending = bucket.state()  # type: ignore[misc]
    assert not pending and set(files) == set(bucket.files())  # the kept parts too
    assert summary(report, "mem-a") == {"uploaded": len(first) + len(second), "deleted": 0,
                                        "ok": 1}


def test_a_publish_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    before, requests = list(bucket.log), bucket.requests
    bucket.looks.clear()
    report = site.publish()
    assert not report.changed and report.version == 2
    assert bucket.log == before  # no put, no delete, no index write
    assert bucket.requests - requests == 3
    assert report.mirrors[0].outcome.requests == 3
    # The journal, the index's mark and mirrors.json's: the index itself is not read.
    assert bucket.looks == AS_LEFT_LOOKS


AS_LEFT_LOOKS = [("get", ".mirrorpub-index.journal.json"), ("head", ".mirrorpub-index.json"),
                 ("head", "mirrors.json")]


def test_after_an_edit_the_next_publish_knows_the_copy_unread(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    site.write("three.md", article("Three", "2026-11-03T10:00:00+00:00", "Third, corrected."))
    site.publish()
    bucket = memstore.bucket("a")
    bucket.looks.clear()
    report = site.publish()
    assert summary(report, "mem-a") == {"uploaded": 0, "deleted": 0, "ok": 1}
    assert bucket.looks == AS_LEFT_LOOKS


def test_a_copy_someone_else_changed_is_read_whole(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    files, pending = bucket.state()  # type: ignore[misc]
    del files["articles/three.html"]
    bucket.index = encode_index(files, pending)  # another publisher's index (say)
    bucket.looks.clear()
    report = site.publish()
    assert ("get", ".mirrorpub-index.json") in bucket.looks
    # The page the index no longer names is sent again (and, with the index written,
    # the parts of the manifest before last go).
    assert summary(report, "mem-a")["uploaded"] == 1
    files, pending = bucket.state()  # type: ignore[misc]
    assert "articles/three.html" in files and not pending


def test_a_renewed_manifest_on_an_unchanged_site_keeps_the_index_whole(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    state_file = tmp_path / ".mirrorpub" / "state.json"
    state = json.loads(state_file.read_text())
    state["stamps"]["final"]["expires_at"] = "2026-01-01T00:00:00Z"  # past half its life
    state_file.write_text(json.dumps(state))
    bucket = memstore.bucket("a")
    bucket.looks.clear()
    index = bucket.index
    report = site.publish()
    assert report.changed and report.version == 3
    # Found as left: the new manifest files go up with a journal, the index unread.
    assert bucket.looks == AS_LEFT_LOOKS and bucket.index == index
    assert json.loads(bucket.files()["mirrors.json"])["version"] == 3
    assert index_is_whole(bucket)
    assert reader_problems(bucket) == []
    bucket.looks.clear()
    assert not site.publish().changed
    assert bucket.looks == AS_LEFT_LOOKS


def test_one_edit_goes_up_from_the_builds_delta_the_index_unread(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    index, start = bucket.index, len(bucket.log)
    bucket.looks.clear()
    site.write("three.md", article("Three", "2026-11-03T10:00:00+00:00", "Third, edited."))
    report = site.publish()
    assert bucket.looks == AS_LEFT_LOOKS and bucket.index == index  # only the journal
    sent = {path for op, path in bucket.log[start:] if op == "put"}
    assert "articles/three.html" in sent and "articles/one.html" not in sent
    # What the journal says is what the copy holds, and a reader finds it whole.
    assert current(bucket.files()) == site.built() and report.version == 3
    assert index_is_whole(bucket)
    files, _ = bucket.state()  # type: ignore[misc]
    assert {p: e.sha256 for p, e in files.items()} == {
        p: hashlib.sha256(d).hexdigest() for p, d in bucket.files().items()}
    assert reader_problems(bucket) == []
    bucket.looks.clear()
    assert not site.publish().changed and bucket.looks == AS_LEFT_LOOKS


def test_an_article_removed_and_one_added_go_by_the_delta(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    index = bucket.index
    site.remove("three.md")
    site.write("four.md", article("Four", "2026-11-04T10:00:00+00:00", "Fourth."))
    report = site.publish()
    assert report.exit_code == 0 and bucket.index == index
    assert "articles/three.html" not in bucket.files()
    assert "articles/four.html" in bucket.files()
    assert current(bucket.files()) == site.built()
    assert index_is_whole(bucket)


def test_a_build_between_publishes_keeps_the_delta_and_two_fall_back(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    site.write("three.md", article("Three", "2026-11-03T10:00:00+00:00", "Third, edited."))
    site.build()  # the editor looks first: the publish's build is then the stamp's
    bucket.looks.clear()
    site.publish()
    assert bucket.looks == AS_LEFT_LOOKS and current(bucket.files()) == site.built()
    # Two builds with a change each: the delta starts where the copy is not; read whole.
    site.write("three.md", article("Three", "2026-11-03T10:00:00+00:00", "Third, again."))
    site.build()
    site.write("two.md", article("Two", "2026-11-02T10:00:00+00:00", "Two, edited."))
    bucket.looks.clear()
    site.publish()
    assert ("get", ".mirrorpub-index.json") in bucket.looks
    assert current(bucket.files()) == site.built()
    assert index_is_whole(bucket)


def test_a_journal_past_its_limit_becomes_a_new_base(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(objectstore, "JOURNAL_LIMIT", 3)
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    index = bucket.index
    site.write("three.md", article("Three", "2026-11-03T10:00:00+00:00", "Third, edited."))
    site.publish()
    assert bucket.index != index  # read once, folded with the journal into a new base
    assert current(bucket.files()) == site.built()
    assert index_is_whole(bucket)
    bucket.looks.clear()
    assert not site.publish().changed and bucket.looks == AS_LEFT_LOOKS


def test_one_edit_sends_the_article_and_what_shows_it(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    start = len(bucket.log)
    site.write("three.md", article("Three", "2026-11-03T10:00:00+00:00", "Third, edited."))
    report = site.publish()
    sent = {path for op, path in bucket.log[start:] if op == "put"}
    assert "articles/three.html" in sent and "mirrors.json" in sent
    assert "articles/one.html" not in sent and "files/img/map.png" not in sent
    assert current(bucket.files()) == site.built() and report.version == 3


def test_an_article_that_left_is_deleted_after_the_new_manifest(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    bucket.put_foreign("notes/owner.txt", b"the bucket owner's own file")
    start = len(bucket.log)
    before = set(site.built())
    site.remove("three.md")
    report = site.publish()
    gone = {p for p in before - set(site.built()) if not is_part(p)}
    # 3 articles, 2 a page: archive pages 1 and 2; with 2 left, page-2.html goes
    assert gone == {"articles/three.html", "page-2.html"}
    log = bucket.log[start:]
    assert {path for op, path in log if op == "delete" and not is_part(path)} == gone
    assert ("delete", "articles/three.html") in log
    assert log.index(("put", "mirrors.json")) < log.index(("delete", "articles/three.html"))
    assert "notes/owner.txt" in bucket.files()  # never ours, never deleted
    assert "articles/three.html" not in bucket.files()
    # And the parts of the manifest before the one replaced: named by none published.
    assert summary(report, "mem-a")["deleted"] == 2 + len(
        [p for op, p in log if op == "delete" and is_part(p)])


@pytest.mark.parametrize("cap", [0, 1])
def test_more_deletes_than_the_cap_are_held_back_and_reported(tmp_path: Path, cap: int) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    site.remove("three.md")
    site.remove("two.md")
    site.write("one.md", article("One", "2026-11-01T10:00:00+00:00", "Alone now."))
    report = site.publish(max_deletes=cap)
    bucket = memstore.bucket("a")
    assert "articles/two.html" in bucket.files() and "articles/three.html" in bucket.files()
    assert report.exit_code == 3
    problem = report.mirrors[0].outcome.problem or ""
    assert "not deleted: more than the cap" in problem and "--max-deletes" in problem
    files, _ = bucket.state()  # type: ignore[misc]
    assert "articles/two.html" in files  # still ours: the next publish may delete it
    assert site.publish(max_deletes=-1).exit_code == 0  # -1: no cap
    assert "articles/two.html" not in bucket.files()


def test_dry_run_sends_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    report = site.publish(dry_run=True)
    assert report.dry_run and report.exit_code == 0
    assert memstore.bucket("a").log == [] and memstore.bucket("a").files() == {}
    assert report.mirrors[0].plan.startswith(f"{len(site.built())} to upload")


# --- the barrier ----------------------------------------------------------------------

def manifest_status(bucket: str) -> dict[str, str]:
    manifest = json.loads(memstore.bucket(bucket).files()["mirrors.json"])
    return {m["name"]: m["status"] for m in manifest["mirrors"]}


def test_a_mirror_that_never_published_is_not_named_until_it_has(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a", "b")
    memstore.bucket("b").fail_puts.add("articles/two.html")
    report = site.publish()
    assert report.exit_code == 3
    good, bad = report.mirrors
    assert good.ok and not bad.ok and "articles/two.html" in (bad.error or "")
    assert manifest_status("a") == {"mem-a": "active"}  # b may never be what readers get
    assert "mem.example/b/" not in memstore.bucket("a").files()["articles/one.html"].decode()
    assert reader_problems(memstore.bucket("a")) == []
    # b never got as far as its index page: readers there see no site, not a broken one
    assert "index.html" not in memstore.bucket("b").files()
    memstore.bucket("b").fail_puts.clear()
    again = site.publish()
    assert again.exit_code == 0
    for bucket in ("a", "b"):
        assert manifest_status(bucket) == {"mem-a": "active", "mem-b": "active"}
        assert "https://mem.example/b/articles/one.html" in \
            memstore.bucket(bucket).files()["articles/one.html"].decode()


def test_one_failing_mirror_is_named_failed_by_the_others(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a", "b")
    assert site.publish().exit_code == 0
    site.write("two.md", article("Two", "2026-11-02T10:00:00+00:00", "Edited."))
    memstore.bucket("b").fail_puts.add("articles/two.html")
    report = site.publish()
    assert report.exit_code == 3
    assert manifest_status("a") == {"mem-a": "active", "mem-b": "failed"}
    assert reader_problems(memstore.bucket("a")) == []
    assert reader_problems(memstore.bucket("b")) == []  # still the older, whole site
    memstore.bucket("b").fail_puts.clear()
    assert site.publish().exit_code == 0
    assert manifest_status("b") == {"mem-a": "active", "mem-b": "active"}


def test_every_page_lists_the_other_copies_at_the_same_path(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a", "b")
    site.publish()
    page = memstore.bucket("a").files()["articles/one.html"].decode()
    assert "https://mem.example/b/articles/one.html" in page


# --- cut off anywhere -----------------------------------------------------------------

def edit_everything(site: Site) -> None:
    site.remove("three.md")
    site.write("four.md", article("Four", "2026-11-04T10:00:00+00:00", "New, see [one](one.md)."))
    site.write("one.md", article("One", "2026-11-01T10:00:00+00:00", "Edited; [two](two.md).",
                                 tags=["news", "new-tag"]))


def copy_of(template: Site, root: Path, saved: memstore.MemoryBucket) -> memstore.MemoryBucket:
    """The site folder and its bucket as the first publish left them."""
    shutil.copytree(template.root, root, symlinks=True)
    memstore.BUCKETS.clear()
    bucket = memstore.bucket("a")
    bucket.objects, bucket.index = dict(saved.objects), saved.index
    bucket.journal = saved.journal
    return bucket


def killed_publish(site: Site) -> None:
    """A publish that dies at the bucket's crash point: it writes no state either."""
    state = site.root / ".mirrorpub" / "state.json"
    before = state.read_bytes()
    site.publish()
    state.write_bytes(before)


@pytest.mark.parametrize("limit", [objectstore.JOURNAL_LIMIT, 0], ids=["journal", "new-index"])
def test_a_publish_cut_off_at_any_write_leaves_a_whole_site_and_the_next_one_finishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """With a journal limit of 0, every final state goes up as a new index and then its
    journal: a cut between the two is among the cuts tried."""
    monkeypatch.setattr(objectstore, "JOURNAL_LIMIT", limit)
    template = make_site(tmp_path / "template", "a")
    template.publish()
    edit_everything(template)
    saved = memstore.BUCKETS["a"]
    counting = Site(tmp_path / "count", template.mirrors)
    bucket = copy_of(template, counting.root, saved)
    counting.publish()
    total = bucket.writes  # every put, delete and index write of the changing publish
    assert total > 10
    for crash_at in range(1, total + 1):
        site = Site(tmp_path / f"cut-{crash_at}", template.mirrors)
        bucket = copy_of(template, site.root, saved)
        bucket.crash_at = crash_at
        killed_publish(site)
        assert bucket.writes >= crash_at  # it did die there
        assert reader_problems(bucket) == [], f"cut off at write {crash_at}"
        bucket.crash_at = None
        assert site.publish().exit_code == 0
        assert current(bucket.files()) == site.built(), f"not finished after a cut at {crash_at}"
        # Besides, at most the parts of one manifest before (none of a publish cut off).
        kept = set(bucket.files()) - set(current(bucket.files()))
        assert len(kept) <= len(_named(bucket.files())), (crash_at, kept)
        assert index_is_whole(bucket)


def test_paths_an_interrupted_publish_left_pending_are_sent_again(tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    site.write("two.md", article("Two", "2026-11-02T10:00:00+00:00", "Edited."))
    # Dies after the index marked the planned paths pending and the page went up.
    bucket.crash_at = bucket.writes + 3
    killed_publish(site)
    assert bucket.log[-2:] == [("journal", ""), ("put", "articles/two.html")]
    _, pending = bucket.state()  # type: ignore[misc]
    assert "articles/two.html" in pending
    bucket.crash_at = None
    start = len(bucket.log)
    site.publish()
    assert ("put", "articles/two.html") in bucket.log[start:]  # its bytes are not vouched for
    assert current(bucket.files()) == site.built()


def test_a_damaged_index_falls_back_to_a_listing_and_deletes_nothing_foreign(
        tmp_path: Path) -> None:
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    bucket.index = b"\x1f\x8b garbage"
    bucket.put_foreign("articles/not-ours.html", b"<p>someone else's</p>")
    site.remove("three.md")
    report = site.publish()
    assert report.exit_code == 0
    assert "articles/not-ours.html" in bucket.files()
    assert "articles/three.html" not in bucket.files()  # carries our mark: ours
    assert any("index is damaged" in line for line in report.mirrors[0].plan_lines)


# --- a forged index -------------------------------------------------------------------

UNSAFE = ["../other-site/index.html", "/etc/passwd", "articles/../../x.html", "a//b.html",
          "files\\..\\..\\x", "tags/./t.html", "line\nbreak.html"]


@pytest.mark.parametrize("source", ["index", "listing"])
def test_paths_no_site_can_hold_are_never_written_or_deleted(tmp_path: Path,
                                                             source: str) -> None:
    """A forged index (or a listing) naming `../…`, absolute or odd paths: S3 servers and
    proxies that normalise paths would delete outside the prefix. Not one request for
    them is made; the editor is told once, and the index forgets them."""
    site = make_site(tmp_path, "a")
    site.publish()
    bucket = memstore.bucket("a")
    files, pending = bucket.state()  # type: ignore[misc]
    for path in UNSAFE:
        if source == "index":
            files[path] = RemoteEntry(size=1, sha256="0" * 64)
        else:  # marked as ours, as a listing would show them
            bucket.objects[path] = memstore.Stored(b"x", "0" * 64)
    bucket.index = encode_index(files, pending) if source == "index" else None
    site.remove("three.md")  # a real delete, so the delete stage runs
    start = len(bucket.log)

    report = site.publish()
    assert report.exit_code == 0
    touched = [path for _, path in bucket.log[start:]]
    assert not set(touched) & set(UNSAFE), touched
    assert ("delete", "articles/three.html") in bucket.log[start:]
    warnings = report.mirrors[0].outcome.warnings
    assert len(warnings) == 1 and f"names {len(UNSAFE)} paths no site can hold" in warnings[0]
    assert "\n" not in warnings[0]
    final, _ = bucket.state()  # type: ignore[misc]
    assert not set(final) & set(UNSAFE)
    assert not site.publish().mirrors[0].outcome.warnings


# --- editor and OS debris -------------------------------------------------------------

DEBRIS = {"story.md~": b"---\ntitle: x\n---\nthe source's name\n", "#draft.md#": b"autosave",
          ".#story.md": b"lock", "x.md.bak": b"old", "img/old-map.png~": b"old map",
          "story.md.swp": b"vim", "story.md.swo": b"vim", "upload.tmp": b"half",
          "img/Thumbs.db": b"windows", ".DS_Store": b"mac", "notes.BAK": b"old"}


def _copies(tmp_path: Path, **site: Any) -> tuple[Site, Path]:
    """A site published to a memory bucket and a folder; content holds debris too."""
    usb = tmp_path / "usb"
    mirrors = [{"name": "mem-a", "type": "memory", "bucket": "a"},
               {"name": "usb", "type": "directory", "path": str(usb)}]
    files = {**FILES, **DEBRIS, "raw/cover.psd": b"8BPS", "notes/a.txt": b"note",
             "notes/keep.pdf": b"%PDF",
             "drafts/later.md": article("Later", body="Not yet ready.").encode()}
    root = tmp_path / "site"
    write_site(root, {**ARTICLES, "story.md": article("Story", body="Published text.")},
               files=files, mirrors=mirrors, **site)
    return Site(root, mirrors), usb


def _published_paths(site: Site, usb: Path) -> dict[str, set[str]]:
    folder = {p.relative_to(usb).as_posix() for p in usb.rglob("*") if p.is_file()}
    return {"public/": set(site.built()), "memory bucket": set(memstore.bucket("a").files()),
            "folder copy": folder}


def test_editor_and_os_debris_reach_no_copy(tmp_path: Path) -> None:
    site, usb = _copies(tmp_path)
    report = site.publish()
    assert report.exit_code == 0, [m.error for m in report.mirrors]
    for where, paths in _published_paths(site, usb).items():
        assert "articles/story.html" in paths, where
        leaked = sorted(p for p in paths if p.startswith("files/") and p not in
                        {"files/img/map.png", "files/raw/cover.psd", "files/notes/a.txt",
                         "files/notes/keep.pdf"})
        assert not leaked, f"debris published on the {where}: {leaked}"
        assert "files/story.md" not in paths and "files/x.md" not in paths


def test_the_site_ignore_globs_leave_files_and_folders_out(tmp_path: Path) -> None:
    site, usb = _copies(tmp_path, ignore=["*.psd", "drafts", "notes/*.txt"])
    report = site.publish()
    assert report.exit_code == 0, [m.error for m in report.mirrors]
    for where, paths in _published_paths(site, usb).items():
        assert "files/raw/cover.psd" not in paths and "files/notes/a.txt" not in paths, where
        assert not any(p.startswith("articles/later") for p in paths), where
        assert "files/notes/keep.pdf" in paths and "files/img/map.png" in paths, where
