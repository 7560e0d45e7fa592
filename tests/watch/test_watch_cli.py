"""`mirrorpub watch` refuses what it cannot watch, in one line and with the right exit code."""

from __future__ import annotations

from pathlib import Path

from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site


def test_a_missing_config_file_is_exit_1_naming_it(tmp_path: Path) -> None:
    result = mirrorpub("watch", "-c", "nowhere.toml", cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "nowhere.toml" in result.stderr and "mirrorpub init" in result.stderr
    assert_no_traceback(result)


def test_a_negative_debounce_is_a_usage_error(tmp_path: Path) -> None:
    write_site(tmp_path, {"a.md": article("A")})
    result = mirrorpub("watch", "--debounce", "-1", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "--debounce" in result.stderr
    assert_no_traceback(result)
