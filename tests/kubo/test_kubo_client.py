"""mirrorpub.mirrors.ipfs.kubo.KuboClient against a real, offline kubo daemon (no mocks)."""

from __future__ import annotations

import io
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import httpx
import pytest

from mirrorpub.mirrors.ipfs.kubo import KuboClient, KuboError
from tests.services.kubo import KuboDaemon, free_port

pytestmark = pytest.mark.ipfs

BIG_SIZE = 3 * 1024 * 1024 + 123  # several 256 KiB chunks, and not a multiple of one


def site_files() -> dict[str, bytes]:
    rng = random.Random(20240601)
    return {
        "index.html": b"<!doctype html><title>News</title><a href='articles/a.html'>A</a>\n",
        "articles/a.html": "<p>Article A — ünïcode</p>\n".encode(),
        "files/img/x.png": b"\x89PNG\r\n\x1a\n\x00\xff" + rng.randbytes(40_000),
        "files/archive.bin": rng.randbytes(BIG_SIZE),
    }


def as_tree(files: dict[str, bytes]) -> list[tuple[str, Callable[[], BinaryIO]]]:
    return [(path, lambda data=data: io.BytesIO(data)) for path, data in files.items()]


def on_disk(root: Path, files: dict[str, bytes]) -> list[tuple[str, Callable[[], BinaryIO]]]:
    """The tree as real files, opened only when add_tree gets to them."""
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return [(path, lambda p=root / path: p.open("rb")) for path in files]


@pytest.fixture
def site_cid(kubo_client: KuboClient) -> str:
    return kubo_client.add_tree(as_tree(site_files()))


def gateway_get(daemon: KuboDaemon, path: str, **headers: str) -> httpx.Response:
    return httpx.get(
        daemon.gateway_url + path, headers=headers, follow_redirects=False, trust_env=False
    )


# -- version and add_tree -------------------------------------------------------------------


def test_version(kubo_client: KuboClient) -> None:
    assert kubo_client.version() == "0.43.1"


def test_add_tree_gives_a_stable_cidv1(kubo_client: KuboClient, tmp_path: Path) -> None:
    files = site_files()
    first = kubo_client.add_tree(as_tree(files))
    assert first.startswith("bafy")  # CIDv1, dag-pb, base32
    assert kubo_client.add_tree(as_tree(files)) == first
    # Order of the input and where the bytes come from do not matter.
    assert kubo_client.add_tree(reversed(on_disk(tmp_path, files))) == first

    changed = dict(files)
    png = bytearray(changed["files/img/x.png"])
    png[1000] ^= 0x01
    changed["files/img/x.png"] = bytes(png)
    other = kubo_client.add_tree(as_tree(changed))
    assert other.startswith("bafy")
    assert other != first


def test_gateway_serves_the_exact_bytes(kubo_daemon: KuboDaemon, site_cid: str) -> None:
    for path, data in site_files().items():
        response = gateway_get(kubo_daemon, f"/ipfs/{site_cid}/{path}")
        assert response.status_code == 200, (path, response.status_code, response.headers)
        assert response.content == data, path
    index = gateway_get(kubo_daemon, f"/ipfs/{site_cid}/")
    assert index.status_code == 200
    assert index.content == site_files()["index.html"]


def test_gateway_is_path_style_on_127_0_0_1_only(kubo_daemon: KuboDaemon, site_cid: str) -> None:
    direct = gateway_get(kubo_daemon, f"/ipfs/{site_cid}/index.html")
    assert direct.status_code == 200
    # The same request named "localhost" is sent to the subdomain gateway instead.
    port = kubo_daemon.gateway_port
    named = gateway_get(kubo_daemon, f"/ipfs/{site_cid}/index.html", Host=f"localhost:{port}")
    assert named.status_code in {301, 302, 307, 308}
    assert f"{site_cid}.ipfs.localhost" in named.headers["location"]


def test_add_tree_streams_one_file_at_a_time(kubo_client: KuboClient, tmp_path: Path) -> None:
    files = site_files()
    events: list[tuple[str, str, int]] = []

    def opener(path: str) -> Callable[[], BinaryIO]:
        def open_it() -> BinaryIO:
            events.append(("open", path, 0))
            return (tmp_path / path).open("rb")

        return open_it

    on_disk(tmp_path, files)
    cid = kubo_client.add_tree(
        [(path, opener(path)) for path in files],
        on_file=lambda path, nbytes: events.append(("sent", path, nbytes)),
    )
    assert cid.startswith("bafy")
    sent = [(path, n) for kind, path, n in events if kind == "sent"]
    assert sorted(sent) == sorted((path, len(data)) for path, data in files.items())
    # Each file is opened only after the previous one was sent: nothing is read ahead.
    assert [kind for kind, _, _ in events] == ["open", "sent"] * len(files)


