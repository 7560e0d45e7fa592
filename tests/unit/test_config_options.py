"""Options declared once (config/options.py) and the loader's whole-file checks: what each
check accepts, what every problem says, and where relative paths lead."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.config import load_config, options
from mirrorpub.config.options import build, option, read_options
from mirrorpub.config.site import SIGNING_KEY_ENV
from mirrorpub.errors import ConfigError
from tests.sitekit import case_id


def sample_options() -> type:
    """A config class made at test time, not import time: its options are made by the
    code under test while the test runs (mutation testing changes that code per test)."""

    @dataclass(frozen=True, kw_only=True)
    class Sample:
        name: str = option(str, required=True, check=options.matches(
            r"[a-z0-9][a-z0-9-]{0,62}", "lowercase letters, digits and '-'"))
        count: int = option(int, default=3, check=options.at_least(1))
        ratio: float = option((int, float), default=None)
        flags: list[str] = option(list, default=[], items=str)
        folder: Path = option(str, default="out", convert=options.as_path)
        token_env: str = option(str, default=None, check=options.env_name, secret=True)

        @classmethod
        def finish(cls, values: dict[str, Any], raw: Any, where: str,
                   problems: list[str]) -> None:
            if values["count"] > 10 and not values["flags"]:
                problems.append(f"{where}.count: more than 10 needs flags")

    return Sample


def read(table: dict[str, Any], where: str = "sample") -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    values = read_options(sample_options(), table, where, Path("/site"), problems)
    return values, problems


def test_good_values_are_stored_converted_and_defaults_filled_in() -> None:
    values, problems = read({"name": "usb-1", "ratio": 2, "folder": "copies"})
    assert problems == []
    assert values == {"name": "usb-1", "count": 3, "ratio": 2, "flags": [],
                      "folder": Path("/site/copies"), "token_env": None}


@pytest.mark.parametrize(("table", "expected"), [
    ({}, "sample.name: missing; expected a string"),
    ({"name": "x", "cuont": 2}, "sample.cuont: unknown key (did you mean 'count'?)"),
    ({"name": "x", "zzz": 2},
     "sample.zzz: unknown key (known keys here: count, flags, folder, name, ratio, "
     "token_env)"),
    ({"name": "x", "count": "3"}, "sample.count: expected an integer, got '3'"),
    ({"name": "x", "count": True}, "sample.count: expected an integer, got True"),
    ({"name": "x", "count": 0}, "sample.count: expected an integer of at least 1, got 0"),
    ({"name": "x", "ratio": "1.5"}, "sample.ratio: expected an integer or a number, got '1.5'"),
    ({"name": "x", "flags": "a"}, "sample.flags: expected a list, got 'a'"),
    ({"name": "x", "flags": ["a", 1]}, "sample.flags: expected a list of a string values, "
                                       "got ['a', 1]"),
    ({"name": "Bad Name"},
     "sample.name: expected lowercase letters, digits and '-', got 'Bad Name'"),
    ({"name": "x", "folder": {}}, "sample.folder: expected a string, got {}"),
], ids=case_id)
def test_each_problem_names_the_key_what_was_expected_and_what_was_found(
        table: dict[str, Any], expected: str) -> None:
    _, problems = read(table)
    assert problems == [expected]


def test_a_wrong_value_falls_back_to_the_default_and_every_problem_is_kept() -> None:
    values, problems = read({"count": -1, "flags": 7, "extra": 1})
    assert len(problems) == 4  # name missing, count, flags, extra
    assert values["count"] == 3 and values["flags"] == []


def test_a_value_that_may_be_a_secret_is_never_quoted() -> None:
    pasted = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    _, problems = read({"name": "x", "token_env": pasted})
    assert len(problems) == 1 and pasted not in problems[0] and pasted[:8] not in problems[0]
    assert problems[0].startswith("sample.token_env: expected the name of an environment "
                                  "variable (like B2_SECRET)")
    assert "not shown" in problems[0]
    _, problems = read({"name": "x", "token_env": 12345})
    assert len(problems) == 1 and "12345" not in problems[0]
    assert problems[0].startswith("sample.token_env: expected a string, got ")


def test_no_prefix_for_a_top_level_table() -> None:
    assert read({}, where="")[1] == ["name: missing; expected a string"]


def test_build_makes_the_object_only_when_every_check_passed() -> None:
    sample = sample_options()
    problems: list[str] = []
    made = build(sample, {"name": "x", "count": 5}, "sample", Path("/site"), problems)
    assert made == sample(name="x", count=5, folder=Path("/site/out"), flags=[])
    assert problems == []
    assert build(sample, {"name": "x", "count": 11}, "s", Path("/"), problems) is None
    assert problems == ["s.count: more than 10 needs flags"]
    problems = ["an earlier problem"]
    assert build(sample, {"count": 11}, "s", Path("/"), problems) is None
    assert problems == ["an earlier problem", "s.name: missing; expected a string"]  # no finish


@pytest.mark.parametrize(("check", "value", "expected"), [
    (lambda: options.matches(r"[a-z]+", "letters"), "abc", None),
    (lambda: options.matches(r"[a-z]+", "letters"), "abc1", "letters"),
    (lambda: options.matches(r"[a-z]+", "letters"), 5, "letters"),
    (options.http_url, "https://s3.example", None),
    (options.http_url, "http://127.0.0.1:9000/path?x", None),
    (options.http_url, "ftp://s3.example", "an http(s) URL"),
    (options.http_url, "https://", "an http(s) URL"),
    (options.http_url, "https://a b", "an http(s) URL"),
    (options.public_http_url, "https://cdn.example/site/", None),
    (options.public_http_url, "https://user:pw@cdn.example/",
     "an http(s) URL without user:password@"),
    (options.public_http_url, "https://user@cdn.example/",
     "an http(s) URL without user:password@"),
    (options.public_http_url, "cdn.example", "an http(s) URL without user:password@"),
    (options.non_empty, " x ", None),
    (options.non_empty, "  ", "a non-empty string"),
    (options.env_name, "B2_SECRET", None),
    (options.env_name, "_X1", None),
    (options.env_name, "1X", "the name of an environment variable (like B2_SECRET) that holds"
                            " the credential, not the credential itself"),
    (options.env_name, "MY-KEY", "the name of an environment variable (like B2_SECRET) that "
                                 "holds the credential, not the credential itself"),
    (lambda: options.at_least(2), 2, None),
    (lambda: options.at_least(2), 3, None),
    (lambda: options.at_least(2), 1, "an integer of at least 2"),
    (lambda: options.each(options.non_empty), ["a", "b"], None),
    (lambda: options.each(options.non_empty), ["a", " "], "a list where every item is a "
                                                          "non-empty string"),
    (options.env_name, "b2_secret", None),
    (options.MIRROR_NAME, "a" * 63, None),
    (options.MIRROR_NAME, "a" * 64, "lowercase letters, digits and '-'"),
    (options.MIRROR_NAME, "-a", "lowercase letters, digits and '-'"),
], ids=case_id)
def test_the_reusable_checks(check: Any, value: Any, expected: str | None) -> None:
    if check.__name__ == "<lambda>":  # a check made by a factory: made here, at test time
        check = check()
    assert check(value) == expected


def test_urls_with_credentials_are_named_without_the_credentials() -> None:
    values = {"api": "http://u:p@127.0.0.1:5001", "gateways": ["https://ok.example",
                                                               "https://u@gw.example"],
              "public": None}
    found = options.credentials_in_urls(values, ("api", "gateways", "public"), "mirrors[0]",
                                        "use a variable")
    assert found == ["mirrors[0].api: must not contain credentials (user:password@); "
                     "use a variable",
                     "mirrors[0].gateways: must not contain credentials (user:password@); "
                     "use a variable"]


def test_paths_are_relative_to_the_config_file_and_home_is_expanded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/editor")
    assert options.resolve_path(Path("/site"), "out") == Path("/site/out")
    assert options.resolve_path(Path("/site"), "/srv/out") == Path("/srv/out")
    assert options.resolve_path(Path("/site"), "~/keys/k") == Path("/home/editor/keys/k")
    assert options.folder_url("https://x.example/a//", Path()) == "https://x.example/a/"
    assert options.folder_url("https://x.example", Path()) == "https://x.example/"
    assert options.folder_url("https://x.example/TAX", Path()) == "https://x.example/TAX/"


# --- the whole file ----------------------------------------------------------------------

def write(tmp_path: Path, text: str, *, content: bool = True) -> Path:
    if content:
        (tmp_path / "content").mkdir(exist_ok=True)
    path = tmp_path / "mirrorpub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, **kwargs)
    assert caught.value.file == str(path)
    return caught.value.problems


def test_a_site_with_defaults_resolves_its_folders_next_to_the_config(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[site]\ntitle = "T"\n'))
    site = config.site
    assert (site.content_dir, site.templates_dir, site.output_dir) == (
        tmp_path / "content", tmp_path / "templates", tmp_path / "public")
    assert (site.language, site.languages, site.per_page, site.manifest_ttl_days) == (
        "en", ("en",), 20, 30)
    assert (site.description, site.blocked_help, site.allow_external, site.bundle) == (
        "", "", False, False)
    assert site.ignore == () and site.signing_key is None and site.main_domain is None
    assert config.root == tmp_path and config.state_dir == tmp_path / ".mirrorpub"
    assert config.mirrors == ()


def test_mirrors_are_found_by_name_and_know_the_state_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[site]\ntitle = "T"\nignore = ["*.draft"]\n'
                                         '[[mirrors]]\nname = "usb"\ntype = "directory"\n'
                                         'path = "../usb"\n'))
    usb = config.mirror("usb")
    assert usb.path == tmp_path / ".." / "usb"
    assert usb.state_dir == tmp_path / ".mirrorpub"
    assert config.site.ignore == ("*.draft",)
    with pytest.raises(KeyError):
        config.mirror("nope")


def test_the_command_lines_output_folder_is_relative_to_where_the_editor_stands(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[site]\ntitle = "T"\noutput_dir = "public"\n')
    elsewhere = tmp_path / "here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_config(path, output_dir="built").site.output_dir == elsewhere / "built"
    assert load_config(path).site.output_dir == tmp_path / "public"


@pytest.mark.parametrize(("text", "expected"), [
    ('title = "T"\n', "title: unknown section (expected [site] and [[mirrors]])"),
    ('site = "T"\n', "site: missing; expected a [site] table with at least `title`"),
    ('[site]\ntitle = "T"\nmirrors = 1\n', "site.mirrors: unknown key"),
    ('mirrors = 1\n[site]\ntitle = "T"\n', "mirrors: expected [[mirrors]] tables"),
    ('mirrors = [1]\n[site]\ntitle = "T"\n', "mirrors: expected [[mirrors]] tables"),
    ('[site]\ntitle = "T"\n[[mirrors]]\nname = "x"\n',
     "mirrors[0].type: expected one of azure, directory, git, ipfs, memory, onion, s3, got "
     "missing"),
    ('[site]\ntitle = "T"\n[[mirrors]]\nname = "x"\ntype = 3\n',
     "mirrors[0].type: expected one of azure, directory, git, ipfs, memory, onion, s3, got 3"),
    ('[site]\ntitle = "T"\noutput_dir = "."\n', "site.output_dir: must not be the site's own "
                                                "folder"),
    ('[site]\ntitle = "T"\noutput_dir = ".."\n', "site.output_dir: "),
    ('[site]\ntitle = "T"\ncontent_dir = "articles"\n',
     "site.content_dir: folder 'articles' not found"),
    ('[site]\ntitle = "T"\nper_page = 0\n', "site.per_page: expected an integer of at least 1"),
    ('[site]\ntitle = "T"\nmain_domain = "localhost"\n',
     "site.main_domain: expected a domain name like 'kloop.kg'"),
    ('[site]\ntitle = " "\n', "site.title: expected a non-empty string"),
    ('[site]\ntitle = "T"\nsigning_key = "keys/none.key"\n',
     "site.signing_key: no key file at 'keys/none.key' (create one with `mirrorpub keygen`)"),
], ids=case_id)
def test_problems_of_the_whole_file(tmp_path: Path, text: str, expected: str) -> None:
    found = problems_of(write(tmp_path, text))
    assert any(p.startswith(expected) for p in found), found


def test_unnamed_mirrors_are_not_taken_for_duplicates(tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, '[site]\ntitle = "T"\n'
                                        '[[mirrors]]\ntype = "directory"\npath = "a"\n'
                                        '[[mirrors]]\ntype = "directory"\npath = "b"\n'
                                        '[[mirrors]]\nname = "c"\ntype = "directory"\n'
                                        'path = "c"\n'
                                        '[[mirrors]]\nname = "c"\ntype = "directory"\n'
                                        'path = "d"\n'))
    assert found == ["mirrors[0].name: missing; expected a string (the 1st [[mirrors]] entry)",
                     "mirrors[1].name: missing; expected a string (the 2nd [[mirrors]] entry)",
                     "mirrors[3].name: 'c' is already used by mirrors[2]; mirror names must be "
                     "unique (mirror 'c', the 4th [[mirrors]] entry)"]


@pytest.mark.parametrize(("where", "words"), [
    ("content/site.key", "site.signing_key: the key file lies inside site.content_dir"),
    ("public/site.key", "site.signing_key: the key file lies inside site.output_dir"),
    ("templates/site.key", "site.signing_key: the key file lies inside site.templates_dir"),
])
def test_a_key_file_where_it_could_be_published_is_refused(tmp_path: Path, where: str,
                                                          words: str) -> None:
    key = tmp_path / where
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("not read here")
    found = problems_of(write(tmp_path, f'[site]\ntitle = "T"\nsigning_key = "{where}"\n'))
    assert len(found) == 1 and found[0].startswith(words), found
    assert "move it out" in found[0]


def test_a_key_file_outside_the_site_is_taken_and_the_environment_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "keys" / "site.key"
    key.parent.mkdir()
    key.write_text("not read here")
    monkeypatch.delenv(SIGNING_KEY_ENV, raising=False)
    path = write(tmp_path, '[site]\ntitle = "T"\nsigning_key = "keys/site.key"\n')
    config = load_config(path)
    assert config.site.signing_key == tmp_path / "keys" / "site.key"
    assert config.site.exposing(tmp_path / "content" / "a.md") == "site.content_dir"
    assert config.site.exposing(key) is None
    monkeypatch.setenv(SIGNING_KEY_ENV, "a key given in the environment")
    assert load_config(path).site.signing_key is None
    key.unlink()  # not even looked for
    assert load_config(path).site.signing_key is None


def test_a_pasted_key_is_refused_without_being_quoted(tmp_path: Path) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIJ+abcdefghijklmnopqrstuvwxyz0123\\n" \
          "-----END PRIVATE KEY-----\\n"
    found = problems_of(write(tmp_path, f'[site]\ntitle = "T"\nsigning_key = "{pem}"\n'))
    assert len(found) == 1 and found[0].startswith(
        "site.signing_key: expected the path of a key file, not the key itself")
    assert "MC4CAQAw" not in found[0] and SIGNING_KEY_ENV in found[0]


@pytest.mark.parametrize(("data", "expected"), [
    (b'[site\ntitle = "T"\n', "not valid TOML: "),
    (b'[site]\ntitle = "\xff"\n', "not valid UTF-8 (byte 16)"),
], ids=case_id)
def test_a_file_that_cannot_be_read_says_why(tmp_path: Path, data: bytes,
                                             expected: str) -> None:
    path = tmp_path / "mirrorpub.toml"
    path.write_bytes(data)
    found = problems_of(path)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_a_missing_or_unreadable_file_says_so(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "none.toml") == [
        "file not found (create one with `mirrorpub init`)"]
    folder = tmp_path / "folder.toml"
    folder.mkdir()
    assert problems_of(folder) == [f"cannot be read: {os.strerror(21)}"]


@pytest.mark.parametrize(("section", "hint"), [
    ("mirror", "mirror: unknown section (did you mean [[mirrors]]?)"),
    ("sites", "sites: unknown section (did you mean [site]?)"),
])
def test_a_mistyped_section_gets_a_did_you_mean(tmp_path: Path, section: str,
                                                hint: str) -> None:
    found = problems_of(write(tmp_path, f'[site]\ntitle = "T"\n[[{section}]]\nname = "x"\n'))
    assert hint in found


def test_a_mistyped_mirror_key_names_the_mirror_and_the_right_key(tmp_path: Path) -> None:
    found = problems_of(write(tmp_path, '[site]\ntitle = "T"\n'
                                        '[[mirrors]]\nname = "usb"\ntype = "directory"\n'
                                        'path = "a"\n'
                                        '[[mirrors]]\nname = "aws"\ntype = "s3"\n'
                                        'buckt = "news"\n'))
    assert "mirrors[1].buckt: unknown key (did you mean 'bucket'?) (mirror 'aws', the 2nd " \
           "[[mirrors]] entry)" in found
