"""The remote index at scale (SPEC §14), end to end on the memory store: a publish writes
a journal of what changed beside the index, folds it into a new base now and then, and a
journal that is damaged or gone never makes a foreign object look like ours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mirrorpub_memstore as memstore
import pytest

from mirrorpub.mirrors import objectstore
from tests.inprocess.test_flow import Site, article, current, make_site


@pytest.fixture(autouse=True)
def fresh_buckets() -> Iterator[None]:
    memstore.BUCKETS.clear()
    yield
    memstore.BUCKETS.clear()


def published(tmp_path: Path) -> tuple[Site, memstore.MemoryBucket]:
    site = make_site(tmp_path, "a")
    assert site.publish().exit_code == 0
    return site, memstore.bucket("a")


def test_one_edit_writes_the_journal_and_leaves_the_index_alone(tmp_path: Path) -> None:
    site, bucket = published(tmp_path)
    index, start = bucket.index, len(bucket.log)
    site.write("two.md", article("Two", "2026-11-02T10:00:00+00:00", "Edited."))
    assert site.publish().exit_code == 0
    log = bucket.log[start:]
    assert ("index", "") not in log and log.count(("journal", "")) == 2  # pending, final
    assert bucket.index == index
    files, pending = bucket.state()  # type: ignore[misc]
    assert not pending and set(files) == set(bucket.files())  # kept old parts too
    assert current(bucket.files()) == site.built()
    assert files["articles/two.html"].sha256 == \
        memstore.hashlib.sha256(site.built()["articles/two.html"]).hexdigest()


def test_a_journal_past_its_limit_is_folded_into_a_new_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site, bucket = published(tmp_path)
    monkeypatch.setattr(objectstore, "JOURNAL_LIMIT", 3)
    index, start = bucket.index, len(bucket.log)
    site.write("four.md", article("Four", "2026-11-04T10:00:00+00:00", "New."))
    assert site.publish().exit_code == 0
    log = bucket.log[start:]
    # The pending marks go in the journal; the final state is a new base, then its journal.
    assert log[0] == ("journal", "") and log[-2:] == [("index", ""), ("journal", "")]
    assert bucket.index != index
    files, pending = bucket.state()  # type: ignore[misc]
    assert not pending and set(files) == set(bucket.files())  # kept old parts too
    assert current(bucket.files()) == site.built()
    start = len(bucket.log)
    assert not site.publish().changed  # and the next publish reads it: nothing to do
    assert [op for op, _ in bucket.log[start:]] == []


def test_a_damaged_journal_falls_back_to_a_listing_and_deletes_nothing_foreign(
        tmp_path: Path) -> None:
    site, bucket = published(tmp_path)
    bucket.journal = (bucket.journal or b"")[:-5]
    bucket.put_foreign("articles/not-ours.html", b"<p>someone else's</p>")
    site.remove("three.md")
    report = site.publish()
    assert report.exit_code == 0
    assert any("index journal is damaged" in line for line in report.mirrors[0].plan_lines)
    assert "articles/not-ours.html" in bucket.files()
    assert "articles/three.html" not in bucket.files()  # carries our mark: ours
    assert current(bucket.files()) == {**site.built(),
                                       "articles/not-ours.html": b"<p>someone else's</p>"}


def test_a_lost_journal_is_noticed_by_the_manifest_check_and_the_copy_listed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base alone is older than the copy: its mirrors.json does not match the one
    there, so the mirror is listed rather than trusted."""
    site, bucket = published(tmp_path)
    with monkeypatch.context() as patch:  # a publish that writes a new base…
        patch.setattr(objectstore, "JOURNAL_LIMIT", 0)
        site.write("two.md", article("Two", "2026-11-02T10:00:00+00:00", "Edited."))
        assert site.publish().exit_code == 0
    site.write("two.md", article("Two", "2026-11-02T10:00:00+00:00", "Edited again."))
    assert site.publish().exit_code == 0  # …then one that only writes the journal
    bucket.journal = None
    bucket.put_foreign("articles/not-ours.html", b"<p>someone else's</p>")
    site.remove("three.md")
    report = site.publish()
    assert report.exit_code == 0
    assert any("does not match its mirrors.json" in line
               for line in report.mirrors[0].plan_lines)
    assert current(bucket.files()) == {**site.built(),
                                       "articles/not-ours.html": b"<p>someone else's</p>"}

