"""The remote index's journal (remoteindex.py, SPEC §14): a publish writes what changed,
not the whole index; anything wrong with the journal reads as no index (a listing)."""

from __future__ import annotations

import gzip

import pytest

from mirrorpub.mirrors.plan import RemoteEntry
from mirrorpub.mirrors.remoteindex import (
    IndexBase,
    JournalOnly,
    apply_journal,
    base_of,
    encode_index,
    encode_journal,
)


def entry(n: int) -> RemoteEntry:
    return RemoteEntry(size=1000 + n, sha256=f"{n:064x}")


ARCHIVE = {f"articles/story-{n}.html": entry(n) for n in range(20_000)}


@pytest.fixture(scope="module")
def base() -> IndexBase:
    return base_of(encode_index(ARCHIVE, set()), ARCHIVE)


def test_one_edit_writes_a_journal_of_what_changed_not_the_archive(base: IndexBase) -> None:
    edited = {**ARCHIVE, "articles/story-7.html": entry(-7), "articles/new.html": entry(-1)}
    del edited["articles/story-9.html"]
    journal = encode_journal(base, edited, {"index.html"})
    assert journal is not None
    assert len(journal) < 1000 and len(encode_index(edited, set())) > 100 * len(journal)
    assert apply_journal(base, set(), journal) == (edited, {"index.html"})


def test_a_journal_past_its_limit_asks_for_a_new_base(base: IndexBase) -> None:
    edited = {p: entry(-n) for n, p in enumerate(list(ARCHIVE)[:11])} | ARCHIVE
    edited.update({p: entry(-n - 1) for n, p in enumerate(list(ARCHIVE)[:11])})
    assert encode_journal(base, edited, set(), limit=10) is None
    assert encode_journal(base, edited, set(), limit=11) is not None


def test_a_journal_written_for_another_base_leaves_the_base_alone(base: IndexBase) -> None:
    """A publish cut off after writing a new base, before its journal; or an index someone
    rewrote: the old journal does not apply to it."""
    other = base_of(encode_index({"index.html": entry(1)}, set()), {"index.html": entry(1)})
    stale = encode_journal(other, {}, {"index.html"})
    assert apply_journal(base, {"page-1.html"}, stale) == (dict(ARCHIVE), {"page-1.html"})
    assert apply_journal(base, set(), None) == (dict(ARCHIVE), set())


@pytest.mark.parametrize("damage", [
    lambda d: d[: len(d) // 2],
    lambda d: d[:-9] + bytes([d[-9] ^ 1]) + d[-8:],
    lambda d: gzip.compress(gzip.decompress(d).replace(b'"gone":[]', b'"gone":["index.html"]')),
    lambda d: gzip.compress(b"[]"),
    lambda d: b"",
], ids=["cut", "flipped", "edited", "not-a-journal", "empty"])
def test_a_damaged_journal_reads_as_no_index(base: IndexBase, damage) -> None:
    journal = encode_journal(base, {**ARCHIVE, "index.html": entry(5)}, set())
    assert journal is not None
    assert apply_journal(base, set(), damage(journal)) is None


def test_a_journal_is_canonical(base: IndexBase) -> None:
    one = encode_journal(base, {**ARCHIVE, "a.html": entry(1), "b.html": entry(2)}, {"x", "y"})
    two = encode_journal(base, {"b.html": entry(2), "a.html": entry(1), **ARCHIVE}, {"y", "x"})
    assert one == two


def test_a_journal_grows_without_its_base_to_what_the_whole_state_gives(base: IndexBase) -> None:
    """A delta publish (objectstore._delta_plan) extends the journal it found, never reading
    the base: a reader applying the new journal to the base gets the publish's state."""
    first = {**ARCHIVE, "articles/story-7.html": entry(-7), "articles/new.html": entry(-1)}
    del first["articles/story-9.html"]
    found = JournalOnly.read(base.sha256, encode_journal(base, first, set()))
    assert found is not None
    # The next publish: story 9 back, the new one gone again, story 8 edited.
    grown = found.changed({"articles/story-9.html": entry(9), "articles/story-8.html":
                           entry(-8)}, {"articles/new.html"})
    journal = grown.encode({"index.html"})
    assert journal is not None
    second = {**first, "articles/story-9.html": entry(9), "articles/story-8.html": entry(-8)}
    del second["articles/new.html"]
    assert apply_journal(base, set(), journal) == (second, {"index.html"})
    assert grown.on(base.files) == second
    assert grown.encode(set(), limit=2) is None  # past its limit: a new base is due


def test_only_a_whole_journal_on_the_same_base_is_extended(base: IndexBase) -> None:
    assert JournalOnly.read(base.sha256, None) == JournalOnly(base.sha256, {}, frozenset())
    pending = encode_journal(base, dict(ARCHIVE), {"index.html"})  # a publish cut off
    assert JournalOnly.read(base.sha256, pending) is None
    assert JournalOnly.read("0" * 64, encode_journal(base, dict(ARCHIVE), set())) is None
    assert JournalOnly.read(base.sha256, b"not a journal") is None
