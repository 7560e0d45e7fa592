"""A git branch as a mirror: GitHub / GitLab / Codeberg Pages, or any git host.

    config.py   its options
    repo.py     git itself (Debian's git, run as a program): the clone mirrorpub keeps,
                credentials by a helper that reads the token from the environment
    mirror.py   plan (what the branch has against the site), commit, push

Each publish commits exactly the copy's files on `branch` and pushes that commit; readers
open the host's Pages site at `public_url`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mirrorpub.mirrors.git.config import GitConfig
from mirrorpub.mirrors.protocol import Backend, Mirror
from mirrorpub.model import Location


def locate(config: GitConfig, facts: Mapping[str, Any]) -> Location:
    return Location(url=config.public_url + "index.html", page_base=config.public_url)


def open_mirror(config: GitConfig) -> Mirror:
    from mirrorpub.mirrors.git.mirror import GitMirror

    return GitMirror(config)


def preflight(config: GitConfig) -> list[str]:
    from mirrorpub.mirrors.git.mirror import preflight as check

    return check(config)


EXAMPLE = """\
# [[mirrors]]
# name = "pages"
# type = "git"                      # GitHub / GitLab / Codeberg Pages, or any git host
# remote = "https://github.com/newsroom/mirror.git"   # https://, ssh:// or file://
# branch = "gh-pages"
# token_env = "PAGES_TOKEN"         # optional: an https token, read from this variable
# public_url = "https://newsroom.github.io/mirror/"   # required: what readers open
# history = 1                       # commits kept on the branch (1: each publish replaces it)
"""

REFUSED = ("the Pages site refuses anonymous readers; is Pages turned on for the branch "
           "and the repository public?")

BACKEND = Backend(type="git", config=GitConfig, locate=locate, open=open_mirror,
                  example=EXAMPLE, refused_hint=REFUSED, preflight=preflight)
