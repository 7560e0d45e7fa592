"""The options of an `ipfs` mirror (SPEC §4, §9), declared once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import (
    MIRROR_NAME,
    at_least,
    build,
    credentials_in_urls,
    each,
    env_name,
    http_url,
    matches,
    option,
)

_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _url(value: Any, base: Any) -> str:
    return str(value).rstrip("/")


def _urls(value: Any, base: Any) -> tuple[str, ...]:
    return tuple(str(v).rstrip("/") for v in value)


@dataclass(frozen=True, kw_only=True)
class PinServiceConfig:
    """One `[[mirrors.pin_services]]` entry: an IPFS Pinning Service API v1 endpoint."""

    name: str = option(str, required=True, check=MIRROR_NAME)
    endpoint: str = option(str, required=True, check=http_url, convert=_url)
    # The name of a variable; someone may paste the token itself here by mistake.
    token_env: str = option(str, required=True, check=env_name, secret=True)

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        problems += credentials_in_urls(values, ("endpoint",), where,
                                        "the token comes from token_env")
        host = values["endpoint"].split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        if values["endpoint"].startswith("http://") and host not in _LOOPBACK:
            problems.append(f"{where}.endpoint: a bearer token is sent over https:// only "
                            "(http:// is for a service on this machine)")


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
    # Tables as written; `finish` turns them into PinServiceConfig values.
    pin_services: tuple[PinServiceConfig, ...] = option(list, default=[], items=dict)
    # Unset: 1 when any pin service is named (SPEC §9), else 0 (the local node alone).
    min_copies: int = option(int, default=None, check=at_least(0))
    pin_timeout: int = option(int, default=600, check=at_least(1))

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
        values["pin_services"] = services = _services(values["pin_services"], where, problems)
        if values["min_copies"] is None:
            values["min_copies"] = min(1, len(services))
        elif values["min_copies"] > len(services):
            problems.append(f"{where}.min_copies: expected at most the number of "
                            f"pin_services ({len(values['pin_services'])}), got "
                            f"{values['min_copies']}")

    @property
    def remote_pins(self) -> bool:
        """Other machines keep this copy: pin services are named."""
        return bool(self.pin_services)


def _services(tables: list[dict[str, Any]], where: str,
              problems: list[str]) -> tuple[PinServiceConfig, ...]:
    services = []
    for index, table in enumerate(tables):
        service = build(PinServiceConfig, table, f"{where}.pin_services[{index}]", Path("."),
                        problems)
        if service is not None:
            services.append(service)
    names = [s.name for s in services]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{where}.pin_services: the name {name!r} is used twice")
    return tuple(services)


def version_key(config: IpfsConfig) -> tuple[str, str]:
    """Under which the preflight keeps kubo's answer (mirrors/readahead.py)."""
    return ("kubo-version", config.api)
