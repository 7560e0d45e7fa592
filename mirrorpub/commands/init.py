"""`mirrorpub init`: a new site with a commented config and one sample article."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from mirrorpub.errors import MirrorpubError
from mirrorpub.mirrors import registry
from mirrorpub.trust.signing import Signer, keygen

CONFIG_TEMPLATE = '''\
# mirrorpub site settings. Relative paths are relative to this file's folder.
[site]
title = "My newsroom — mirror"
language = "en"                # BCP 47; sets <html lang> and dir (rtl for ar, fa, he, ur, …)
# languages = ["en", "ru"]     # several: a copies page in each (mirrors.html, mirrors.ru.html)
description = "Independent news, on many copies at once."
# content_dir = "content"
# templates_dir = "templates"  # your overrides of the default theme, same file names
# output_dir = "public"
# per_page = 20
signing_key = "{signing_key}"   # this site's own key (init made it); MIRRORPUB_SIGNING_KEY wins
# manifest_ttl_days = 30
# main_domain = "example.org"  # your usual address, for bc2.json
# blocked_help = "Write to us on Signal at +… if every copy is blocked."

# Every mirror receives the same site. Uncomment and fill in the ones you use.

{examples}
# Your first copy: a folder next to this file (see the directory example above).
[[mirrors]]
name = "usb"
type = "directory"
path = "mirror-copy"                # a folder, e.g. /media/usb/news

# Any mirror may set  retired = true  to stop pushing it but keep listing it as retired.
'''

ARTICLE = '''\
---
title: "Hello from mirrorpub"
date: 2026-01-01T12:00:00+00:00
tags: [welcome]
draft: true                   # a draft is never published: delete this line to publish it
---
This is your first article. Write in markdown; link other articles by file name, like
[this one](hello.md), and put images next to the article.
'''


@dataclass(frozen=True)
class NewSite:
    files: list[Path]
    key_path: str  # as the config names it (~/…): never the user's home spelled out
    signer: Signer


def config_text(signing_key: str = "~/.config/mirrorpub/site.key") -> str:
    """The commented config: each installed mirror type's own example, in name order."""
    examples = [backend.example for kind in registry.known_types()
                if (backend := registry.find(kind)) is not None and backend.example]
    return CONFIG_TEMPLATE.replace("{examples}", "\n".join(examples)).replace(
        "{signing_key}", signing_key)


def site_key_path(directory: Path) -> str:
    """A key file of this site's own, outside the site folder (a folder that is synced,
    zipped or committed must never carry it): the folder's name and a random suffix, so
    two sites called `news` do not share one key."""
    name = re.sub(r"[^a-z0-9]+", "-", directory.absolute().name.lower()).strip("-") or "site"
    return f"~/.config/mirrorpub/keys/{name}-{secrets.token_hex(3)}.key"


def scaffold(directory: Path, *, config_name: str = "mirrorpub.toml") -> NewSite:
    key_path = site_key_path(directory)
    files = {directory / config_name: config_text(key_path),
             directory / "content" / "hello.md": ARTICLE}
    existing = [p for p in files if p.exists()]
    if existing:
        raise MirrorpubError(f"{existing[0]} already exists; not overwriting anything")
    signer = keygen(Path(os.path.expanduser(key_path)))
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return NewSite(list(files), key_path, signer)
