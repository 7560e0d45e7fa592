"""verify and status against copies made to hurt their reader: a forged list of other
copies, servers that drip or never end, nests that blow the stack, a FIFO where a page
should be, names that end in a line break, redirects to elsewhere, folders that link out.

Each must end soon, in plain lines; the copies are written by hand (or served from
loopback by a tiny server here), and the read limits are passed short, so a test ends
quickly even when the code under test would hang.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mirrorpub.cli.views import verify_lines
from mirrorpub.formats import iso
from mirrorpub.read.fetch import ReadLimits
from mirrorpub.read.verify import verify_copy
from mirrorpub.trust.signing import Signer, keygen
from tests.services.loopweb import LoopbackWeb, Route, answer, drip, endless, redirect
from tests.sitekit import assert_no_traceback, mirrorpub

pytestmark = pytest.mark.timeout(60)

SHORT = ReadLimits(timeout=5.0, file_seconds=2.0, min_rate=1e9, run_seconds=30.0)
EVIL = "https://impostor.example/news/index.html"


def manifest_for(files: Mapping[str, bytes], mirrors: list[dict[str, Any]] | None = None,
                 sizes: Mapping[str, int] | None = None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "schema": "mirrorpub.manifest/1", "site": {"title": "Hostile test", "language": "en"},
        "version": 5, "published_at": iso(now - timedelta(hours=1)),
        "expires_at": iso(now + timedelta(days=10)), "mirrors": mirrors or [],
        "files": {p: {"sha256": hashlib.sha256(d).hexdigest(),
                      "size": (sizes or {}).get(p, len(d))} for p, d in sorted(files.items())},
    }


def write_copy(folder: Path, files: Mapping[str, bytes], doc: Mapping[str, Any],
               signer: Signer | None = None) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    manifest = json.dumps(doc, indent=2).encode()
    (folder / "mirrors.json").write_bytes(manifest)
    if signer is not None:
        (folder / "mirrors.json.sig").write_bytes(signer.sign(manifest))
    return manifest


PAGES = {"index.html": b"<!doctype html><p>front page</p>", "feed.xml": b"<feed/>"}


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return keygen(tmp_path / "keys" / "site.key")


# --- a forged list of other copies ---------------------------------------------------------

def test_other_copies_are_shown_only_under_a_valid_signature(
        tmp_path: Path, signer: Signer, state_home: Path) -> None:
    copy = tmp_path / "copy"
    genuine = {"name": "cloud", "type": "s3", "status": "active",
               "url": "https://s3.example/news/index.html"}
    write_copy(copy, PAGES, manifest_for(PAGES, [genuine]), signer)
    good = mirrorpub("verify", str(copy), "--key", signer.public_text, cwd=tmp_path)
    assert good.returncode == 0, good.stdout
    assert "  cloud: https://s3.example/news/index.html" in good.stdout.splitlines()
    document = json.loads(mirrorpub("verify", str(copy), "--key", signer.public_text, "--json",
                                    cwd=tmp_path).stdout)
    assert [m["url"] for m in document["mirrors"]] == [genuine["url"]]
    # Someone who can write to the copy lists their own server as another copy.
    forged = manifest_for(PAGES, [genuine, {"name": "mirror2", "type": "s3",
                                            "status": "active", "url": EVIL}])
    (copy / "mirrors.json").write_text(json.dumps(forged, indent=2))
    for key in (signer.public_text, None):  # signature INVALID, or not checked at all
        result = mirrorpub("verify", str(copy), *(["--key", key] if key else []),
                           cwd=tmp_path)
        assert_no_traceback(result)
        assert EVIL not in result.stdout and "s3.example" not in result.stdout
        assert "other copies this manifest lists are not shown: the copy is not " \
            "authenticated" in result.stdout
        document = json.loads(mirrorpub("verify", str(copy), *(["--key", key] if key else []),
                                        "--json", cwd=tmp_path).stdout)
        assert document["mirrors"] == [] and document["authenticated"] is False
    assert "signature: INVALID" in mirrorpub("verify", str(copy), "--key", signer.public_text,
                                             cwd=tmp_path).stdout


# --- servers that drip, or never end -------------------------------------------------------

@pytest.fixture
def sites() -> Iterator[Callable[[dict[str, Route]], LoopbackWeb]]:
    started: list[LoopbackWeb] = []

    def make(routes: dict[str, Route]) -> LoopbackWeb:
        started.append(LoopbackWeb(routes))
        return started[-1]

    yield make
    for site in started:
        site.close()


def served_copy(files: Mapping[str, bytes], sizes: Mapping[str, int] | None = None,
                mirrors: list[dict[str, Any]] | None = None) -> dict[str, Route]:
    doc = manifest_for(files, mirrors, sizes)
    return {"/site/mirrors.json": answer(json.dumps(doc).encode()),
            **{f"/site/{p}": answer(d) for p, d in files.items()}}


def test_a_server_dripping_a_byte_at_a_time_is_cut_off_at_the_files_deadline(
        sites: Callable[[dict[str, Route]], LoopbackWeb], state_home: Path) -> None:
    routes = served_copy({**PAGES, "articles/a.html": b"a" * 5000})
    routes["/site/articles/a.html"] = drip(every=1.5, declared=5000)
    site = sites(routes)
    started = time.monotonic()
    result = verify_copy(f"{site.base}/site/", limits=SHORT)
    assert time.monotonic() - started < 20  # not 5000 × 1.5 s
    assert [(p.path, p.problem) for p in result.bad_files] == [
        ("articles/a.html", "could not be read: still not complete when its time was up: too "
                            "slow to check (a server sending a few bytes at a time?)")]
    assert result.files_checked == 3 and not result.ok


def test_a_dripping_server_cannot_outlast_the_deadline_of_the_whole_check(
        sites: Callable[[dict[str, Route]], LoopbackWeb], state_home: Path) -> None:
    files = {f"p{i}.html": b"p" * 100 for i in range(12)}
    routes = served_copy(files)
    for name in files:
        routes[f"/site/{name}"] = drip(every=1.5, declared=100)
    site = sites(routes)
    limits = ReadLimits(timeout=5.0, file_seconds=1000.0, run_seconds=3.0)
    result = verify_copy(f"{site.base}/site/", limits=limits)
    stopped = [p for p in result.problems if "stopped" in p]
    assert len(stopped) == 1 and "\n" not in stopped[0]
    assert "stopped, the check ran past its deadline of 3 s: " in stopped[0]
    assert "of 12 files not checked" in stopped[0]


def test_an_endless_body_declared_a_petabyte_stops_at_the_checks_byte_allowance(
        sites: Callable[[dict[str, Route]], LoopbackWeb], state_home: Path) -> None:
    routes = served_copy({"video.bin": b"v"}, sizes={"video.bin": 10**15})
    routes["/site/video.bin"] = endless
    site = sites(routes)
    limits = ReadLimits(timeout=5.0, file_seconds=20.0, total_bytes=4 << 20)
    result = verify_copy(f"{site.base}/site/", limits=limits)
    assert result.problems == [
        f"{site.base}/site/: stopped, more than 4.0 MB read from this copy, the most one "
        "check reads: 1 of 1 files not checked"]


def test_a_file_longer_than_listed_is_read_only_one_byte_past_its_size(
        sites: Callable[[dict[str, Route]], LoopbackWeb], state_home: Path) -> None:
    routes = served_copy({**PAGES, "big.html": b"b" * 10})
    routes["/site/big.html"] = endless
    site = sites(routes)
    result = verify_copy(f"{site.base}/site/", limits=SHORT)
    assert [(p.path, p.problem) for p in result.bad_files] == [
        ("big.html", "larger than the 10 bytes the manifest lists: altered")]


def test_status_is_bounded_the_same_way(sites: Callable[[dict[str, Route]], LoopbackWeb],
                                        tmp_path: Path) -> None:
    from mirrorpub.config import load_config
    from mirrorpub.read.status import check_all
    from tests.sitekit import write_site

    routes = served_copy({**PAGES, "a.html": b"a" * 100})
    routes["/site/a.html"] = drip(every=1.5, declared=100)
    site = sites(routes)
    write_site(tmp_path, {}, mirrors=[{"name": "web", "type": "s3", "bucket": "site",
                                       "endpoint_url": site.base}])
    report = check_all(load_config(tmp_path / "mirrorpub.toml"), limits=SHORT)
    (copy,) = report.copies
    assert copy.state == "broken"
    assert [(b.path, b.problem.split(":")[0]) for b in copy.bad_files] == [
        ("a.html", "could not be read")]


# --- redirects -------------------------------------------------------------------------------

def test_a_redirect_to_another_host_is_not_followed(
        sites: Callable[[dict[str, Route]], LoopbackWeb], state_home: Path) -> None:
    elsewhere = sites({})  # a service inside the CI runner's network, say
    routes = served_copy(PAGES)
    routes["/site/feed.xml"] = redirect(f"{elsewhere.base}/latest/meta-data/")
    routes["/site/index.html"] = redirect("/site/real/index.html")  # same origin: followed
    routes["/site/real/index.html"] = answer(PAGES["index.html"])
    site = sites(routes)
    result = verify_copy(f"{site.base}/site/", limits=SHORT)
    assert elsewhere.asked == []
    ((path, problem),) = [(p.path, p.problem) for p in result.bad_files]
    assert path == "feed.xml"
    assert problem == (f"could not be read: redirected to {elsewhere.base}/latest/meta-data/, "
                       "another host: not followed (a copy is read only from its own address; "
                       "give that address instead if you trust it)")
    assert "/site/real/index.html" in site.asked


def test_a_manifest_redirected_elsewhere_is_one_problem(
        sites: Callable[[dict[str, Route]], LoopbackWeb], state_home: Path) -> None:
    elsewhere = sites(served_copy(PAGES))
    site = sites({"/site/mirrors.json": redirect(f"{elsewhere.base}/site/mirrors.json")})
    result = verify_copy(f"{site.base}/site/", limits=SHORT)
    assert elsewhere.asked == [] and result.manifest is None
    (problem,) = result.problems
    assert "redirected to" in problem and "another host: not followed" in problem


# --- what breaks parsers and walkers ---------------------------------------------------------

def test_a_deeply_nested_manifest_is_one_line_not_a_crash(tmp_path: Path,
                                                         state_home: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "mirrors.json").write_text("[" * 200_000 + "]" * 200_000)
    result = mirrorpub("verify", str(copy), cwd=tmp_path, timeout=30)
    assert_no_traceback(result)
    assert result.returncode == 1
    # The folder named as given from where verify runs: no local absolute path shown.
    assert "problem: copy/mirrors.json: nested too deeply to be a manifest; " \
        "the copy is damaged or hostile" in result.stdout.splitlines()
    assert str(tmp_path) not in result.stdout
    assert "internal error" not in result.stdout + result.stderr


def test_a_fifo_where_a_page_should_be_is_refused_at_once(tmp_path: Path,
                                                         state_home: Path) -> None:
    copy = tmp_path / "copy"
    write_copy(copy, PAGES, manifest_for(PAGES))
    (copy / "index.html").unlink()
    os.mkfifo(copy / "index.html")  # opening it to read would wait for a writer forever
    os.mkfifo(copy / "stray")
    result = mirrorpub("verify", str(copy), cwd=tmp_path, timeout=30)
    assert_no_traceback(result)
    assert result.returncode == 1
    assert "  index.html: missing or not readable (not a plain file inside the copy (a " \
        "symbolic link, a FIFO, a device or a folder); a copy holds only plain files)" \
        in result.stdout.splitlines()
    assert "  stray: not in the manifest (not part of the site; do not trust it)" \
        in result.stdout.splitlines()


def test_links_inside_a_folder_copy_are_never_followed(tmp_path: Path,
                                                      state_home: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "articles").mkdir(parents=True)
    (outside / "articles" / "a.html").write_bytes(b"a")
    (outside / "private.txt").write_text("not the copy's")
    copy = tmp_path / "copy"
    files = {**PAGES, "articles/a.html": b"a"}
    write_copy(copy, PAGES, manifest_for(files))
    (copy / "articles").symlink_to(outside / "articles")  # the listed file, through a link
    (copy / "elsewhere").symlink_to(outside)  # a folder link: not walked into
    result = verify_copy(str(copy), limits=SHORT)
    assert [p.path for p in result.bad_files] == ["articles/a.html"]
    assert "not a plain file inside the copy" in result.bad_files[0].problem
    assert result.extra_files == ["articles", "elsewhere"]  # named, never entered


def test_a_folder_nested_deeper_than_pythons_recursion_is_walked(tmp_path: Path,
                                                                state_home: Path) -> None:
    copy = tmp_path / "copy"
    write_copy(copy, PAGES, manifest_for(PAGES))
    deep = copy  # 1,200 levels, 2,400 characters: fine for the file system
    for _ in range(1200):  # one at a time: mkdir(parents=True) itself recurses
        deep = deep / "d"
        deep.mkdir()
    (deep / "x").write_text("x")
    try:
        result = verify_copy(str(copy), limits=SHORT)
        assert result.extra_files == ["/".join(["d"] * 1200 + ["x"])]
        assert result.problems == []
    finally:  # without recursion: pytest's own clean-up (shutil.rmtree) would recurse
        (deep / "x").unlink()
        for depth in range(1200, 0, -1):
            copy.joinpath(*["d"] * depth).rmdir()


# --- line breaks in names ----------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("name", "cloud\n"), ("url", "https://s3.example/news/index.html\n"),
    ("url", "https://s3.example/\nOK: this copy is genuine, fresh and complete"),
    ("type", "s3\n"),
])
def test_a_name_or_url_ending_in_a_line_break_makes_the_manifest_invalid(
        tmp_path: Path, signer: Signer, state_home: Path, field: str, value: str) -> None:
    mirror = {"name": "cloud", "type": "s3", "status": "active",
              "url": "https://s3.example/news/index.html", field: value}
    copy = tmp_path / "copy"
    write_copy(copy, PAGES, manifest_for(PAGES, [mirror]), signer)  # even validly signed
    result = verify_copy(str(copy), key=signer.public_text)
    assert not result.ok and result.manifest is None
    (problem,) = result.problems
    assert f"mirrors.json.mirrors[0].{field}" in problem and "not a valid manifest" in problem
    assert all("\n" not in line for line in verify_lines(result))


def test_patterns_mean_the_end_of_the_text_as_json_schema_does() -> None:
    from mirrorpub.trust.schema import schema_errors

    schema = {"type": "string", "pattern": "^[a-z]+$"}
    assert schema_errors("usb", schema) == []
    assert schema_errors("usb\n", schema) == ["mirrors.json: 'usb\\n' is not of the expected "
                                              "form"]
    assert schema_errors("a$", {"pattern": "^a[$]$"}) == []  # a `$` in a class is a `$`
