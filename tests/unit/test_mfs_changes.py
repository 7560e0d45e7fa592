"""What an incremental IPFS publish sends and removes (mirrors/ipfs/mfs.py), pure."""

from __future__ import annotations

import pytest

from mirrorpub.mirrors.ipfs import mfs


@pytest.mark.parametrize(("old", "new", "send", "remove"), [
    ({"a": "1", "b/c": "2"}, {"a": "1", "b/c": "3"}, ["b/c"], []),
    ({"a": "1", "b/c": "2", "b/d/e": "3"}, {"a": "1"}, [], ["b"]),
    ({"a": "1", "b/c": "2"}, {"a": "1", "b": "9"}, ["b"], ["b"]),  # folder -> file
    ({"a": "1", "b": "2"}, {"a": "1", "b/c": "9"}, ["b/c"], ["b"]),  # file -> folder
    ({"x/y/z": "1", "x/w": "2"}, {"x/w": "2"}, [], ["x/y"]),
])
def test_changes(old: dict[str, str], new: dict[str, str], send: list[str],
                 remove: list[str]) -> None:
    assert mfs.changes(old, new) == mfs.Changes(send=send, remove=remove)
