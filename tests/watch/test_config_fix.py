"""`watch` tries a failed mirror at once when its entry in the config changes (issue 20):
the editor's fix must not wait out a retry timer of up to five minutes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mirrorpub_memstore as memstore
import pytest

from mirrorpub.publish.opened import OpenMirrors
from mirrorpub.watch.debounce import Debouncer
from mirrorpub.watch.events import Watcher
from mirrorpub.watch.session import Session
from tests.sitekit import article, write_config, write_site


@pytest.fixture(autouse=True)
def fresh_buckets() -> Iterator[None]:
    memstore.BUCKETS.clear()
    yield
    memstore.BUCKETS.clear()


def _mirrors(bucket: str) -> list[dict[str, str]]:
    return [{"name": "good", "type": "memory", "bucket": "good"},
            {"name": "mem", "type": "memory", "bucket": bucket}]


def test_a_mirror_fixed_in_the_config_is_published_at_once(tmp_path: Path) -> None:
    memstore.bucket("typo").fail_puts = {"index.html"}  # the wrong bucket refuses uploads
    config = write_site(tmp_path, {"a.md": article("A")}, mirrors=_mirrors("typo"))
    now = [1000.0]
    with OpenMirrors() as mirrors:
        watcher = Watcher(config, Debouncer(1.0, 10.0))  # never started: no events
        session = Session(config, watcher, mirrors, clock=lambda: now[0])
        session.attempt("start")
        assert session.retries.waiting() == {"mem"}  # backoff: 10 s from now

        (tmp_path / "content" / "a.md").write_text(article("A", body="An edit."))
        session.attempt("change")  # an edit: the failed mirror waits its turn
        assert memstore.bucket("fixed").objects == {}
        assert session.retries.waiting() == {"mem"}

        write_config(tmp_path, {"title": "Test site", "language": "en"}, _mirrors("fixed"))
        session.attempt("change")  # the clock has not moved: no timer would have fired
    assert session.retries.waiting() == set()
    assert "index.html" in memstore.bucket("fixed").objects
    assert b"An edit." in memstore.bucket("fixed").objects["articles/a.html"].data
