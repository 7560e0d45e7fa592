"""Content-Type and Cache-Control for every published file (SPEC §8).

Our own table first, so the result does not depend on the machine's /etc/mime.types
(determinism across editors' laptops and CI), then Python's mimetypes for the rest.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath

from mirrorpub.layout import is_manifest_file
from mirrorpub.model import FileEntry

_TEXT = "; charset=utf-8"
_TYPES = {
    ".html": "text/html" + _TEXT,
    ".htm": "text/html" + _TEXT,
    ".css": "text/css" + _TEXT,
    ".js": "text/javascript" + _TEXT,
    ".json": "application/json" + _TEXT,
    ".xml": "application/atom+xml" + _TEXT,  # our only XML file is the Atom feed
    ".sig": "text/plain" + _TEXT,
    ".txt": "text/plain" + _TEXT,
    ".md": "text/markdown" + _TEXT,
    ".csv": "text/csv" + _TEXT,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".woff2": "font/woff2",
    ".epub": "application/epub+zip",
}

SHORT_CACHE = "public, max-age=300"
# Files keep their names across edits (a replaced photo keeps its URL), so not a year.
ASSET_CACHE = "public, max-age=86400"


def content_type(path: str) -> str:
    ext = posixpath.splitext(path)[1].lower()
    if ext in _TYPES:
        return _TYPES[ext]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return guessed + _TEXT if guessed.startswith("text/") else guessed


def cache_control(path: str) -> str:
    ctype = content_type(path)
    short = is_manifest_file(path) or ctype.startswith(("text/html", "application/atom+xml"))
    return SHORT_CACHE if short else ASSET_CACHE


def entry_for_bytes(path: str, data: bytes) -> FileEntry:
    return FileEntry(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                     md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
                     content_type=content_type(path))
