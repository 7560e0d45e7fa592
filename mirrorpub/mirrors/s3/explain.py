"""What went wrong with an S3 request, in one line that says what to do; never a
credential. Both clients' errors (the lean one's and botocore's) are read here."""

from __future__ import annotations

from mirrorpub.mirrors.s3 import wire
from mirrorpub.mirrors.s3.config import S3Config

NO_CREDENTIALS = ("no credentials found; set access_key_id_env and secret_access_key_env, a "
                  "profile, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")


def _code_and_message(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, wire.ResponseError):
        return exc.code, exc.message
    error = (getattr(exc, "response", None) or {}).get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", ""))


def explain(config: S3Config, exc: Exception) -> str:
    """One line that says what went wrong and what to do; never a credential."""
    where = config.endpoint_url or f"s3.{config.region}.amazonaws.com"
    code, message = _code_and_message(exc)
    region = getattr(exc, "region", None)
    if region and region != config.region:  # a redirect, or a request signed for elsewhere
        return (f"bucket {config.bucket!r} is in region {region}, not {config.region}: set "
                f'region = "{region}" for this mirror')
    if code == "NoSuchBucket":
        return f"bucket {config.bucket!r} does not exist at {where}; create it or fix `bucket`"
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId",
                "AuthorizationHeaderMalformed", "ExpiredToken"):
        return f"{where} refused the credentials ({code}); check the access key and secret"
    if code in ("AccessDenied", "AllAccessDisabled", "Forbidden", "403"):
        return (f"access denied to bucket {config.bucket!r}; the credentials need "
                "s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on it")
    if type(exc).__name__ == "NoCredentialsError":
        return NO_CREDENTIALS
    network = _network_kind(exc)
    if network == "timeout":
        return f"no answer from {where} within {config.timeout} s (after retries)"
    if network == "connect":
        return f"cannot connect to {where} (after retries); is the address right and reachable?"
    if network == "closed":
        return f"the connection to {where} kept failing (after retries)"
    if network == "tls":
        return f"{where} has a certificate this machine does not trust ({exc})"
    if code:
        return f"{code}: {message}".strip(": ")
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _network_kind(exc: Exception) -> str | None:
    if isinstance(exc, wire.NetworkError):
        return exc.kind
    if not type(exc).__module__.startswith("botocore"):
        return None
    from botocore import exceptions as bx

    if isinstance(exc, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return "timeout"
    if isinstance(exc, bx.EndpointConnectionError):
        return "connect"
    if isinstance(exc, (bx.ConnectionClosedError, bx.ConnectionError, bx.ResponseStreamingError)):
        return "closed"
    return None
