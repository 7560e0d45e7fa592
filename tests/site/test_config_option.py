"""`-c` is honoured by every command that takes it (issue 20), init, keygen and verify
included: they used to list it and ignore it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sitekit import article, assert_no_traceback, mirrorpub, write_site


def test_init_with_c_scaffolds_the_site_where_the_config_goes(tmp_path: Path) -> None:
    target = tmp_path / "sites" / "news" / "news.toml"
    result = mirrorpub("init", "-c", str(target), cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert target.is_file() and (target.parent / "content").is_dir()
    assert not (tmp_path / "mirrorpub.toml").exists() and not (tmp_path / "content").exists()
    assert mirrorpub("build", "-c", str(target), cwd=tmp_path).returncode == 0


def test_keygen_with_c_writes_the_key_the_config_names(tmp_path: Path) -> None:
    config = write_site(tmp_path / "site", {"a.md": article("A")},
                        signing_key=str(tmp_path / "keys" / "news.key"))
    result = mirrorpub("keygen", "-c", str(config), cwd=tmp_path,
                       env={"HOME": str(tmp_path / "home")})
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "keys" / "news.key").is_file()
    assert not (tmp_path / "home" / ".config").exists()  # not the shared default
    assert result.stdout.startswith("ed25519:")


def test_verify_with_c_checks_the_signature_with_that_sites_key(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "news.key"
    assert mirrorpub("keygen", str(key), cwd=tmp_path).returncode == 0
    config = write_site(tmp_path / "site", {"a.md": article("A")}, signing_key=str(key),
                        mirrors=[{"name": "usb", "type": "directory",
                                  "path": str(tmp_path / "usb")}])
    mirrorpub("publish", cwd=tmp_path / "site", check=True)
    result = mirrorpub("verify", str(tmp_path / "usb"), "-c", str(config), "--json",
                       cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["signature"]["status"] == "valid"
    # Another site's key: the same copy is refused.
    other = tmp_path / "keys" / "other.key"
    assert mirrorpub("keygen", str(other), cwd=tmp_path).returncode == 0
    wrong = write_site(tmp_path / "other", {"a.md": article("A")}, signing_key=str(other))
    refused = mirrorpub("verify", str(tmp_path / "usb"), "-c", str(wrong), cwd=tmp_path)
    assert refused.returncode != 0
