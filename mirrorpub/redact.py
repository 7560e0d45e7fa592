"""What may be a secret, and what a message says in its place: one rule for every message.

Config errors, mirror errors, log lines, `--json` documents and `.mirrorpub/state.json`
never echo a config or environment value that may be a secret. Two halves:

- At the source, a message quotes a value only through `shown(value)`, which gives the
  value back when it cannot be a secret and otherwise names its kind and length ("a
  private key (PEM, 119 characters), not shown"). Options whose values are credentials or
  point at them (`*_env`) are never quoted at all (`hidden(value)`).
- At every way out (the console, the log handler, state.json), `scrub` replaces what is
  certainly secret wherever it turns up: the credentials mirrorpub has read (registered
  with `remember`), private-key blocks and the user:password part of URLs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

MIN_REMEMBERED = 6  # shorter values would blank out ordinary words
_PEM_PRIVATE = re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----")
# How the base64 of a key file starts when its PEM lines are gone: PKCS#8 Ed25519 (what
# `mirrorpub keygen` writes) and OpenSSH's own format ("openssh-key-v1").
_KEY_BODIES = ("MC4CAQAwBQYDK2VwBCIEI", "b3BlbnNzaC1rZXktdjE")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]+@")
# A header with key material after it (lines of base64; "\n" as repr() writes them), up
# to its END line if there is one. A header alone, as in a hint, is left as it is.
_B64_RUN = r"(?:\s|\\n)*[A-Za-z0-9+/=]{16,}(?:(?:\s|\\n)*[A-Za-z0-9+/=]+)*"
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----" + _B64_RUN
                        + r"(?:(?:\s|\\n)*-----END[A-Z0-9 ]*-----)?")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]{16,}")
_SEPARATORS = re.compile(r"[_./~-]")

_known: set[str] = set()
_lock = threading.Lock()


def looks_like_private_key(text: str | bytes) -> bool:
    """PEM private keys of any kind (mirrorpub's, OpenSSH's, TLS), PuTTY's, or the body of
    one whose PEM lines were lost."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    stripped = text.lstrip("\ufeff \t\r\n")
    return bool(_PEM_PRIVATE.search(text)) or stripped.startswith("PuTTY-User-Key-File-") \
        or (stripped.startswith(_KEY_BODIES) and len(stripped) >= 64)


def looks_like_token(text: str) -> bool:
    """A long random-looking word: an access key, a password, a bearer token. Variable
    names (`B2_KEY_ID`), paths and words are not: they are split by `_`, `/`, `.`, `-`
    into short parts, or their long parts are plain words."""
    if not _TOKEN.fullmatch(text) or not any(c.isdigit() for c in text):
        return False
    longest = max(_SEPARATORS.split(text), key=len)
    mixed_case = any(c.islower() for c in longest) and any(c.isupper() for c in longest)
    return len(longest) >= 12 and (mixed_case or any(c.isdigit() for c in longest))


def may_be_secret(value: Any) -> bool:
    text = value if isinstance(value, str) else repr(value)
    return (looks_like_private_key(text) or looks_like_token(text.strip())
            or _URL_CREDENTIALS.search(text) is not None
            or any(known in text for known in _known))


def kind_of(value: Any) -> str:
    """What a hidden value is, as a message says it: kind and length, never content."""
    if not isinstance(value, str):
        kind = type(value).__name__
        return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} value"
    size = f"{len(value)} characters"
    if looks_like_private_key(value):
        return f"a private key ({size})"
    if _URL_CREDENTIALS.search(value):
        return f"a URL with a user name or password ({size})"
    return f"a value of {size}"


def hidden(value: Any) -> str:
    """The value of an option that may hold a credential: kind and length only."""
    return f"{kind_of(value)}, not shown"


def shown(value: Any, limit: int = 60) -> str:
    """The value quoted, as messages quote config values, unless it may be a secret."""
    if may_be_secret(value):
        return hidden(value)
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def remember(value: str | None) -> None:
    """A value that is certainly secret (a credential read from the environment, a key):
    `scrub` blanks it out of everything mirrorpub writes, wherever it appears."""
    if value and len(value.strip()) >= MIN_REMEMBERED:
        with _lock:
            _known.add(value.strip())
            _known.update(line.strip() for line in value.splitlines()
                          if len(line.strip()) >= 16 and not line.startswith("-----"))


def scrub(text: str) -> str:
    """`text` with every known secret, private-key block and URL password replaced."""
    if "PRIVATE KEY" in text:
        text = _PEM_BLOCK.sub("[a private key, not shown]", text)
    if "@" in text:
        text = _URL_CREDENTIALS.sub(r"\1[credentials, not shown]@", text)
    for known in sorted(_known, key=len, reverse=True):
        if known in text:
            text = text.replace(known, f"[a secret of {len(known)} characters, not shown]")
    return text


def scrub_data(data: Any) -> Any:
    """A JSON-able document with `scrub` applied to every string in it (keys included)."""
    if isinstance(data, str):
        return scrub(data)
    if isinstance(data, Mapping):
        return {scrub_data(k): scrub_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [scrub_data(v) for v in data]
    return data
