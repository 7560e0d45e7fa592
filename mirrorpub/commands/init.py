"""`mirrorpub init`: a new site with a commented config, one sample draft, and a signing
key of its own.

The key lives outside the site folder (a folder that gets copied, synced or committed
must not carry it), one per site so that a leaked key exposes one site only:
$XDG_CONFIG_HOME/mirrorpub/keys/<folder name>-<hash of the folder's path>.key, 0600.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from mirrorpub.content.slugs import slugify
from mirrorpub.errors import MirrorpubError
from mirrorpub.mirrors import registry
from mirrorpub.trust.signing import Signer, keygen, read_key_file

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
# feed_size = 50               # feed.xml: the newest 50; older ones in archived feeds
signing_key = {key}   # made by init for this site; MIRRORPUB_SIGNING_KEY wins
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
draft: true                    # remove this line to publish it
---
This is your first article. Write in markdown; link other articles by file name, like
[this one](hello.md), and put images next to the article.
'''


@dataclass(frozen=True)
class Scaffold:
    files: list[Path]
    key_path: str  # as the config names it (~/… under the home folder)
    signer: Signer
    key_existed: bool  # a key made for this folder earlier, kept and used again


def config_text(key_path: str = "~/.config/mirrorpub/site.key") -> str:
    """The commented config: each installed mirror type's own example, in name order."""
    examples = [backend.example for kind in registry.known_types()
                if (backend := registry.find(kind)) is not None and backend.example]
    return CONFIG_TEMPLATE.replace("{examples}", "\n".join(examples)).replace(
        "{key}", json.dumps(key_path, ensure_ascii=False))


def config_home() -> Path:
    """Where per-user settings live (XDG Base Directory: $XDG_CONFIG_HOME, ~/.config)."""
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".config"


def site_key_path(directory: Path) -> Path:
    """This site's key file: named after its folder, and its path's hash (two sites in
    folders of the same name get two keys)."""
    folder = directory.resolve()
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:8]
    return config_home() / "mirrorpub" / "keys" / f"{slugify(folder.name) or 'site'}-{digest}.key"


def shown_path(path: Path) -> str:
    """`path` with the home folder as ~: what the config says and the editor sees."""
    home = Path.home()
    return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)


def scaffold(directory: Path, *, config_name: str = "mirrorpub.toml") -> Scaffold:
    key = site_key_path(directory)
    shown = shown_path(key)
    files = {directory / config_name: config_text(shown),
             directory / "content" / "hello.md": ARTICLE}
    existing = [p for p in files if p.exists()]
    if existing:
        raise MirrorpubError(f"{existing[0]} already exists; not overwriting anything")
    existed = key.exists()  # this folder had a site before: its readers know that key
    signer = Signer(read_key_file(key, shown)) if existed else keygen(key)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Scaffold(list(files), shown, signer, existed)
