"""The options of an `ipfs` mirror (SPEC §4), declared once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import (
    at_least,
    credentials_in_urls,
    each,
    http_url,
    matches,
    option,
)


def _url(value: Any, base: Any) -> str:
    return str(value).rstrip("/")


def _urls(value: Any, base: Any) -> tuple[str, ...]:
    return tuple(str(v).rstrip("/") for v in value)


@dataclass(frozen=True, kw_only=True)
class IpfsConfig(MirrorConfig):
    api: str = option(str, default="http://127.0.0.1:5001", check=http_url, convert=_url)
    gateways: tuple[str, ...] = option(list, default=["https://ipfs.io", "https://dweb.link"],
                                       items=str, check=each(http_url), convert=_urls)
    ipns_key: str | None = option(str, default=None, check=matches(
        r"[A-Za-z0-9_-]{1,64}", "a key name of letters, digits, - or _"))
    pin: bool = option(bool, default=True)
    keep_pins: int = option(int, default=3, check=at_least(1))
    timeout: int = option(int, default=120, check=at_least(1))
    ipns_timeout: int = option(int, default=60, check=at_least(1))

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        if not values["gateways"]:
            problems.append(f"{where}.gateways: expected at least one gateway URL")
        # The Kubo RPC API is reached without credentials (loopback, or an SSH tunnel);
        # gateway URLs are published on every copy.
        problems += credentials_in_urls(values, ("api", "gateways"), where,
                                        "mirrorpub never sends or publishes credentials in "
                                        "a URL")
