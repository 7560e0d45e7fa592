"""What `publish` prints (issue 20): -q prints no per-mirror lines, only what went wrong."""

from __future__ import annotations

from pathlib import Path

from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site


def test_quiet_publish_prints_nothing_when_all_went_well(tmp_path: Path) -> None:
    write_site(tmp_path / "site", {"a.md": article("A")}, mirrors=[
        {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")},
        {"name": "nas", "type": "directory", "path": str(tmp_path / "nas")}])
    result = mirrorpub("publish", "-q", cwd=tmp_path / "site")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert (tmp_path / "usb" / "index.html").is_file()
    loud = mirrorpub("publish", cwd=tmp_path / "site")
    assert any(line.startswith("usb: ok in") for line in loud.stdout.splitlines())
