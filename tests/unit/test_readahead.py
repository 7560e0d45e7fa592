"""A preflight's answer stands in for the publish's own request once, and only soon after
it (mirrors/readahead.py): the S3 index journal, kubo's version."""

from __future__ import annotations

from mirrorpub.mirrors import readahead


def test_a_kept_answer_is_taken_once_and_only_under_its_own_key(monkeypatch):
    clock = iter([100.0, 101.0])
    monkeypatch.setattr(readahead.time, "monotonic", lambda: next(clock))
    readahead.keep(("s3-journal", "http://127.0.0.1:1", "news", "p/"), b"journal")
    assert readahead.take(("s3-journal", "http://127.0.0.1:1", "other", "p/")) == (False, None)
    assert readahead.take(("s3-journal", "http://127.0.0.1:1", "news", "p/")) == \
        (True, b"journal")
    assert readahead.take(("s3-journal", "http://127.0.0.1:1", "news", "p/")) == (False, None)


def test_none_is_an_answer_and_an_old_answer_is_not(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(readahead.time, "monotonic", lambda: now[0])
    readahead.keep(("k",), None)  # no journal at the bucket yet
    assert readahead.take(("k",)) == (True, None)
    readahead.keep(("k",), b"old")
    now[0] = readahead.FRESH_S + 1  # a long build in between: the publish asks again
    assert readahead.take(("k",)) == (False, None)
