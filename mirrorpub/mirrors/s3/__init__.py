"""S3-compatible buckets as mirrors (AWS, R2, B2, Spaces, GCS, SeaweedFS…).

    config.py       its options
    store.py        the bucket as an object store (objectstore.Store)
    wire.py         the lean SigV4 client for per-file requests
    credentials.py  where the keys come from
    explain.py      errors as one line an editor can act on
    preflight.py    what is checked before anything is sent
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirrorpub.mirrors.objectstore import ObjectStoreMirror
from mirrorpub.mirrors.protocol import Backend
from mirrorpub.mirrors.s3.config import S3Config
from mirrorpub.model import Location

REFUSED = ("the bucket refuses anonymous readers; make it public with a bucket policy "
           "(mirrorpub never does that itself)")
# S3 answers 403, not 404, for a missing key to readers who may not list the bucket.
REFUSED_NOTE = ("answered 403: on S3 that is also what a missing mirrors.json looks like to "
                "readers who may not list the bucket")


def locate(config: S3Config, facts: Mapping[str, Any]) -> Location:
    return Location(url=config.public_url + "index.html", page_base=config.public_url)


def open_mirror(config: S3Config) -> ObjectStoreMirror:
    from mirrorpub.mirrors.s3.store import S3Store

    return ObjectStoreMirror(config.name, S3Store(config))


def preflight(config: S3Config) -> list[str]:
    from mirrorpub.mirrors.s3.preflight import preflight as check

    return check(config)


EXAMPLE = """\
# [[mirrors]]
# name = "aws-frankfurt"
# type = "s3"                       # AWS, R2, B2, Spaces, SeaweedFS, Google Cloud Storage…
# bucket = "news-mirror-7f3a"
# region = "eu-central-1"
# prefix = ""                       # optional key prefix inside the bucket
# endpoint_url = "https://…"        # optional: e.g. https://storage.googleapis.com (HMAC keys)
# profile = "default"               # optional AWS profile
# access_key_id_env = "B2_KEY_ID"   # optional: read credentials from these variables
# secret_access_key_env = "B2_SECRET"
# public_url = "https://s3.eu-central-1.amazonaws.com/news-mirror-7f3a/"  # optional
"""

BACKEND = Backend(type="s3", config=S3Config, locate=locate, open=open_mirror,
                  public_reads=True, refused_hint=REFUSED, refused_note=REFUSED_NOTE,
                  example=EXAMPLE, preflight=preflight)
