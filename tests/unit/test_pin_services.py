"""The Pinning Service API client and the copies rule (SPEC §9), against an in-process
fake service (tests/unit/fakepins.py). The real thing: tests/ipfs/test_cluster.py."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mirrorpub.config import load_config
from mirrorpub.errors import ConfigError
from mirrorpub.mirrors.ipfs import copies
from mirrorpub.mirrors.ipfs.pinsvc import PinServiceClient, PinServiceError, PinStatus
from tests.unit.fakepins import FakePinService

OWNER = "owner-of-this-site"
CIDS = [f"bafy{n}" for n in "abcde"]


def client(service: FakePinService, name: str = "svc", token: str | None = None,
           timeout: float = 5.0) -> PinServiceClient:
    return PinServiceClient(name, "http://127.0.0.1:1", token or service.token,
                            token_env="SVC_TOKEN", timeout=timeout,
                            transport=service.transport())


def no_wait(event: threading.Event, seconds: float) -> bool:
    return event.is_set()


def pin(cid: str, when: datetime) -> copies.PinRequest:
    return copies.pin_request(cid, mirror="ipfs", owner=OWNER, origins=["/ip4/127.0.0.1"],
                              now=when)


def test_a_pin_is_requested_with_origins_and_mark_then_polled_until_pinned() -> None:
    service = FakePinService(polls_until_pinned=3)
    with client(service) as svc:
        result = copies.request([svc], pin(CIDS[0], datetime.now(UTC)), min_copies=1,
                                timeout=30, sleep=no_wait)
    assert result.confirmed == ["svc"] and not result.problems
    (stored,) = service.pins.values()
    assert stored["pin"]["origins"] == ["/ip4/127.0.0.1"]
    assert stored["pin"]["meta"]["mirrorpub"] == OWNER
    assert service.requests.count(("GET", "/pins/req-1")) == 3


@pytest.mark.parametrize(("final", "said"), [
    ("failed", "reports the pin failed"),
    ("queued", "still reports the pin queued after 0.5 s (pin_timeout)"),
])
def test_a_pin_that_fails_or_stays_queued_is_named(final: str, said: str) -> None:
    service = FakePinService(final=final)
    with client(service) as svc:
        result = copies.request([svc], pin(CIDS[0], datetime.now(UTC)), min_copies=1,
                                timeout=0.5)
    assert result.confirmed == []
    assert said in result.problems["svc"] and "'svc'" in result.problems["svc"]
    assert "\n" not in result.summary(1)


def test_a_wrong_token_is_one_line_naming_the_service_and_variable() -> None:
    service = FakePinService()
    with client(service, token="wrong-token-999999") as svc, \
            pytest.raises(PinServiceError) as caught:
        svc.add(CIDS[0], name="n", origins=[], meta={})
    assert str(caught.value) == ("pin service 'svc' refused the token in SVC_TOKEN (HTTP 401):"
                                 " set it to a valid access token")
    assert "wrong-token" not in str(caught.value)


def test_a_service_nobody_answers_at_is_named() -> None:
    with PinServiceClient("down", "http://127.0.0.1:9", "t", timeout=2) as svc, \
            pytest.raises(PinServiceError, match=r"pin service 'down' cannot be reached at "
                                                 r"http://127\.0\.0\.1:9"):
        svc.pins()


def test_enough_confirmations_from_some_services_are_enough() -> None:
    good, bad = FakePinService(), FakePinService(final="failed")
    with client(good, "good") as one, client(bad, "bad") as two:
        result = copies.request([one, two], pin(CIDS[0], datetime.now(UTC)), min_copies=1,
                                timeout=5, sleep=no_wait)
    assert result.confirmed == ["good"] and set(result.problems) == {"bad"}
    assert "1 of the 2 pin confirmations" in result.summary(2)


def test_keep_pins_removes_only_mirrorpubs_older_pins() -> None:
    service = FakePinService(polls_until_pinned=0, ignores_meta_filter=True)
    foreign = service.foreign(CIDS[0])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with client(service) as svc:
        for n, cid in enumerate(CIDS[1:]):  # four publishes
            copies.request([svc], pin(cid, start + timedelta(minutes=n)), min_copies=1,
                           timeout=5, sleep=no_wait)
            copies.prune(svc, owner=OWNER, keep=3)
        assert service.cids() == {CIDS[0], *CIDS[2:]}
        assert foreign in service.pins
        assert copies.pinned_here(svc, CIDS[4]) == "pinned"
        assert copies.pinned_here(svc, CIDS[1]) == "not pinned"


def test_a_kept_cid_is_never_removed_through_an_older_request_for_it() -> None:
    # IPFS Cluster: request id == CID. Re-publishing an old root must keep it.
    mark = {"mirrorpub": OWNER}
    pins = [PinStatus("bafyX", "pinned", "bafyX", meta={**mark, "published": "1"}),
            PinStatus("bafyY", "pinned", "bafyY", meta={**mark, "published": "2"}),
            PinStatus("old-X", "pinned", "bafyX", meta={**mark, "published": "0"}),
            PinStatus("theirs", "pinned", "bafyZ", meta={})]
    assert [p.requestid for p in copies.stale(pins, owner=OWNER, keep=2)] == []
    assert [p.requestid for p in copies.stale(pins, owner=OWNER, keep=1)] == ["bafyX", "old-X"]


def site_dir(tmp_path: Path) -> Path:
    (tmp_path / "content").mkdir(exist_ok=True)
    return tmp_path / "mirrorpub.toml"


def config_problems(tmp_path: Path, extra: str) -> str:
    path = site_dir(tmp_path)
    path.write_text('[site]\ntitle = "t"\n[[mirrors]]\nname = "ipfs"\ntype = "ipfs"\n' + extra)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_pin_services_config(tmp_path: Path) -> None:
    path = site_dir(tmp_path)
    path.write_text('[site]\ntitle = "t"\n[[mirrors]]\nname = "ipfs"\ntype = "ipfs"\n'
                    'min_copies = 2\npin_timeout = 30\n'
                    '[[mirrors.pin_services]]\nname = "cluster"\n'
                    'endpoint = "https://pin.example.org/"\ntoken_env = "CLUSTER_PIN_TOKEN"\n'
                    '[[mirrors.pin_services]]\nname = "local"\n'
                    'endpoint = "http://127.0.0.1:9097"\ntoken_env = "LOCAL_TOKEN"\n')
    (ipfs,) = load_config(path).mirrors
    assert [(s.name, s.endpoint) for s in ipfs.pin_services] == [
        ("cluster", "https://pin.example.org"), ("local", "http://127.0.0.1:9097")]
    assert (ipfs.min_copies, ipfs.pin_timeout) == (2, 30)


def test_min_copies_defaults_to_one_with_services_and_zero_without(tmp_path: Path) -> None:
    path = site_dir(tmp_path)
    path.write_text('[site]\ntitle = "t"\n[[mirrors]]\nname = "ipfs"\ntype = "ipfs"\n')
    assert load_config(path).mirrors[0].min_copies == 0
    path.write_text(path.read_text() + '[[mirrors.pin_services]]\nname = "c"\n'
                    'endpoint = "https://p.example"\ntoken_env = "T"\n')
    assert load_config(path).mirrors[0].min_copies == 1


@pytest.mark.parametrize(("extra", "expected"), [
    ("min_copies = 1\n", "mirrors[0].min_copies: expected at most the number of "
                         "pin_services (0), got 1"),
    ('[[mirrors.pin_services]]\nname = "c"\nendpoint = "https://p.example"\n'
     'token_env = "eyJhbGciOiJIUzI1NiJ9abc123XYZ"\n',
     "mirrors[0].pin_services[0].token_env: expected the name of an environment variable"),
    ('[[mirrors.pin_services]]\nname = "c"\nendpoint = "http://pin.example.org"\n'
     'token_env = "T"\n', "mirrors[0].pin_services[0].endpoint: a bearer token is sent over "
                          "https:// only"),
    ('[[mirrors.pin_services]]\nname = "c"\nendpoint = "https://p.example"\n'
     'token_env = "T"\ncolour = 1\n', "mirrors[0].pin_services[0].colour: unknown key"),
    ('pin_services = ["https://p.example"]\n', "mirrors[0].pin_services: expected a list of"),
])
def test_bad_pin_services(tmp_path: Path, extra: str, expected: str) -> None:
    found = config_problems(tmp_path, extra)
    assert expected in found
    assert "eyJhbGciOiJIUzI1NiJ9abc123XYZ" not in found


def test_min_copies_zero_asks_every_service_and_waits_for_none() -> None:
    service = FakePinService(final="queued")
    with client(service) as svc:
        result = copies.request([svc], pin(CIDS[0], datetime.now(UTC)), min_copies=0,
                                timeout=600)
    assert service.cids() == {CIDS[0]}
    assert result.problems == {"svc": "pin service 'svc' has not confirmed the pin yet (queued)"}
