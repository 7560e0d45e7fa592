"""The build cache is written in pieces (a 100,000-article site's is ~110 MB): the file
is still one JSON document, and reads back as what was saved."""

from __future__ import annotations

import json
from pathlib import Path

from mirrorpub.site.build import cache as build_cache
from mirrorpub.site.build.cache import RenderCache


def test_a_cache_written_in_pieces_reads_back_whole(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(build_cache, "SAVE_BATCH", 3)  # several pieces per table
    saved = RenderCache.load(tmp_path / "state", tmp_path / "public")
    saved.articles = {f"news/story-{n}.md": {"sha": f"{n:064x}", "front": {"title": "Ж \"q\""},
                                            "stat": [n, 1, 2, 3]} for n in range(10)}
    saved.assets = {}
    saved.pages = {"page-1.html": {"key": "k", "entry": {"size": 1}}}
    saved.steps = {"inputs": "d"}
    saved.save(scanned_ns=42)
    data = json.loads(saved.path.read_bytes())
    assert data["articles"] == saved.articles and data["assets"] == {}
    assert data["pages"] == saved.pages and data["scanned_ns"] == 42
    again = RenderCache.load(tmp_path / "state", tmp_path / "public")
    assert again.found and again.articles == saved.articles and again.steps == saved.steps
    assert again.scanned_ns == 42
