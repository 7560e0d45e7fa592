"""IPFS as a mirror: the whole site as one content-addressed tree on a kubo node.

    config.py   its options
    mirror.py   add, pin, IPNS (the mirror)
    kubo.py     the Kubo RPC API client (httpx)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirrorpub.mirrors.ipfs.config import IpfsConfig
from mirrorpub.mirrors.protocol import Backend, Mirror
from mirrorpub.model import Location


def locate(config: IpfsConfig, facts: Mapping[str, Any]) -> Location:
    cid, ipns = facts.get("cid"), facts.get("ipns")
    gateway_urls = [f"{g}/ipfs/{cid}/index.html" for g in config.gateways] if cid else []
    first = config.gateways[0] if config.gateways else None
    ipns_url = f"{first}/ipns/{ipns}/index.html" if ipns and first else None
    return Location(
        bc2_type="ipfs",
        url=gateway_urls[0] if gateway_urls else ipns_url,
        # Only an IPNS name stays the same across publishes, so only it can go on pages.
        page_base=f"{first}/ipns/{ipns}/" if ipns and first else None,
        extra={"cid": cid, "ipns": ipns, "gateway_urls": gateway_urls, "ipns_url": ipns_url},
    )


def open_mirror(config: IpfsConfig) -> Mirror:
    from mirrorpub.mirrors.ipfs.mirror import IpfsMirror

    return IpfsMirror(config)


def preflight(config: IpfsConfig) -> list[str]:
    """The kubo daemon answers at `api` within a few seconds."""
    from mirrorpub.mirrors.ipfs.kubo import KuboClient, KuboError
    from mirrorpub.mirrors.protocol import PREFLIGHT_TIMEOUT

    try:
        with KuboClient(config.api, timeout=min(float(config.timeout), PREFLIGHT_TIMEOUT)) \
                as client:
            client.version()
    except KuboError as exc:
        return [str(exc)]
    return []


EXAMPLE = """\
# [[mirrors]]
# name = "ipfs"
# type = "ipfs"
# api = "http://127.0.0.1:5001"     # the Kubo RPC API
# gateways = ["https://ipfs.io", "https://dweb.link"]
# ipns_key = "news"                 # optional: also publish under this IPNS key
# pin = true
# keep_pins = 3
"""

BACKEND = Backend(type="ipfs", config=IpfsConfig, locate=locate, open=open_mirror,
                  content_addressed=True, example=EXAMPLE, preflight=preflight)