def test_add_tree_accepts_awkward_names(kubo_daemon: KuboDaemon, kubo_client: KuboClient) -> None:
    files = {"a b/c+d é.html": b"spaces", "x/100%.txt": b"percent", 'q/"quoted".txt': b"quote"}
    cid = kubo_client.add_tree(as_tree(files))
    for path, data in files.items():
        response = gateway_get(kubo_daemon, f"/ipfs/{cid}/{quote(path)}")
        assert response.content == data, path


def test_add_tree_rejects_paths_outside_the_tree(kubo_client: KuboClient) -> None:
    for bad in ("/etc/passwd", "a/../b", "a//b", ""):
        with pytest.raises(ValueError):
            kubo_client.add_tree(as_tree({bad: b"x"}))
    with pytest.raises(ValueError):
        kubo_client.add_tree(as_tree({"a": b"file", "a/b": b"under a file"}))


def test_unreadable_file_raises_its_own_oserror(kubo_client: KuboClient) -> None:
    def missing() -> BinaryIO:
        raise FileNotFoundError(2, "No such file or directory", "public/gone.html")

    with pytest.raises(FileNotFoundError):
        kubo_client.add_tree([("index.html", lambda: io.BytesIO(b"ok")), ("gone.html", missing)])
    assert kubo_client.version() == "0.43.1"  # the client is still usable


def test_empty_tree_is_the_empty_folder(kubo_client: KuboClient) -> None:
    assert kubo_client.add_tree([]) == "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354"


# -- pins -----------------------------------------------------------------------------------


def test_pin_round_trip(kubo_client: KuboClient, site_cid: str) -> None:
    assert site_cid not in kubo_client.pins()  # add_tree does not pin
    kubo_client.pin_add(site_cid)
    assert site_cid in kubo_client.pins()
    kubo_client.pin_rm(site_cid)
    assert site_cid not in kubo_client.pins()
    kubo_client.pin_rm(site_cid)  # not pinned any more: still fine


def test_pin_update_pins_the_new_root_and_keeps_the_old(kubo_client: KuboClient,
                                                       site_cid: str) -> None:
    files = site_files()
    files["index.html"] = b"<p>edited</p>"
    edited = kubo_client.add_tree(as_tree(files))
    kubo_client.pin_add(site_cid)
    kubo_client.pin_update(site_cid, edited)
    assert {site_cid, edited} <= kubo_client.pins()
    with pytest.raises(KuboError):  # from a root that is not pinned: refused, not guessed
        kubo_client.pin_update(kubo_client.add_tree(as_tree({"a.html": b"a"})), edited)
    for cid in (site_cid, edited):
        kubo_client.pin_rm(cid)


def test_pin_add_of_missing_content_says_why(kubo_client: KuboClient) -> None:
    absent = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"  # never added here
    with pytest.raises(KuboError) as caught:
        kubo_client.pin_add(absent)
    message = str(caught.value)
    assert "pin/add" in message and "not found locally" in message
    assert "\n" not in message


# -- keys and IPNS --------------------------------------------------------------------------


def test_publish_and_resolve(kubo_client: KuboClient, site_cid: str) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    key_id = kubo_client.key_gen(name)
    assert key_id.startswith("k51")
    assert kubo_client.key_list()[name] == key_id

    assert kubo_client.name_publish(site_cid, name, timeout=30) == key_id
    assert kubo_client.name_resolve(key_id, timeout=30) == f"/ipfs/{site_cid}"

    other = kubo_client.add_tree(as_tree({"index.html": b"next edition"}))
    kubo_client.name_publish(f"/ipfs/{other}", name, lifetime="24h", timeout=30)
    assert kubo_client.name_resolve(f"/ipns/{key_id}", timeout=30) == f"/ipfs/{other}"


def test_key_gen_twice_is_a_clear_error(kubo_client: KuboClient) -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    kubo_client.key_gen(name)
    with pytest.raises(KuboError, match="already exists"):
        kubo_client.key_gen(name)


# -- MFS ------------------------------------------------------------------------------------


