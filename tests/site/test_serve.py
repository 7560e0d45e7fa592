"""`mirrorpub serve`: the port it listens on, drafts in the preview only, and the reload
script only in what the preview answers (public/ stays what `build` makes)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mirrorpub.commands.preview import RELOAD_PATH, widened, with_reload
from tests.sitekit import article, assert_no_traceback, mirrorpub, serving, write_site


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_site(tmp_path, {
        "story.md": article("A story", body="First words."),
        "plan.md": article("Secret plan", body="Not yet.", draft=True),
    })
    return tmp_path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30)  # the reload question waits up to 20 s


def test_a_busy_port_says_so_in_one_line_and_uses_the_next_free_one(site: Path,
                                                                   busy_port: int) -> None:
    with serving(site, "--port", str(busy_port)) as preview:
        busy = preview.wait_for_line(" is busy")
        assert busy.strip().startswith("warning: port ") and f"port {busy_port} is busy" in busy
        assert f":{busy_port}/" not in preview.url
        assert "First words." in get(preview.url + "articles/story.html").text
        assert not [line for line in preview.lines if "internal error" in line]


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_a_port_outside_1_to_65535_is_a_usage_error(site: Path, port: str) -> None:
    result = mirrorpub("serve", "--port", port, cwd=site, timeout=60)
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == \
        f"error: --port {port}: expected a port from 1 to 65535"


def test_drafts_show_in_the_preview_only(site: Path) -> None:
    with serving(site, "--port", str(free_port())) as preview:
        assert get(preview.url + "articles/plan.html").status_code == 404
        assert "Secret plan" not in get(preview.url + "index.html").text
    with serving(site, "--drafts", "--port", str(free_port())) as preview:
        assert "Not yet." in get(preview.url + "articles/plan.html").text
        assert "Secret plan" in get(preview.url + "index.html").text
    public = site / "public"
    assert not (public / "articles" / "plan.html").exists()
    assert "Secret plan" not in (public / "index.html").read_text(encoding="utf-8")
    assert "plan.html" not in (public / "mirrors.json").read_text(encoding="utf-8")


def test_the_reload_script_is_in_served_pages_and_never_in_public(site: Path) -> None:
    with serving(site, "--port", str(free_port())) as preview:
        served = get(preview.url + "articles/story.html")
        assert RELOAD_PATH in served.text and served.headers["cache-control"] == "no-store"
        (site / "content" / "story.md").write_text(article("A story", body="Second words."),
                                                    encoding="utf-8")
        assert get(preview.url + RELOAD_PATH.lstrip("/") + "?v=0").text == "1"
        assert "Second words." in get(preview.url + "articles/story.html").text
    files = [p for p in (site / "public").rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if RELOAD_PATH.encode() in p.read_bytes()]
    built = mirrorpub("build", "-o", "again", cwd=site, check=True)
    assert built.returncode == 0
    assert (site / "public" / "articles" / "story.html").read_bytes() == \
        (site / "again" / "articles" / "story.html").read_bytes()


def test_a_broken_article_while_serving_is_one_line_and_the_preview_keeps_going(
        site: Path) -> None:
    with serving(site, "--port", str(free_port())) as preview:
        (site / "content" / "story.md").write_text("---\ntitle: [unclosed\n---\nx\n",
                                                    encoding="utf-8")
        line = preview.wait_for_line("error:")
        assert "story.md" in line
        assert "First words." in get(preview.url + "articles/story.html").text
        (site / "content" / "story.md").write_text(article("A story", body="Fixed."),
                                                    encoding="utf-8")
        assert get(preview.url + RELOAD_PATH.lstrip("/") + "?v=0").text == "1"
        assert "Fixed." in get(preview.url + "articles/story.html").text
    assert not [line for line in preview.lines if "Traceback" in line]


def test_the_policy_allows_the_reload_script_and_nothing_more() -> None:
    assert widened("default-src 'none'; base-uri 'none'", "'sha256-x'") == \
        "default-src 'none'; base-uri 'none'; script-src 'sha256-x'; connect-src 'self'"
    assert widened("script-src 'sha256-a'; connect-src https://a.example", "'sha256-x'") == \
        "script-src 'sha256-a' 'sha256-x'; connect-src https://a.example 'self'"
    page = (b'<html><head><meta http-equiv="Content-Security-Policy" '
            b'content="default-src \'none\'"></head><body><p>hi</p></body></html>')
    served = with_reload(page, 3).decode()
    assert served.index("<script>") > served.index("<p>hi</p>")
    assert served.endswith("</script></body></html>")
    assert "script-src 'sha256-" in served and "var v=3;" in served


@pytest.mark.parametrize(("args", "message"), [
    (["--root", ".", "--drafts"], "error: --drafts: only for the preview, not with --root"),
    (["--bind", "192.0.2.1"], "error: --bind 192.0.2.1: not an address of this machine"),
])
def test_serve_options_that_cannot_work_are_one_line(site: Path, args: list[str],
                                                     message: str) -> None:
    result = mirrorpub("serve", "--port", str(free_port()), *args, cwd=site, timeout=60)
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == message
