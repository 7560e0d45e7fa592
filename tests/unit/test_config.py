"""mirrorpub.toml is checked once, at the edge, and every problem is named (SPEC §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mirrorpub.config import load_config
from mirrorpub.errors import ConfigError
from tests.sitekit import assert_no_traceback, mirrorpub, write_site


def config_text(tmp_path: Path, text: str) -> Path:
    (tmp_path / "content").mkdir(exist_ok=True)
    path = tmp_path / "mirrorpub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config_text(tmp_path, text))
    return caught.value.problems


def test_a_full_config_becomes_frozen_dataclasses(tmp_path: Path) -> None:
    path = config_text(tmp_path, """
[site]
title = "Kloop — mirror"
language = "ru"
per_page = 5
manifest_ttl_days = 10

[[mirrors]]
name = "aws-frankfurt"
type = "s3"
bucket = "news-mirror-7f3a"
prefix = "/news/"
region = "eu-central-1"

[[mirrors]]
name = "b2"
type = "s3"
bucket = "news-b2"
endpoint_url = "https://s3.eu-central-003.backblazeb2.com"
access_key_id_env = "B2_KEY_ID"
secret_access_key_env = "B2_SECRET"

[[mirrors]]
name = "ipfs"
type = "ipfs"
ipns_key = "news"

[[mirrors]]
name = "usb"
type = "directory"
path = "usb-copy"
retired = true
""")
    config = load_config(path)
    aws, b2, ipfs, usb = config.mirrors
    assert config.site.language == "ru" and config.site.per_page == 5
    assert aws.prefix == "news/"
    assert aws.public_url == "https://s3.eu-central-1.amazonaws.com/news-mirror-7f3a/news/"
    assert b2.public_url == "https://s3.eu-central-003.backblazeb2.com/news-b2/"
    assert ipfs.gateways == ("https://ipfs.io", "https://dweb.link") and ipfs.keep_pins == 3
    assert usb.path == tmp_path / "usb-copy" and usb.retired
    with pytest.raises(AttributeError):
        config.site.title = "changed"  # type: ignore[misc]


def test_every_problem_is_reported_at_once_with_its_key(tmp_path: Path) -> None:
    found = problems(tmp_path, """
[site]
titel = "typo"
per_page = "20"
language = "not a language!"

[[mirrors]]
name = "one"
type = "s3"

[[mirrors]]
name = "one"
type = "directory"
path = "x"
colour = "blue"

