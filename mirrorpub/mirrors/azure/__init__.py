"""Azure Blob Storage as a mirror: a container (and prefix), as an object store.

    config.py   its options
    store.py    the container as an objectstore.Store (azure-storage-blob)

The planner, upload order, index object and delete cap are objectstore's, as for S3.
Making the container publicly readable (public access level "blob") stays the owner's
one-time step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirrorpub.mirrors.azure.config import AzureConfig
from mirrorpub.mirrors.objectstore import ObjectStoreMirror
from mirrorpub.mirrors.protocol import Backend
from mirrorpub.model import Location

REFUSED = ("the container refuses anonymous readers; set its public access level to "
           "\"blob\" (mirrorpub never does that itself)")
REFUSED_NOTE = ("answered 403/404: a container without public access answers so for every "
                "blob, there or not")


def locate(config: AzureConfig, facts: Mapping[str, Any]) -> Location:
    return Location(url=config.public_url + "index.html", page_base=config.public_url)


def open_mirror(config: AzureConfig) -> ObjectStoreMirror:
    from mirrorpub.mirrors.azure.store import AzureStore

    return ObjectStoreMirror(config.name, AzureStore(config))


def preflight(config: AzureConfig) -> list[str]:
    from mirrorpub.mirrors.azure.store import preflight as check

    return check(config)


EXAMPLE = """\
# [[mirrors]]
# name = "azure"
# type = "azure"                    # Azure Blob Storage
# account = "newsmirror7f3a"
# container = "site"
# prefix = ""                       # optional blob name prefix
# connection_string_env = "AZURE_STORAGE_CONNECTION_STRING"   # or account_key_env
# endpoint_url = "https://…"        # optional: another Blob endpoint (Azurite)
# public_url = "https://newsmirror7f3a.blob.core.windows.net/site/"   # optional; the default
"""

BACKEND = Backend(type="azure", config=AzureConfig, locate=locate, open=open_mirror,
                  public_reads=True, refused_hint=REFUSED, refused_note=REFUSED_NOTE,
                  example=EXAMPLE, preflight=preflight)
