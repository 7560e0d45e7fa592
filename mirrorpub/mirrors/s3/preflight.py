"""What an S3 mirror can check before anything is sent: credentials there, the bucket
answering (one GET of the index journal, within a few seconds, no retries). A busy service
(5xx, SlowDown, a dropped connection) is not a reason to stop: the publish retries it."""

from __future__ import annotations

from mirrorpub.errors import MirrorError
from mirrorpub.mirrors import readahead
from mirrorpub.mirrors.protocol import PREFLIGHT_TIMEOUT
from mirrorpub.mirrors.remoteindex import JOURNAL_NAME, MAX_INDEX_GZIP_BYTES
from mirrorpub.mirrors.s3 import wire
from mirrorpub.mirrors.s3.config import S3Config, journal_key
from mirrorpub.mirrors.s3.credentials import credential_source
from mirrorpub.mirrors.s3.explain import explain


def preflight(config: S3Config) -> list[str]:
    try:
        source = credential_source(config)
        source()  # temporary credentials that cannot be renewed fail here, not midway
    except MirrorError as exc:
        return [exc.message]
    except wire.S3Failure as exc:
        return [str(exc)]
    timeout = min(float(config.timeout), PREFLIGHT_TIMEOUT)
    client = wire.S3Wire(config.endpoint,
                         config.region, config.bucket, source, timeout=timeout,
                         connect_timeout=timeout, attempts=1)
    try:
        # The journal, which the publish reads anyway (mirrors/readahead.py): a missing
        # one is fine; no bucket is not.
        reply = client.get(config.prefix + JOURNAL_NAME, MAX_INDEX_GZIP_BYTES)
        if reply is None or len(reply.body) <= MAX_INDEX_GZIP_BYTES:
            readahead.keep(journal_key(config), reply.body if reply else None)
    except wire.NetworkError as exc:
        if exc.kind == "closed":
            return []  # it answers, if badly: the publish's own retries deal with that
        where = config.endpoint_url or f"s3.{config.region}.amazonaws.com"
        if exc.kind == "timeout":
            return [f"no answer from {where} within {timeout:g} s; is the address right?"]
        if exc.kind == "tls":
            return [f"cannot read the bucket: {explain(config, exc)}"]
        return [f"cannot reach {where} ({exc}); is endpoint_url right and the "
                "service up?"]
    except wire.ResponseError as exc:
        if exc.status >= 500 or exc.code in ("SlowDown", "RequestTimeout"):
            return []  # busy, not wrong: the publish retries with backoff
        return [f"cannot read the bucket: {explain(config, exc)}"]
    except wire.S3Failure as exc:
        return [f"cannot read the bucket: {explain(config, exc)}"]
    finally:
        client.close()
    return []
