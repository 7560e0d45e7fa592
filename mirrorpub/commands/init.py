"""`mirrorpub init`: a new site with a commented config and one sample article."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.errors import MirrorpubError
from mirrorpub.mirrors import registry

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
# signing_key = "~/.config/mirrorpub/site.key"   # mirrorpub keygen; MIRRORPUB_SIGNING_KEY wins
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
---
This is your first article. Write in markdown; link other articles by file name, like
[this one](hello.md), and put images next to the article.
'''


def config_text() -> str:
    """The commented config: each installed mirror type's own example, in name order."""
    examples = [backend.example for kind in registry.known_types()
                if (backend := registry.find(kind)) is not None and backend.example]
    return CONFIG_TEMPLATE.replace("{examples}", "\n".join(examples))


def scaffold(directory: Path, *, config_name: str = "mirrorpub.toml") -> list[Path]:
    files = {directory / config_name: config_text(),
             directory / "content" / "hello.md": ARTICLE}
    existing = [p for p in files if p.exists()]
    if existing:
        raise MirrorpubError(f"{existing[0]} already exists; not overwriting anything")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
