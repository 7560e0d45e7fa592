"""`mirrorpub new "Title"`: a new draft article, content/<slug>.md, ready to write in."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from mirrorpub import fsatomic
from mirrorpub.config import load_config
from mirrorpub.content.slugs import slugify
from mirrorpub.errors import MirrorpubError, UsageError


def front_matter(title: str, now: datetime) -> str:
    # JSON strings are YAML strings: any title (quotes, colons, Cyrillic) reads back as is.
    return (f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\n"
            f"date: {now.isoformat(timespec='seconds')}\n"
            "draft: true                    # remove this line to publish it\n---\n\n")


def new_article(config_path: str, title: str, *, now: datetime | None = None) -> Path:
    """Write the draft; its path. Never replaces a file."""
    title = title.strip()
    if not title:
        raise UsageError("the title is empty; give one, e.g. mirrorpub new \"Court hearing\"")
    config = load_config(config_path)
    path = config.site.content_dir / f"{slugify(title)}.md"
    text = front_matter(title, now or datetime.now(UTC).astimezone())
    try:  # whole or not at all, and never over an article (or a link), even in a race
        fsatomic.write_new(path, text.encode("utf-8"), mode=0o644)
    except FileExistsError:
        raise MirrorpubError(f"{shown(path)} already exists; not overwriting it (choose "
                             "another title, or edit that file)") from None
    except OSError as exc:
        raise MirrorpubError(f"{shown(path)}: cannot be written ({exc.strerror})") from None
    return path


def shown(path: Path) -> str:
    """`path` relative to where the editor stands, when it lies below."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative
