"""Which version of each site this reader has verified: the memory that refuses rollback.

The highest version seen is kept per site, keyed by the public key's fingerprint (or,
for an unsigned copy, by the site's title, in a namespace of its own so an unsigned copy
can never block a signed one), in $MIRRORPUB_STATE_HOME/seen.json, else
$XDG_STATE_HOME/mirrorpub/seen.json, else ~/.local/state/mirrorpub/seen.json.

A site may be known under older names too (`aliases`: the 64-bit fingerprint earlier
versions keyed it by): what was seen under them still counts, and is moved to the
current name when a newer version is remembered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mirrorpub import fsatomic
from mirrorpub.errors import VerifyError
from mirrorpub.formats import iso

STATE_ENV = "MIRRORPUB_STATE_HOME"
SEEN_SCHEMA = "mirrorpub.seen/1"


def seen_file() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV]).expanduser() / "seen.json"
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(base) / "mirrorpub" / "seen.json"


def read_seen(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as exc:
        raise VerifyError(f"{path}: cannot be read ({exc}); it remembers which versions you "
                          "verified. Fix it, or delete it to start afresh") from None
    sites = data.get("sites") if isinstance(data, dict) else None
    if not isinstance(sites, dict):
        raise VerifyError(f"{path}: not a mirrorpub state file; delete it to start afresh")
    return sites


def record(sites: Mapping[str, Any], site_key: str,
           aliases: Sequence[str] = ()) -> dict[str, Any] | None:
    """What was seen of a site: the highest version among its current name and aliases."""
    found = [sites[k] for k in (site_key, *aliases) if isinstance(sites.get(k), dict)
             and isinstance(sites[k].get("version"), int)]
    return max(found, key=lambda r: r["version"], default=None)


def remember(path: Path, site_key: str, doc: Mapping[str, Any], url: str,
             now: datetime, aliases: Sequence[str] = ()) -> str | None:
    """Record `doc`'s version unless a higher one is known; a note when that fails."""
    return remember_record(path, site_key, {
        "version": doc["version"], "title": doc["site"]["title"],
        "published_at": doc["published_at"], "url": url, "verified_at": iso(now)}, aliases)


def remember_record(path: Path, site_key: str, entry: Mapping[str, Any],
                    aliases: Sequence[str] = ()) -> str | None:
    """Record `entry` (its "version" and what to tell of it) unless a higher version is
    known; a note when that fails. Also keeps the versions of keys.json seen per root."""
    try:
        sites = read_seen(path)
    except VerifyError:
        return None  # already reported by the rollback check
    previous = record(sites, site_key, aliases)
    if previous is not None and previous["version"] >= entry["version"]:
        return None
    for alias in aliases:
        sites.pop(alias, None)
    sites[site_key] = dict(entry)
    text = json.dumps({"schema": SEEN_SCHEMA, "sites": sites}, indent=2, ensure_ascii=False,
                      sort_keys=True) + "\n"
    try:
        fsatomic.write_bytes(path, text.encode("utf-8"), durable=True)
    except OSError as exc:
        return (f"{path}: cannot be written ({exc.strerror}); this version is not "
                "remembered, so a later rollback to an older one goes unseen")
    return None