def test_files_cp_places_the_tree_in_mfs(
    kubo_daemon: KuboDaemon, kubo_client: KuboClient, site_cid: str
) -> None:
    folder = f"/mirrorpub-test-{uuid.uuid4().hex[:8]}"
    kubo_client.files_mkdir(folder)
    kubo_client.files_mkdir(folder)  # parents=True: an existing folder is fine
    kubo_client.files_cp(f"/ipfs/{site_cid}", f"{folder}/site")

    assert kubo_client.files_stat(f"{folder}/site") == site_cid
    listing = kubo_daemon.cli("files", "ls", f"{folder}/site").stdout.split()
    assert sorted(listing) == ["articles", "files", "index.html"]

    kubo_client.files_rm(f"{folder}/site")
    assert kubo_client.files_stat(f"{folder}/site") is None
    kubo_client.files_rm(f"{folder}/site")  # force: already gone is fine
    kubo_client.files_rm(folder)


# -- errors a user can act on ---------------------------------------------------------------


def assert_one_line(error: KuboError) -> str:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_closed_port_names_the_address_and_the_daemon() -> None:
    api = f"http://127.0.0.1:{free_port()}"
    with KuboClient(api) as client, pytest.raises(KuboError) as caught:
        client.version()
    message = assert_one_line(caught.value)
    assert api in message and "daemon" in message


def test_unknown_host_and_bad_address() -> None:
    with KuboClient("http://no-such-host.invalid:5001") as client, pytest.raises(KuboError) as e:
        client.version()
    assert "no-such-host.invalid" in assert_one_line(e.value)
    with KuboClient("127.0.0.1:5001") as client, pytest.raises(KuboError, match="not an http"):
        client.version()


def test_gateway_port_is_not_the_api(kubo_daemon: KuboDaemon) -> None:
    with KuboClient(kubo_daemon.gateway_url) as client, pytest.raises(KuboError) as caught:
        client.version()
    assert "gateway" in assert_one_line(caught.value)


def test_multiaddr_form_of_the_api_address(kubo_daemon: KuboDaemon) -> None:
    with KuboClient(f"/ip4/127.0.0.1/tcp/{kubo_daemon.api_port}") as client:
        assert client.version() == "0.43.1"


def test_daemon_killed_mid_use(kubo_factory: Callable[..., KuboDaemon]) -> None:
    daemon = kubo_factory()
    with KuboClient(daemon.api_url, timeout=20) as client:
        cid = client.add_tree(as_tree({"index.html": b"before the crash"}))
        client.pin_add(cid)

        daemon.kill()
        with pytest.raises(KuboError) as caught:
            client.version()
        assert "no IPFS daemon answers" in assert_one_line(caught.value)

        daemon.restart()
        assert client.version() == "0.43.1"
        assert cid in client.pins()  # the repo survived the SIGKILL

        # Killed while the body is being streamed: still a KuboError, not an httpx error.
        def crash_after_first(path: str, nbytes: int) -> None:
            if daemon.running:
                daemon.kill()

        with pytest.raises(KuboError) as caught:
            client.add_tree(as_tree(site_files()), on_file=crash_after_first)
        assert daemon.api_url in assert_one_line(caught.value)


@pytest.fixture
def stalling_server() -> Iterator[str]:
    """An address that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def test_timeout_against_a_stalling_server(stalling_server: str) -> None:
    began = time.monotonic()
    with KuboClient(stalling_server, timeout=0.5) as client, pytest.raises(KuboError) as caught:
        client.version()
    assert time.monotonic() - began < 5
    message = assert_one_line(caught.value)
    assert message.startswith(f"the IPFS daemon at {stalling_server} did not answer within 0.5 s")


def test_publish_timeout_is_its_own(stalling_server: str) -> None:
    with KuboClient(stalling_server, timeout=60) as client, pytest.raises(KuboError) as caught:
        client.name_publish("bafkqaaa", "self", timeout=0.3)
    assert "within 0.3 s" in assert_one_line(caught.value)


def test_api_refusing_the_request(kubo_factory: Callable[..., KuboDaemon]) -> None:
    daemon = kubo_factory(
        API__Authorizations={"tests": {"AuthSecret": "bearer:s3cret", "AllowedPaths": ["/api/v0"]}}
    )
    with KuboClient(daemon.api_url) as client, pytest.raises(KuboError) as caught:
        client.version()
    message = assert_one_line(caught.value)
    assert "refused the request" in message and daemon.api_url in message
    with KuboClient(daemon.api_url, authorization="Bearer s3cret") as client:
        assert client.version() == "0.43.1"


def test_daemon_starts_quickly(kubo_factory: Callable[..., KuboDaemon]) -> None:
    daemon = kubo_factory()
    assert daemon.start_seconds < 10, daemon.start_seconds
    daemon.restart()
    assert daemon.start_seconds < 10, daemon.start_seconds
