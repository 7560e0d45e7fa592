"""A mirror type from another package (tests/plugins/), found through the entry point, works
in the real command line like a built-in one; nothing in mirrorpub/ names it."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from mirrorpub import layout
from mirrorpub.mirrors import registry
from tests.inprocess.test_flow import ARTICLES, FILES
from tests.sitekit import assert_no_traceback, mirrorpub, write_site

PACKAGE = Path(__file__).resolve().parents[2] / "mirrorpub"


def test_the_plugin_is_not_named_anywhere_in_mirrorpub() -> None:
    for path in PACKAGE.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml", ".json", ".html", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "memstore" not in text and '"memory"' not in text, path


def test_a_plugin_backend_is_found_through_its_entry_point() -> None:
    assert "memory" in registry.known_types()
    backend = registry.find("memory")
    assert backend is not None and backend.type == "memory"
    assert backend.config.__module__ == "mirrorpub_memstore"


def test_a_plugin_mirror_publishes_from_the_command_line(tmp_path: Path) -> None:
    snapshot = tmp_path / "bucket.json"
    write_site(tmp_path / "site", ARTICLES, files=FILES, mirrors=[
        {"name": "mem", "type": "memory", "bucket": "cli", "snapshot": str(snapshot),
         "public_url": "https://mem.example/cli/"},
        {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}])
    result = mirrorpub("publish", cwd=tmp_path / "site")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert "mem: ok" in result.stdout
    stored = json.loads(snapshot.read_text())["objects"]
    public = tmp_path / "site" / "public"
    for path, entry in stored.items():
        if layout.is_part(path) and not (public / path).exists():
            continue  # a part of the manifest this one replaced, kept one publish more
        assert base64.b64decode(entry["data"]) == (public / path).read_bytes(), path
    assert layout.MANIFEST in stored and "articles/one.html" in stored
    manifest = json.loads((public / layout.MANIFEST).read_text())
    assert {m["name"]: m["type"] for m in manifest["mirrors"]} == {"mem": "memory",
                                                                  "usb": "directory"}
    # The other copy's pages name the plugin's copy, as they would any stable one.
    page = (tmp_path / "usb" / "articles" / "one.html").read_text()
    assert "https://mem.example/cli/articles/one.html" in page
    again = mirrorpub("publish", cwd=tmp_path / "site")
    assert again.returncode == 0 and "mem: ok" in again.stdout and "0 sent" in again.stdout


def test_a_plugin_option_is_checked_like_any_other(tmp_path: Path) -> None:
    write_site(tmp_path, {}, mirrors=[{"name": "mem", "type": "memory", "bucket": "Bad!",
                                       "colour": "blue"}])
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "mirrors[0].bucket: expected a bucket name, got 'Bad!'" in result.stderr
    assert "mirrors[0].colour: unknown key" in result.stderr
