"""A Tor onion service as a mirror: a folder copy, served by a local web server, whose
address is a Tor v3 onion derived from an Ed25519 key mirrorpub keeps.

    config.py   its options
    hsdir.py    the address of a key; tor's HiddenServiceDir files
    mirror.py   the folder (the directory backend's store) plus tor's key files

Readers reach it only through Tor, so `status` checks the folder and that tor's files
in hs_dir are those of the key (the onion itself cannot be fetched from here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirrorpub.mirrors.onion.config import ADDRESS, OnionConfig
from mirrorpub.mirrors.protocol import Backend, Mirror
from mirrorpub.model import Location


def locate(config: OnionConfig, facts: Mapping[str, Any]) -> Location:
    address = facts.get(ADDRESS)
    if not address:
        return Location(url=None, page_base=None)  # no key yet (a dry run)
    base = f"http://{address}.onion/"
    return Location(url=base + "index.html", page_base=base, bc2_type="eotk", bc2_proto="tor")


def check_addresses(config: OnionConfig, facts: Mapping[str, Any]) -> list[str]:
    return [str(config.path)]


def local_problems(config: OnionConfig, facts: Mapping[str, Any]) -> list[str]:
    from mirrorpub.mirrors.onion.mirror import service_problems

    return service_problems(config, facts.get(ADDRESS))


def preflight(config: OnionConfig) -> list[str]:
    """The folder as a directory copy's; the key readable when it is there."""
    from mirrorpub.mirrors.directory import preflight as folder_preflight
    from mirrorpub.mirrors.onion.mirror import key_problems

    return folder_preflight(config.folder()) + key_problems(config)


def open_mirror(config: OnionConfig) -> Mirror:
    from mirrorpub.mirrors.onion.mirror import OnionMirror

    return OnionMirror(config)


EXAMPLE = """\
# [[mirrors]]
# name = "onion"
# type = "onion"                    # a Tor onion service (see deploy/onion/)
# path = "/srv/mirrorpub/onion"     # the copy: a folder, served by a local web server
# hs_dir = "/var/lib/tor/mirrorpub" # tor's HiddenServiceDir; mirrorpub writes its key there
# key = "~/.config/mirrorpub/onion.key"  # the address's Ed25519 key (made when missing)
"""

BACKEND = Backend(type="onion", config=OnionConfig, locate=locate, open=open_mirror,
                  example=EXAMPLE, check_addresses=check_addresses,
                  local_problems=local_problems, preflight=preflight)
