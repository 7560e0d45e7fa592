"""Shared by the importer tests: a site to import into, the uploads folder of the sample
exports, and the import run as an editor would run it."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from tests.sitekit import Crawl, assert_no_traceback, crawl, folder_fetcher, mirrorpub, write_site

FIXTURES = Path(__file__).parent / "fixtures"

# The uploads of fixtures/newsroom.xml as they would be on the old server: the resized
# copy harbour-300x200.jpg is missing (the original is used), strike-1024x683.jpg is there,
# missing-photo.jpg is not there at all.
NEWSROOM_UPLOADS = {
    "2019/05/harbour.jpg": b"original harbour photo",
    "2019/05/market.jpg": b"market photo",
    "2019/05/Market Stall.png": b"market stall photo",
    "2019/06/strike.jpg": b"strike original",
    "2019/06/strike-1024x683.jpg": b"strike large copy",
    "2019/07/private.jpg": b"whistleblower photo",
}


def write_uploads(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def new_site(root: Path) -> Path:
    write_site(root, {})
    return root


def run_import(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = mirrorpub("import", *args, cwd=root)
    assert_no_traceback(result)
    return result


def import_json(root: Path, *args: str) -> dict:
    result = run_import(root, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def build_and_crawl(root: Path) -> Crawl:
    result = mirrorpub("build", cwd=root)
    assert result.returncode == 0, result.stderr
    site = crawl(folder_fetcher(root / "public"))
    assert site.problems == []
    return site


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def notes_of(report: dict, file: str) -> list[tuple[str, str]]:
    return [(n["what"], n["why"]) for n in report["notes"] if n["file"] == file]
