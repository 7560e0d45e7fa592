"""The preflight's GET of the journal stands in for the publish's own once, and only soon
after it (mirrors/s3/readahead.py)."""

from __future__ import annotations

from mirrorpub.mirrors.s3 import readahead


def test_a_kept_answer_is_taken_once_and_only_for_its_own_object(monkeypatch):
    clock = iter([100.0, 101.0, 102.0])
    monkeypatch.setattr(readahead.time, "monotonic", lambda: next(clock))
    readahead.keep("http://127.0.0.1:1", "news", "p/.journal", b"journal")
    assert readahead.take("http://127.0.0.1:1", "other", "p/.journal") == (False, None)
    assert readahead.take("http://127.0.0.1:1", "news", "p/.journal") == (True, b"journal")
    assert readahead.take("http://127.0.0.1:1", "news", "p/.journal") == (False, None)


def test_a_missing_journal_is_an_answer_and_an_old_one_is_not(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(readahead.time, "monotonic", lambda: now[0])
    readahead.keep("e", "b", "k", None)
    assert readahead.take("e", "b", "k") == (True, None)
    readahead.keep("e", "b", "k", b"old")
    now[0] = readahead.FRESH_S + 1  # a long build in between: the publish reads it again
    assert readahead.take("e", "b", "k") == (False, None)
