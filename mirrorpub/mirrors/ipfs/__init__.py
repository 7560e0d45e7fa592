"""IPFS as a mirror: the whole site as one content-addressed tree on a kubo node.

    config.py   its options
    mirror.py   add, pin, IPNS (the mirror)
    mfs.py      send kubo only what changed (the MFS copy)
    copies.py   copies on other machines: pin services, min_copies, keep_pins
    pinsvc.py   the Pinning Service API v1 client (httpx)
    kubo.py     the Kubo RPC API client (httpx)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mirrorpub.errors import MirrorError
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
    """The kubo daemon answers at `api` within a few seconds; every pin service's token
    variable is set."""
    import os

    from mirrorpub.mirrors import readahead
    from mirrorpub.mirrors.ipfs.config import version_key
    from mirrorpub.mirrors.ipfs.kubo import KuboClient, KuboError
    from mirrorpub.mirrors.protocol import PREFLIGHT_TIMEOUT

    problems = [f"pin service {service.name!r}: the variable {service.token_env} (token_env) "
                "is not set" for service in config.pin_services
                if not os.environ.get(service.token_env, "").strip()]
    try:
        with KuboClient(config.api, timeout=min(float(config.timeout), PREFLIGHT_TIMEOUT)) \
                as client:
            readahead.keep(version_key(config), client.version())
    except KuboError as exc:
        problems.insert(0, str(exc))
    return problems


EXAMPLE = """\
# [[mirrors]]
# name = "ipfs"
# type = "ipfs"
# api = "http://127.0.0.1:5001"     # the Kubo RPC API
# gateways = ["https://ipfs.io", "https://dweb.link"]
# ipns_key = "news"                 # optional: also publish under this IPNS key
# pin = true
# keep_pins = 3                     # also on the pin services: only mirrorpub's own pins
# # Pin services (IPFS Pinning Service API v1: IPFS Cluster, Pinata, …) keep copies
# # elsewhere; other copies name a new CID once min_copies of them confirmed it.
# pin_services = [{ name = "cluster", endpoint = "https://pin.example", token_env = "PIN_TOKEN" }]
# min_copies = 1
# pin_timeout = 600
"""

def kept_elsewhere(config: IpfsConfig, facts: Mapping[str, Any]
                   ) -> tuple[dict[str, str], list[str]]:
    """Per pin service: the state of the last published root there ("pinned", …)."""
    import os

    from mirrorpub import redact
    from mirrorpub.mirrors.ipfs.copies import pinned_here
    from mirrorpub.mirrors.ipfs.pinsvc import PinServiceClient, PinServiceError

    cid = facts.get("cid")
    if not cid or not config.pin_services:
        return {}, []
    states: dict[str, str] = {}
    for service in config.pin_services:
        token = os.environ.get(service.token_env, "").strip()
        if not token:
            states[service.name] = f"not checked: the variable {service.token_env} is not set"
            continue
        redact.remember(token)
        with PinServiceClient(service.name, service.endpoint, token,
                              token_env=service.token_env, timeout=15.0) as client:
            try:
                states[service.name] = pinned_here(client, cid)
            except PinServiceError as exc:
                states[service.name] = f"not checked: {exc}"
    pinned = sorted(n for n, state in states.items() if state == "pinned")
    problems = [] if len(pinned) >= config.min_copies else [
        f"the current root {cid} is pinned on {len(pinned)} pin service(s), min_copies is "
        f"{config.min_copies}: " + "; ".join(f"{n}: {s}" for n, s in sorted(states.items()))]
    return states, problems


def export_car(config: IpfsConfig, facts: Mapping[str, Any],
               sink: Callable[[bytes], object]) -> str:
    """The last published root as a CAR (kubo's dag/export: the same DAG, the same bytes)."""
    from mirrorpub.mirrors.ipfs.kubo import KuboClient, KuboError

    cid = facts.get("cid")
    if not cid:
        raise MirrorError(config.name, "not published yet: run `mirrorpub publish` first")
    try:
        with KuboClient(config.api, timeout=float(config.timeout)) as client:
            client.dag_export(str(cid), sink)
    except KuboError as exc:
        raise MirrorError(config.name, str(exc)) from None
    return str(cid)


BACKEND = Backend(type="ipfs", config=IpfsConfig, locate=locate, open=open_mirror,
                  content_addressed=True, example=EXAMPLE, kept_elsewhere=kept_elsewhere,
                  export_car=export_car, preflight=preflight)
