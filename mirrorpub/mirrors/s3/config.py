"""The options of an `s3` mirror (SPEC §4), declared once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import ENV_NAME, at_least, http_url, matches, option


def _prefix(value: Any, base: Any) -> str:
    prefix = str(value).strip("/")
    return f"{prefix}/" if prefix else ""


@dataclass(frozen=True, kw_only=True)
class S3Config(MirrorConfig):
    bucket: str = option(str, required=True, check=matches(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "a bucket name (3-63 of a-z, 0-9, '.', '-')"))
    prefix: str = option(str, default="", check=matches(r"[^\\]*", "a key prefix"),
                         convert=_prefix)
    region: str = option(str, default="us-east-1", check=matches(r"[a-z0-9-]+",
                                                                 "a region name"))
    endpoint_url: str | None = option(str, default=None, check=http_url)
    profile: str | None = option(str, default=None)
    # Names of variables; someone may paste the key itself here by mistake.
    access_key_id_env: str | None = option(str, default=None, check=ENV_NAME, secret=True)
    secret_access_key_env: str | None = option(str, default=None, check=ENV_NAME, secret=True)
    public_url: str = option(str, default=None, check=http_url)  # default: path-style URL
    timeout: int = option(int, default=60, check=at_least(1))

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        if (values["access_key_id_env"] is None) != (values["secret_access_key_env"] is None):
            problems.append(f"{where}: set both access_key_id_env and secret_access_key_env, "
                            "or neither")
        for key in ("endpoint_url", "public_url"):
            parts = urlsplit(values[key] or "")
            if parts.username or parts.password:
                problems.append(f"{where}.{key}: must not contain credentials (user:password@); "
                                "use access_key_id_env and secret_access_key_env")
        public = values["public_url"] or default_public_url(
            values["endpoint_url"], values["region"], values["bucket"], values["prefix"])
        values["public_url"] = public.rstrip("/") + "/"


def default_public_url(endpoint: str | None, region: str, bucket: str, prefix: str) -> str:
    host = endpoint.rstrip("/") if endpoint else f"https://s3.{region}.amazonaws.com"
    return f"{host}/{bucket}/{prefix}"
