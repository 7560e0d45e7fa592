"""What `publish` prints (issue 20): -q prints no per-mirror lines, only what went wrong."""

from __future__ import annotations

import json
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


def test_removing_a_mirror_from_the_config_hints_at_retired(tmp_path: Path) -> None:
    usb = {"name": "usb", "type": "directory", "path": str(tmp_path / "usb")}
    nas = {"name": "nas", "type": "directory", "path": str(tmp_path / "nas")}
    write_site(tmp_path / "site", {"a.md": article("A")}, mirrors=[usb, nas])
    mirrorpub("publish", cwd=tmp_path / "site", check=True)
    write_site(tmp_path / "site", {"a.md": article("A")}, mirrors=[usb])  # nas removed
    result = mirrorpub("publish", cwd=tmp_path / "site")
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stderr.splitlines() if "'nas'" in x]
    assert line.startswith("warning: mirror 'nas' is no longer in mirrorpub.toml")
    assert "retired = true" in line
    assert "nas" not in (tmp_path / "usb" / "mirrors.json").read_text()  # as before: gone
    again = mirrorpub("publish", cwd=tmp_path / "site")
    assert again.returncode == 0 and "'nas'" not in again.stderr  # said once
    write_site(tmp_path / "site", {"a.md": article("A")}, mirrors=[usb, {**nas,
                                                                       "retired": True}])
    retired = mirrorpub("publish", cwd=tmp_path / "site")
    assert retired.returncode == 0, retired.stderr
    entry = [m for m in json.loads((tmp_path / "usb" / "mirrors.json").read_text())["mirrors"]
             if m["name"] == "nas"]
    assert [m["status"] for m in entry] == ["retired"]


def test_build_and_status_print_no_absolute_local_paths(tmp_path: Path) -> None:
    home, site = tmp_path / "home" / "reporter", tmp_path / "home" / "reporter" / "site"
    write_site(site, {"a.md": article("A")}, mirrors=[
        {"name": "usb", "type": "directory", "path": "copy"},
        {"name": "nas", "type": "directory", "path": str(home / "nas")}])
    env = {"HOME": str(home)}
    mirrorpub("publish", cwd=site, env=env, check=True)
    for args in (["build"], ["status"], ["status", "-c", str(site / "mirrorpub.toml")]):
        result = mirrorpub(*args, cwd=site if len(args) == 1 else tmp_path, env=env)
        assert_no_traceback(result)
        assert result.returncode == 0, result.stdout + result.stderr
        text = result.stdout + result.stderr
        assert str(tmp_path) not in text, text
    status = mirrorpub("status", cwd=site, env=env).stdout
    assert "  copy" in status and "~/nas" in status
    assert "into public " in mirrorpub("build", cwd=site, env=env).stderr
