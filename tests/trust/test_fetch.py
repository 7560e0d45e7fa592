"""How verify and status reach a copy: the forms of address a reader pastes, and faults."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mirrorpub.errors import VerifyError
from mirrorpub.read.fetch import (
    FolderCopy,
    HttpCopy,
    NotFound,
    ReadLimits,
    Refused,
    Unreachable,
    digest_all,
    open_copy,
)
from mirrorpub.safepath import is_site_path


@pytest.mark.parametrize(("url", "root"), [
    ("http://h:1/bucket", "http://h:1/bucket/"),
    ("http://h:1/bucket/", "http://h:1/bucket/"),
    ("https://h/bucket/index.html", "https://h/bucket/"),
    ("https://h/bucket/news/mirrors.json", "https://h/bucket/news/"),
    ("https://h/bucket/mirrors.html?x=1#top", "https://h/bucket/"),
    ("http://gw/ipfs/bafyabc", "http://gw/ipfs/bafyabc/"),
    ("http://gw/ipfs/bafyabc/page-2.html", "http://gw/ipfs/bafyabc/"),
    ("http://h", "http://h/"),
])
def test_a_web_address_is_brought_back_to_the_copy_root(url: str, root: str):
    copy = open_copy(url)
    assert isinstance(copy, HttpCopy)
    assert copy.root == root
    copy.close()


def test_a_folder_is_found_by_path_file_url_or_one_of_its_root_files(tmp_path: Path):
    folder = tmp_path / "stick dir" / "news"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text("x")
    for given in (str(folder), folder.as_uri(), (folder / "index.html").as_uri(),
                  str(folder / "index.html")):
        copy = open_copy(given)
        assert isinstance(copy, FolderCopy)
        assert copy.root == str(folder.resolve())


@pytest.mark.parametrize("url", ["ftp://h/x", "ipns://k51abc", "file://otherhost/x",
                                 "http:///nohost"])
def test_what_is_not_a_copy_address_is_refused_in_one_line(url: str):
    with pytest.raises(VerifyError) as caught:
        open_copy(url)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("path", "ok"), [
    ("index.html", True), ("articles/a.html", True), ("files/img/x.png", True),
    ("../x", False), ("a/../../x", False), ("/etc/passwd", False), ("a//b", False),
    ("./a", False), ("a/./b", False), ("", False), ("a/", False), ("a\\b", False),
    ("a\nb", False), ("a\x00b", False),
])
def test_manifest_paths_must_stay_inside_the_copy(path: str, ok: bool):
    assert is_site_path(path) is ok


def test_a_folder_copy_never_reads_outside_itself(tmp_path: Path):
    (tmp_path / "secret").write_text("s")
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "link.html").symlink_to(tmp_path / "secret")
    folder = open_copy(str(copy))
    found = digest_all(folder, {"link.html": 1, "../secret": 1, "gone.html": 1})
    assert isinstance(found["link.html"], Refused)
    assert isinstance(found["../secret"], Refused)
    assert isinstance(found["gone.html"], NotFound)


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        codes = {"/c/missing": 404, "/c/closed": 403, "/c/broken": 500}
        code = codes.get(self.path, 200)
        body = b"x" * 3_000_000 if code == 200 else b"no"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/c/"
    finally:
        server.shutdown()
        server.server_close()


def test_http_answers_become_the_right_errors(web: str):
    copy = open_copy(web)
    try:
        found = digest_all(copy, {"missing": 1, "closed": 1, "broken": 1, "big": 10})
        assert isinstance(found["missing"], NotFound)
        assert isinstance(found["closed"], Refused)
        assert isinstance(found["broken"], Unreachable) and "HTTP 500" in str(found["broken"])
        # a body larger than the manifest says is cut short, not read to the end
        assert 10 < found["big"].size < 3_000_000
        with pytest.raises(Unreachable, match="larger than 1000 bytes"):
            copy.read("big", 1000)
    finally:
        copy.close()


def test_a_server_that_never_answers_times_out():
    with socket.socket() as silent:  # accepts connections (backlog), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        copy = open_copy(f"http://127.0.0.1:{silent.getsockname()[1]}/site/",
                         limits=ReadLimits(timeout=0.5))
        with pytest.raises(Unreachable, match=r"no answer within 0\.5 s"):
            copy.read("mirrors.json", 1000)
        copy.close()


def test_httpx_comes_without_its_command_line_client():
    """Its CLI pulls rich and pygments into every publish that reads a copy back."""
    import subprocess
    import sys
    code = ("import sys; from mirrorpub.read import fetch; "
            "print(sorted(m for m in ('rich', 'pygments') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_a_plain_http_copy_is_read_without_loading_every_root_certificate(monkeypatch):
    from mirrorpub.read import fetch
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    plain = fetch._tls_context("http://127.0.0.1:9/bucket/")
    # Fails closed: should a handshake ever happen, no certificate is trusted.
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.get_ca_certs() == []
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert fetch._tls_context("https://example.org/bucket/").cert_store_stats()["x509_ca"] > 0
    monkeypatch.setenv("HTTP_PROXY", "https://proxy.example:3128")
    assert fetch._tls_context("http://127.0.0.1:9/bucket/").cert_store_stats()["x509_ca"] > 0
