"""The options of an `azure` mirror (SPEC §10), declared once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import (
    at_least,
    env_name,
    folder_url,
    key_prefix,
    matches,
    option,
    public_http_url,
)


@dataclass(frozen=True, kw_only=True)
class AzureConfig(MirrorConfig):
    account: str = option(str, required=True, check=matches(
        r"[a-z0-9]{3,24}", "a storage account name (3-24 of a-z, 0-9)"))
    container: str = option(str, required=True, check=matches(
        r"(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", "a container name (3-63 of a-z, 0-9, '-')"))
    prefix: str = option(str, default="", check=matches(r"[^\\]*", "a blob name prefix"),
                         convert=key_prefix)
    # Names of variables; someone may paste the secret itself here by mistake.
    connection_string_env: str | None = option(str, default=None, check=env_name, secret=True)
    account_key_env: str | None = option(str, default=None, check=env_name, secret=True)
    endpoint_url: str | None = option(str, default=None, check=public_http_url,
                                      convert=folder_url)
    public_url: str = option(str, default=None, check=public_http_url, convert=folder_url)
    timeout: int = option(int, default=60, check=at_least(1))

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        if (values["connection_string_env"] is None) == (values["account_key_env"] is None):
            problems.append(f"{where}: set one of connection_string_env and account_key_env")
        values["public_url"] = values["public_url"] or \
            f"{account_url(values['account'], values['endpoint_url'])}{values['container']}/" \
            f"{values['prefix']}"

    def service_url(self) -> str:
        return account_url(self.account, self.endpoint_url)


def account_url(account: str, endpoint: str | None) -> str:
    """The Blob service of the account, ending in '/' (Azurite's carries the account in
    its path: http://127.0.0.1:10000/devstoreaccount1/)."""
    return endpoint or f"https://{account}.blob.core.windows.net/"
