"""The one redaction rule: what may be a secret is never quoted, and what is certainly
secret is blanked out of every way out (console, logs, --json, state.json)."""

from __future__ import annotations

import io
import json
import logging
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from mirrorpub import redact
from mirrorpub.cli.logs import JsonLines, PlainLines
from mirrorpub.publish.state import MirrorState, SiteState, save_state

PEM = ed25519.Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()).decode()
BODY = PEM.splitlines()[1]


@pytest.mark.parametrize("value", [
    PEM, BODY, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "https://editor:hunter2@host.example/",
    secrets.token_hex(20),
])
def test_values_that_may_be_secrets_are_described_not_quoted(value: str) -> None:
    text = redact.shown(value)
    assert value not in text and value[:8] not in text
    assert f"{len(value)} characters" in text


@pytest.mark.parametrize("value", [
    "B2_APPLICATION_KEY_ID", "TEST_S3_SECRET", "~/.config/mirrorpub/site.key",
    "/media/usb2/news", "news-mirror-7f3a", "Kloop — mirror", "eu-central-1", 20,
])
def test_ordinary_values_are_quoted(value: object) -> None:
    assert redact.shown(value) == repr(value)


def test_private_keys_are_recognised_in_every_common_shape() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    openssh = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    assert redact.looks_like_private_key(PEM) and redact.looks_like_private_key(BODY)
    assert redact.looks_like_private_key(openssh)
    assert redact.looks_like_private_key(b"".join(openssh.splitlines()[1:-1]))
    assert redact.looks_like_private_key("-----BEGIN RSA PRIVATE KEY-----\nMIIE...")
    assert redact.looks_like_private_key(b"PuTTY-User-Key-File-3: ssh-ed25519\n")
    assert not redact.looks_like_private_key("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA")
    assert not redact.looks_like_private_key("a story about keys")


def test_scrub_blanks_remembered_secrets_keys_and_url_passwords() -> None:
    canary = "canary-" + secrets.token_urlsafe(16)
    redact.remember(canary)
    redact.remember("short")  # too short to blank out safely: ordinary words stay
    text = redact.scrub(f"cannot reach https://u:{canary}@h.example: {canary}; {PEM}; short")
    assert canary not in text and BODY not in text and "short" in text
    assert "[credentials, not shown]@h.example" in text
    document = redact.scrub_data({"error": canary, "list": [canary, 3], canary: True})
    assert canary not in json.dumps(document)


def test_log_lines_plain_and_json_never_carry_a_remembered_secret() -> None:
    canary = "canary-" + secrets.token_urlsafe(16)
    redact.remember(canary)
    for formatter in (PlainLines(), JsonLines()):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        log = logging.getLogger(f"mirrorpub.test.{type(formatter).__name__}")
        log.addHandler(handler)
        try:
            log.error("mirror %s failed: %s", "m", canary, extra={"mirror": canary})
            try:
                raise ValueError(canary)
            except ValueError:
                log.error("with a traceback", exc_info=True)
        finally:
            log.removeHandler(handler)
        assert canary not in stream.getvalue() and "failed" in stream.getvalue()


def test_state_json_never_keeps_a_remembered_secret(tmp_path: Path) -> None:
    canary = "canary-" + secrets.token_urlsafe(16)
    redact.remember(canary)
    state = SiteState(mirrors={"m": MirrorState(last_result={"error": f"refused {canary}"})})
    save_state(tmp_path, state)
    text = (tmp_path / "state.json").read_text()
    assert canary not in text and "refused" in text


@pytest.mark.parametrize(("value", "said"), [(42, "an int value, not shown"),
                                             (["x"], "a list value, not shown")])
def test_a_hidden_value_that_is_not_text_is_named_by_its_kind(value: object, said: str):
    assert redact.hidden(value) == said
