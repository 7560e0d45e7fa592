"""`mirrorpub init`: a new site with a commented config and one sample article."""

from __future__ import annotations

from pathlib import Path

from mirrorpub.errors import MirrorpubError

CONFIG = '''\
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
# signing_key = "~/.config/mirrorpub/site.key"   # mirrorpub keygen; MIRRORPUB_SIGNING_KEY wins
# manifest_ttl_days = 30
# main_domain = "example.org"  # your usual address, for bc2.json
# blocked_help = "Write to us on Signal at +… if every copy is blocked."

# Every mirror receives the same site. Uncomment and fill in the ones you use.

# [[mirrors]]
# name = "aws-frankfurt"
# type = "s3"
# bucket = "news-mirror-7f3a"
# region = "eu-central-1"
# prefix = ""                       # optional key prefix inside the bucket
# endpoint_url = "https://…"        # optional: R2, B2, Spaces, SeaweedFS…
# profile = "default"               # optional AWS profile
# access_key_id_env = "B2_KEY_ID"   # optional: read credentials from these variables
# secret_access_key_env = "B2_SECRET"
# public_url = "https://s3.eu-central-1.amazonaws.com/news-mirror-7f3a/"  # optional

# [[mirrors]]
# name = "ipfs"
# type = "ipfs"
# api = "http://127.0.0.1:5001"     # the Kubo RPC API
# gateways = ["https://ipfs.io", "https://dweb.link"]
# ipns_key = "news"                 # optional: also publish under this IPNS key
# pin = true
# keep_pins = 3

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


def scaffold(directory: Path, *, config_name: str = "mirrorpub.toml") -> list[Path]:
    files = {directory / config_name: CONFIG, directory / "content" / "hello.md": ARTICLE}
    existing = [p for p in files if p.exists()]
    if existing:
        raise MirrorpubError(f"{existing[0]} already exists; not overwriting anything")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
