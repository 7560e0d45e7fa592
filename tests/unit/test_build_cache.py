"""The build cache (site/build/cache.py) reads back as what was saved; a file that is not
exactly what a save of this format and this Python wrote is no cache at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirrorpub.site.build import cache as build_cache
from mirrorpub.site.build.cache import RenderCache


def _saved(tmp_path: Path) -> RenderCache:
    saved = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert not saved.found
    saved.articles = {f"news/story-{n}.md": {"sha": f"{n:064x}", "front": {"title": "Ж \"q\""},
                                            "stat": [n, 1, 2, 3]} for n in range(10)}
    saved.assets = {}
    saved.pages = {"page-1.html": {"key": "k", "entry": {"size": 1}}}
    saved.steps = {"inputs": "d"}
    saved.save(scanned_ns=42)
    return saved


def test_a_saved_cache_reads_back_whole(tmp_path: Path) -> None:
    saved = _saved(tmp_path)
    again = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert again.found and again.articles == saved.articles and again.steps == saved.steps
    assert again.pages == saved.pages and again.assets == {} and again.scanned_ns == 42
    assert not again.dirty


@pytest.mark.parametrize("damage", [
    lambda data: data[:-1],  # cut short
    lambda data: data[:-5] + bytes([data[-5] ^ 1]) + data[-4:],  # one bit
    lambda data: data.replace(b"python ", b"python 9", 1),  # another Python's
    lambda data: b"{}",  # an older mirrorpub's JSON
], ids=["truncated", "bit flipped", "another python", "json"])
def test_a_damaged_or_foreign_cache_is_no_cache(tmp_path: Path, damage) -> None:
    saved = _saved(tmp_path)
    saved.path.write_bytes(damage(saved.path.read_bytes()))
    again = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert not again.found and again.articles == {} and again.dirty


def test_the_cache_of_another_output_folder_is_not_read(tmp_path: Path) -> None:
    saved = _saved(tmp_path)
    other = RenderCache.load(tmp_path / "state", tmp_path / "elsewhere")
    assert not other.found and other.path != saved.path


def test_a_save_removes_the_json_cache_earlier_versions_left(tmp_path: Path) -> None:
    path = RenderCache.path_for(tmp_path / "state", tmp_path / "public")
    path.parent.mkdir(parents=True)
    legacy = path.with_suffix(".json")
    legacy.write_bytes(b'{"schema": 4}')
    _saved(tmp_path)
    assert not legacy.exists() and path.exists()
    assert build_cache.MAGIC in path.read_bytes()


def test_a_few_changed_records_go_into_a_patch_file_the_next_load_applies(
        tmp_path: Path) -> None:
    saved = _saved(tmp_path)
    whole = saved.path.read_bytes()
    saved.articles["news/story-3.md"] = {**saved.articles["news/story-3.md"], "sha": "new"}
    saved.steps = {"inputs": "e"}
    saved.dirty = True
    saved.save(scanned_ns=43, changed={"news/story-3.md"})
    assert saved.path.read_bytes() == whole  # the big file is not written again
    again = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert again.articles == saved.articles and again.steps == {"inputs": "e"}
    assert again.scanned_ns == 43 and not again.dirty
    # Another patch adds to it; a whole save folds it in and removes it.
    again.articles["news/story-4.md"] = {"sha": "newer"}
    again.dirty = True
    again.save(scanned_ns=44, changed={"news/story-4.md"})
    third = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert third.articles["news/story-3.md"]["sha"] == "new"
    assert third.articles["news/story-4.md"] == {"sha": "newer"}
    third.dirty = True
    third.save(scanned_ns=45)
    assert not RenderCache.patch_path(third.path).exists()
    assert RenderCache.load(tmp_path / "state", tmp_path / "public").articles == third.articles


def test_a_patch_file_on_another_cache_is_ignored(tmp_path: Path) -> None:
    saved = _saved(tmp_path)
    saved.articles["news/story-3.md"] = {"sha": "patched"}
    saved.dirty = True
    saved.save(scanned_ns=43, changed={"news/story-3.md"})
    patch = RenderCache.patch_path(saved.path).read_bytes()
    saved.dirty = True
    saved.save(scanned_ns=44)  # a whole cache, written after that patch…
    RenderCache.patch_path(saved.path).write_bytes(patch)  # …and the old patch put back
    again = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert again.found and again.scanned_ns == 44 and again.patched == set()


def test_past_its_limit_a_patch_becomes_a_whole_save(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(build_cache, "PATCH_RECORDS", 2)
    saved = _saved(tmp_path)
    whole = saved.path.read_bytes()
    saved.dirty = True
    saved.save(scanned_ns=43, changed={f"news/story-{n}.md" for n in range(3)})
    assert saved.path.read_bytes() != whole
    assert not RenderCache.patch_path(saved.path).exists()
    assert RenderCache.load(tmp_path / "state", tmp_path / "public").scanned_ns == 43


def test_loads_in_a_long_running_process_leave_no_garbage_behind(tmp_path: Path) -> None:
    """A load hides what it read from the cyclic collector (gc.freeze); a process that
    builds again and again (`mirrorpub watch`) must still get its cyclic garbage freed."""
    import gc
    import weakref

    _saved(tmp_path)

    class Node:
        pass

    RenderCache.load(tmp_path / "state", tmp_path / "public")
    node = Node()
    node.me = node  # a cycle, alive while the load below freezes what is tracked
    gone = weakref.ref(node)
    RenderCache.load(tmp_path / "state", tmp_path / "public")
    del node  # now garbage, but frozen
    RenderCache.load(tmp_path / "state", tmp_path / "public")  # the next build's load
    assert gone() is None
    gc.unfreeze()
