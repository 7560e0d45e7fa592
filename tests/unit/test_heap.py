"""site/build/heap.py: what a build holds is kept out of full collections while it runs,
and handed back when it ends, unless the process ends with it (the CLI)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from mirrorpub.site.build import heap
from tests.sitekit import write_site


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_what_is_settled_within_a_build_is_frozen_until_the_outermost_block_ends() -> None:
    records = [{"n": n} for n in range(1000)]
    with heap.kept():
        heap.settled()
        assert gc.get_freeze_count() >= len(records)
        with heap.kept():  # the build within the publish
            heap.settled()
        assert gc.get_freeze_count() >= len(records)  # the inner block thaws nothing
    assert gc.get_freeze_count() == 0


def test_outside_a_build_nothing_is_frozen() -> None:
    heap.settled()
    assert gc.get_freeze_count() == 0


def test_one_command_never_thaws_and_makes_collections_rarer() -> None:
    with heap.one_command():
        heap.settled()
        assert gc.get_threshold()[0] > 10_000
    assert gc.get_freeze_count() > 0  # the process ends here: no last walk of it all


def test_a_build_in_a_process_that_lives_on_leaves_nothing_frozen(tmp_path: Path) -> None:
    from mirrorpub.config import load_config
    from mirrorpub.site.build import build_site

    write_site(tmp_path, {"a.md": "---\ntitle: A\ndate: 2026-01-02\n---\nText.\n"})
    config = load_config(tmp_path / "mirrorpub.toml")
    for _ in range(2):  # the second answered by the stamp
        assert build_site(config).files
        assert gc.get_freeze_count() == 0
