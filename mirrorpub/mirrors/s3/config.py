"""The options of an `s3` mirror (SPEC §4), declared once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import (
    at_least,
    credentials_in_urls,
    env_name,
    http_url,
    key_prefix,
    matches,
    option,
)
from mirrorpub.safepath import is_site_path


def _key_prefix(value: Any) -> str | None:
    folder = str(value).strip("/")
    if not folder or is_site_path(folder):
        return None
    return "a key prefix like 'ru' or 'sites/ru' (no '..', '.', '//' or backslash)"


@dataclass(frozen=True, kw_only=True)
class S3Config(MirrorConfig):
    bucket: str = option(str, required=True, check=matches(
        r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "a bucket name (3-63 of a-z, 0-9, '.', '-')"))
    prefix: str = option(str, default="", check=_key_prefix, convert=key_prefix)
    region: str = option(str, default="us-east-1", check=matches(r"[a-z0-9-]+",
                                                                 "a region name"))
    endpoint_url: str | None = option(str, default=None, check=http_url)
    profile: str | None = option(str, default=None)
    # Names of variables; someone may paste the key itself here by mistake.
    access_key_id_env: str | None = option(str, default=None, check=env_name, secret=True)
    secret_access_key_env: str | None = option(str, default=None, check=env_name, secret=True)
    public_url: str = option(str, default=None, check=http_url)  # default: path-style URL
    timeout: int = option(int, default=60, check=at_least(1))

    @property
    def endpoint(self) -> str:
        """Where requests go: endpoint_url, else the region's AWS endpoint."""
        return self.endpoint_url or aws_endpoint(self.region)

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        if (values["access_key_id_env"] is None) != (values["secret_access_key_env"] is None):
            problems.append(f"{where}: set both access_key_id_env and secret_access_key_env, "
                            "or neither")
        problems += credentials_in_urls(values, ("endpoint_url", "public_url"), where,
                                        "use access_key_id_env and secret_access_key_env")
        public = values["public_url"] or default_public_url(
            values["endpoint_url"], values["region"], values["bucket"], values["prefix"])
        values["public_url"] = public.rstrip("/") + "/"


def journal_key(config: S3Config) -> tuple[str, ...]:
    """Under which the preflight keeps the index journal it read (mirrors/readahead.py)."""
    return ("s3-journal", config.endpoint, config.bucket, config.prefix)


def aws_endpoint(region: str) -> str:
    return f"https://s3.{region}.amazonaws.com"


def default_public_url(endpoint: str | None, region: str, bucket: str, prefix: str) -> str:
    host = endpoint.rstrip("/") if endpoint else aws_endpoint(region)
    return f"{host}/{bucket}/{prefix}"
