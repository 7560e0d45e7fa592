"""site/build/forked.py: a call made in a child process, or here when it cannot be."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest

from mirrorpub.errors import ContentError
from mirrorpub.site.build import forked
from mirrorpub.site.build.forked import Forked

HERE = os.getpid()


@pytest.fixture
def alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a publish: no other thread (the suite's services run theirs beside the test;
    the children here only call, pickle and write, which none of their locks can stop)."""
    monkeypatch.setattr(forked, "_alone", lambda: True)


def _where(*args: Any) -> tuple[int, tuple[Any, ...]]:
    return os.getpid(), args


def _fails_in_a_child() -> str:
    if os.getpid() != HERE:
        raise ContentError("content/news/a.md", "cannot be read: gone")
    return "made here"


def _dies_in_a_child() -> str:
    if os.getpid() != HERE:
        os.kill(os.getpid(), signal.SIGKILL)
    return "made here"


def _always_fails() -> None:
    raise ContentError("content/news/a.md", "cannot be read: No such file or directory")


def test_the_call_is_made_in_a_child_and_its_result_sent_back(alone: None) -> None:
    big = [[n, n * 2, n * 3, n * 4] for n in range(50_000)]  # more than a pipe holds
    forked = Forked(_where, big, "x")
    pid, args = forked.result()
    assert pid != HERE and args == (big, "x")
    assert forked.result() == (pid, args)  # asked again: the same, not made again


def test_a_child_that_fails_or_dies_leaves_the_call_to_this_process(alone: None) -> None:
    assert Forked(_fails_in_a_child).result() == "made here"
    assert Forked(_dies_in_a_child).result() == "made here"


def test_an_error_is_raised_here_with_its_message(alone: None) -> None:
    with pytest.raises(ContentError, match=r"content/news/a\.md: cannot be read"):
        Forked(_always_fails).result()


def test_no_child_while_other_threads_run_or_when_not_worth_it() -> None:
    """A child could inherit a lock another thread holds (watch mode)."""
    assert Forked(_where, fork=False).result()[0] == HERE
    done = threading.Event()
    other = threading.Thread(target=done.wait)
    other.start()
    try:
        assert Forked(_where).result()[0] == HERE
    finally:
        done.set()
        other.join()


def test_a_child_never_asked_for_is_reaped(alone: None) -> None:
    forked = Forked(time.sleep, 0)
    pid = forked._child[0] if forked._child else None
    assert pid is not None
    del forked
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
