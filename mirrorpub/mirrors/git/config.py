"""The options of a `git` mirror (SPEC §10), declared once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mirrorpub.config.mirror import MirrorConfig
from mirrorpub.config.options import (
    at_least,
    env_name,
    folder_url,
    matches,
    option,
    public_http_url,
)

_BRANCH = matches(r"(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<![./])",
                  "a branch name like 'gh-pages'")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _remote(value: Any) -> str | None:
    parts = urlsplit(str(value))
    if parts.scheme not in ("https", "http", "ssh", "file") or \
            (parts.scheme != "file" and not parts.hostname) or re.search(r"\s", str(value)):
        return "an https://, ssh:// or file:// URL of a git repository"
    if parts.password:
        return "a URL without a password or token in it (use token_env)"
    return None


@dataclass(frozen=True, kw_only=True)
class GitConfig(MirrorConfig):
    # Not echoed when wrong: a token pasted into the URL must not reach the output.
    remote: str = option(str, required=True, check=_remote, secret=True)
    branch: str = option(str, default="gh-pages", check=_BRANCH)
    # The name of a variable; someone may paste the token itself here by mistake.
    token_env: str | None = option(str, default=None, check=env_name, secret=True)
    public_url: str = option(str, required=True, check=public_http_url, convert=folder_url)
    history: int = option(int, default=1, check=at_least(1))
    timeout: int = option(int, default=120, check=at_least(1))

    @classmethod
    def finish(cls, values: dict[str, Any], raw: Mapping[str, Any], where: str,
               problems: list[str]) -> None:
        parts = urlsplit(values["remote"])
        if values["token_env"] and parts.scheme != "https" and not (
                parts.scheme == "http" and parts.hostname in _LOOPBACK):
            problems.append(f"{where}.token_env: a token is sent over https:// only (the "
                            f"remote is {parts.scheme}://)")

    def clone_dir(self) -> Path:
        """The clone mirrorpub keeps for this mirror, under the site's .mirrorpub/."""
        assert self.state_dir is not None, "a loaded config knows its state folder"
        return self.state_dir / "git" / self.name