[[mirrors]]
name = "Bad Name"
type = "ftp"
""")
    text = "\n".join(found)
    assert "site.titel: unknown key" in text
    assert "site.title: missing" in text
    assert "site.per_page: expected an integer, got '20'" in text
    assert "site.language: expected a BCP 47 language tag" in text
    assert "mirrors[0].bucket: missing" in text
    assert "mirrors[1].name: 'one' is already used by mirrors[0]" in text
    assert "mirrors[1].colour: unknown key" in text
    # Every installed type is named (the test plugins' too), in order.
    assert "mirrors[2].type: expected one of azure, directory, git, ipfs, memory, onion, s3, " \
           "got 'ftp' (mirror 'Bad Name', the 3rd [[mirrors]] entry)" in found
    # Each mirror's problems say which entry, by its name, counted as the editor counts.
    assert "(mirror 'one', the 2nd [[mirrors]] entry)" in text


@pytest.mark.parametrize(("snippet", "expected"), [
    ('gateways = "https://ipfs.io"', "mirrors[0].gateways: expected a list"),
    ('keep_pins = 0', "mirrors[0].keep_pins: expected an integer of at least 1"),
    ('pin = "yes"', "mirrors[0].pin: expected true or false"),
    ('api = "localhost:5001"', "mirrors[0].api: expected an http(s) URL"),
])
def test_bad_ipfs_values(tmp_path: Path, snippet: str, expected: str) -> None:
    found = problems(tmp_path, f'[site]\ntitle = "t"\n[[mirrors]]\nname = "i"\ntype = "ipfs"\n'
                               f"{snippet}\n")
    assert any(expected in p for p in found), found


def test_half_given_credentials_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, '[site]\ntitle = "t"\n[[mirrors]]\nname = "s"\ntype = "s3"\n'
                               'bucket = "abc"\naccess_key_id_env = "K"\n')
    assert any("set both access_key_id_env and secret_access_key_env" in p for p in found)


def test_output_inside_content_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, '[site]\ntitle = "t"\noutput_dir = "content/public"\n')
    assert any("site.output_dir" in p and "overlaps site.content_dir" in p for p in found)


def test_a_folder_mirror_inside_content_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, '[site]\ntitle = "t"\n[[mirrors]]\nname = "u"\n'
                               'type = "directory"\npath = "content/copy"\n')
    assert any("mirrors[0].path" in p and "overlaps site.content_dir" in p for p in found)


@pytest.mark.parametrize("text", ["[site\ntitle=", "\xff\xfe garbage", ""])
def test_the_cli_names_the_file_and_exits_1(tmp_path: Path, text: str) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "site.toml").write_bytes(text.encode("latin-1"))
    result = mirrorpub("build", "-c", "site.toml", cwd=tmp_path)
    assert result.returncode == 1
    assert "site.toml" in result.stderr
    assert_no_traceback(result)


def test_a_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    result = mirrorpub("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "mirrorpub.toml: file not found" in result.stderr and "mirrorpub init" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    write_site(tmp_path, {})
    assert mirrorpub("publish", "--no-such-flag", cwd=tmp_path).returncode == 2
    unknown = mirrorpub("publish", "--mirror", "nope", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "--mirror nope: no such mirror" in unknown.stderr


def test_credentials_in_a_url_are_refused_and_not_echoed(tmp_path: Path) -> None:
    found = problems(tmp_path, '[site]\ntitle = "t"\n[[mirrors]]\nname = "s"\ntype = "s3"\n'
                               'bucket = "abc"\nendpoint_url = "https://AKIAEXAMPLE:s3cr3t@r2.example"\n')
    assert any("mirrors[0].endpoint_url: must not contain credentials" in p for p in found)
    assert not any("s3cr3t" in p or "AKIAEXAMPLE" in p for p in found)


@pytest.mark.parametrize("prefix", ["../other", "ru/../en", "ru//x", "./ru", "a\\\\b"])
def test_a_key_prefix_that_escapes_is_refused(tmp_path: Path, prefix: str) -> None:
    found = problems(tmp_path, '[site]\ntitle = "t"\n[[mirrors]]\nname = "s"\ntype = "s3"\n'
                               f'bucket = "abc"\nprefix = "{prefix}"\n')
    assert any(p.startswith("mirrors[0].prefix: expected a key prefix") for p in found), found


def test_languages_default_to_the_site_language(tmp_path: Path) -> None:
    config = load_config(config_text(tmp_path, '[site]\ntitle = "t"\nlanguage = "ky"\n'))
    assert config.site.languages == ("ky",)


def test_languages_alone_name_the_site_language_first(tmp_path: Path) -> None:
    config = load_config(config_text(tmp_path, '[site]\ntitle = "t"\n'
                                               'languages = ["ru", "ky", "zh-Hant"]\n'))
    assert config.site.language == "ru"
    assert config.site.languages == ("ru", "ky", "zh-Hant")


@pytest.mark.parametrize(("snippet", "expected"), [
    ('language = "ru"\nlanguages = ["ky", "ru"]',
     "site.languages: the first one is the site's language: expected 'ru' first "
     "(as site.language says), got 'ky'"),
    ('languages = ["ru", "ky", "RU"]', "site.languages: 'RU' is listed twice"),
    ("languages = []", "site.languages: expected at least one language"),
    ('languages = ["ru", "not a tag"]',
     "site.languages: expected a list where every item is a BCP 47 language tag"),
    ('languages = "ru"', "site.languages: expected a list"),
])
def test_bad_languages_are_named(tmp_path: Path, snippet: str, expected: str) -> None:
    found = problems(tmp_path, f'[site]\ntitle = "t"\n{snippet}\n')
    assert any(expected in p for p in found), found
