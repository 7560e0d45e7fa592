"""The manifest of where the copies are (SPEC §7, §12): mirrors.json, its signature, the
parts listing the copy's files, bc2.json and the copies pages (mirrors.html, and
mirrors.<lang>.html for each further language of the site) — the files that differ per
copy — and keys.json with its signature when the site has a root key (SPEC §11).

mirrors.json is of the second format: it names the parts (`files_index`) instead of
listing every file, so it stays a few KB at any size. `split_files` decides the parts:
the files that change with nearly every publish (index.html, feed.xml, the copies
pages, bc2.json, keys.json, the zip) in one small part; every other file, oldest first
(by the newest article it shows), in parts cut where a path's hash says so. An edited
article changes the one part holding it and the small part; a new story lands with the
listing pages it changes in the newest parts, which are kept small. At most MAX_PARTS
parts, whatever the size of the site. A part is named by its own sha256: one that did
not change keeps its name and is not sent again.

Pure functions: the publisher decides what each copy should say; this module turns that
into bytes. A manifest's `digest` covers what it says apart from its version and times,
so an unchanged site keeps its version and its bytes (and its IPFS CID).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import urlsplit

from mirrorpub import layout
from mirrorpub.formats import iso, parse_iso
from mirrorpub.hashing import stable_digest
from mirrorpub.mirrors import registry
from mirrorpub.model import FileEntry, Location, MirrorStatus, Stamp
from mirrorpub.site import csp
from mirrorpub.site.mediatypes import entry_for_bytes
from mirrorpub.site.pages import PageRenderer
from mirrorpub.trust.signing import Signer

SCHEMA_ID = "mirrorpub.manifest/2"
PART_TARGET = 256  # files a part holds on average, until the site passes BIG_PARTS of them
BIG_PARTS = 40  # parts of the older region a site grows to before its parts grow
MIN_SMALL = 32  # files a part of the newest region holds at least, on average
MAX_PARTS = 48  # parts at most: mirrors.json < 16 KB with 20 mirrors (SPEC §12)


@dataclass(frozen=True)
class ManifestMirror:
    name: str
    type: str
    status: MirrorStatus
    location: Location
    updated_at: str | None = None
    created_at: str | None = None


@dataclass(frozen=True)
class SiteInfo:
    title: str
    language: str
    main_domain: str | None
    blocked_help: str
    public_key: str | None
    fingerprint: str | None
    root_key: str | None = None  # the root key of keys.json (ed25519:…), when there is one
    root_fingerprint: str | None = None
    keys_sha256: str | None = None  # of keys.json: a new delegation is a new version


def content_digest(site: SiteInfo, mirrors: list[ManifestMirror], files_digest: str) -> str:
    """What a manifest says, apart from its version and times. The site files count by
    their digest (model.files_digest), which a build with nothing to do knows unread."""
    return stable_digest(
        SCHEMA_ID, site.keys_sha256,
        site.title, site.language, site.main_domain, site.blocked_help, site.public_key,
        [(m.name, m.type, m.status, m.location.url, dict(m.location.extra)) for m in mirrors],
        files_digest,
    )


def needs_refresh(stamp: Stamp, now: datetime, ttl_days: int) -> bool:
    """Less than half the lifetime left: a quiet site re-publishes so it never looks stale."""
    return parse_iso(stamp.expires_at) - now < timedelta(days=ttl_days) / 2


def next_stamp(previous: Stamp | None, digest: str, *, now: datetime, ttl_days: int,
               version: int) -> Stamp:
    """Keep `previous` when nothing changed and it is fresh; else a new version."""
    if previous and previous.digest == digest and not needs_refresh(previous, now, ttl_days):
        return previous
    return Stamp(version=version, published_at=iso(now),
                 expires_at=iso(now + timedelta(days=ttl_days)), digest=digest)


def manifest_document(site: SiteInfo, stamp: Stamp, mirrors: list[ManifestMirror],
                      parts: Mapping[str, bytes]) -> dict[str, Any]:
    """mirrors.json naming `parts` (split_files) as its files_index."""
    doc: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "site": {"title": site.title, "language": site.language},
        "version": stamp.version,
        "published_at": stamp.published_at,
        "expires_at": stamp.expires_at,
        "mirrors": [_mirror_entry(m, stamp) for m in mirrors],
    }
    if site.public_key:
        doc["key"] = site.public_key
    doc["files_index"] = [{"path": path, "sha256": path[len(layout.PARTS_DIR) + 1:-5]}
                          for path in parts]
    return doc


def split_files(files: Mapping[str, FileEntry], order: Mapping[str, int] | None = None,
                copy_files: Mapping[str, FileEntry] | None = None) -> dict[str, bytes]:
    """The parts listing `files` and `copy_files` (the manifest files among them;
    mirrors.json, its signature and parts are left out), path -> bytes, in a stable order:
    the part of what changes every publish first, then the rest oldest first. `order`:
    each file's age rank (higher is newer, as `BuildResult.ranks` gives); a file without
    one counts as oldest. `copy_files`: one copy's own files; when they all change every
    publish (manifest files do), the parts of the rest are made once for the same `files`
    and `order` and reused by the next copy (_RestParts)."""
    own = dict(copy_files or {})
    if not all(_changes_every_publish(p) for p in own):
        files, own = {**files, **own}, {}
    hot, rest = _REST_PARTS.get(files, order)
    hot = {**hot, **{p: e for p, e in own.items()
                     if p not in layout.NOT_IN_MANIFEST and not layout.is_part(p)}}
    out = {}
    if hot:
        data = encode_part(dict(sorted(hot.items())))
        out[layout.part_path(hashlib.sha256(data).hexdigest())] = data
    out.update(rest)
    return out


def _split_rest(files: Mapping[str, FileEntry], order: Mapping[str, int] | None
                ) -> tuple[dict[str, FileEntry], dict[str, bytes]]:
    """Of `files`, what changes every publish, and the parts of the rest, oldest first."""
    listed = {p: e for p, e in files.items()
              if p not in layout.NOT_IN_MANIFEST and not layout.is_part(p)}
    hot = {p: e for p, e in listed.items() if _changes_every_publish(p)}
    ranks = order or {}
    rest = sorted((p for p in listed if p not in hot), key=lambda p: (ranks.get(p, -1), p))
    out: dict[str, bytes] = {}
    for group in chunk_paths(rest):
        if group:
            data = encode_part({p: listed[p] for p in group})
            out[layout.part_path(hashlib.sha256(data).hexdigest())] = data
    return hot, out


class _RestParts:
    """The last `files` and `order` split (_split_rest), by identity: a publish makes the
    manifest files of two variants (the content-addressed copy's, then the others') from
    the same site files, and splitting 120,000 of them took half a second each time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: tuple[Any, Any, tuple[dict[str, FileEntry], dict[str, bytes]]] | None = None

    def get(self, files: Mapping[str, FileEntry], order: Mapping[str, int] | None
            ) -> tuple[dict[str, FileEntry], dict[str, bytes]]:
        with self._lock:
            last = self._last
            if last is not None and last[0] is files and last[1] is order:
                return last[2]
            split = _split_rest(files, order)
            self._last = (files, order, split)
            return split


_REST_PARTS = _RestParts()


def _changes_every_publish(path: str) -> bool:
    return layout.is_manifest_file(path) or path in (layout.INDEX, layout.FEED)


def chunk_size(files: int) -> int:
    """Files a part of the older region holds on average: 256, 304, 362, … (steps of
    2^¼) as the site grows past BIG_PARTS parts of that size. It changes only at these steps
    (each then rewrites every part, once)."""
    size = PART_TARGET
    while files > size * BIG_PARTS:
        size = round(size * 2 ** 0.25)
    return size


def chunk_paths(paths: list[str]) -> list[list[str]]:
    """`paths`, oldest first, cut where a path's own hash says so (content-defined
    chunking on paths): an edited file keeps every cut where it was, an added or removed
    one moves at most the cut beside it. The region after the last cut, where new
    articles arrive, is cut again into small parts, so a new story changes one small
    part, and, about once every `chunk_size` new files, closes that region into one."""
    size = chunk_size(len(paths))
    cuts = _cuts(paths, 0, size)
    start = cuts[-1] if cuts else 0
    closed = [paths[a:b] for a, b in zip([0, *cuts], cuts, strict=False)]
    small = max(MIN_SMALL, size // 8)
    while True:
        ends = [*_cuts(paths, start, small), len(paths)]
        tail = [paths[a:b] for a, b in zip([start, *ends], ends, strict=False) if a < b]
        if len(closed) + len(tail) <= MAX_PARTS or small >= size:
            return [*closed, *tail]
        small *= 2  # too many parts for mirrors.json: coarser small parts


def _cuts(paths: list[str], start: int, size: int) -> list[int]:
    """Where to cut paths[start:]: after a path whose hash is 0 modulo size/4, once the
    part holds at least 3/4 of `size`, and at 5/4 of it at most. The floor and ceiling keep
    parts near `size`, so an edit rarely lands in an outsized one; a cut forced by the
    ceiling moves with an insertion before it, and the next cut by hash puts it right."""
    floor, ceiling, modulus = size * 3 // 4, size * 5 // 4, max(1, size // 4)
    cuts, last = [], start
    for i in range(start, len(paths)):
        held = i + 1 - last
        if held >= ceiling or (held >= floor and _path_hash(paths[i]) % modulus == 0):
            cuts.append(i + 1)
            last = i + 1
    return cuts


def _path_hash(path: str) -> int:
    return int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big")


def encode_part(files: Mapping[str, FileEntry]) -> bytes:
    """{"files": {path: {"sha256", "size"}}}, one file a line, sorted: deterministic."""
    quoted = encode_basestring
    lines = ",\n".join(f'{quoted(p)}: {{"sha256": "{e.sha256}", "size": {e.size}}}'
                       for p, e in sorted(files.items()))
    return f'{{"files": {{\n{lines}\n}}}}\n'.encode()


def _mirror_entry(mirror: ManifestMirror, stamp: Stamp) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": mirror.name, "type": mirror.type, "status": mirror.status}
    extra = dict(mirror.location.extra)
    for key in ("cid", "ipns"):
        if extra.get(key):
            entry[key] = extra.pop(key)
    if mirror.location.url:
        entry["url"] = mirror.location.url
    entry.update({k: v for k, v in sorted(extra.items()) if v})
    updated = stamp.published_at if mirror.status == MirrorStatus.ACTIVE else mirror.updated_at
    if updated:
        entry["updated_at"] = updated
    return entry


def bc2_document(site: SiteInfo, stamp: Stamp, mirrors: list[ManifestMirror]) -> dict[str, Any]:
    """The Bypass Censorship v2 list: active copies reachable over the web."""
    alternatives = []
    for mirror in mirrors:
        url = mirror.location.url
        if mirror.status != MirrorStatus.ACTIVE or not url or \
                urlsplit(url).scheme not in ("http", "https"):
            continue
        alternatives.append({
            "proto": mirror.location.bc2_proto or urlsplit(url).scheme,
            "type": mirror.location.bc2_type,
            "created_at": mirror.created_at or stamp.published_at,
            "updated_at": stamp.published_at,
            "url": url,
        })
    main_domain = site.main_domain or next(
        (urlsplit(a["url"]).hostname for a in alternatives), None) or site.title
    return {"version": "2.0",
            "sites": [{"main_domain": main_domain, "available_alternatives": alternatives}]}


def encode(document: Mapping[str, Any]) -> bytes:
    """json.dumps(document, indent=2, ensure_ascii=False) and a newline, byte for byte,
    except: a trailing `files_index` has one part a line (a third smaller); a trailing
    `files` map of {sha256, size} entries (the first format) is formatted directly,
    because the pure-Python indenting encoder took ~80 ms on the 12,000 of a
    10,000-article site."""
    index = document.get("files_index")
    if index and isinstance(index, list) and list(document)[-1] == "files_index":
        head = json.dumps({**document, "files_index": []}, indent=2, ensure_ascii=False)
        lines = ",\n".join("    " + json.dumps(entry, ensure_ascii=False) for entry in index)
        return f"{head[:-4]}[\n{lines}\n  ]\n}}\n".encode()
    files = document.get("files")
    if not files or not isinstance(files, dict) or list(document)[-1] != "files" or \
            not all(_plain_file_entry(e) for e in files.values()):
        return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    head = json.dumps({**document, "files": {}}, indent=2, ensure_ascii=False)
    assert head.endswith('"files": {}\n}')
    quoted = encode_basestring
    body = ",\n".join(f'    {quoted(path)}: {{\n      "sha256": {quoted(e["sha256"])},\n'
                      f'      "size": {e["size"]}\n    }}' for path, e in files.items())
    return f"{head[:-4]}{{\n{body}\n  }}\n}}\n".encode()


def _plain_file_entry(entry: Any) -> bool:
    return (type(entry) is dict and list(entry) == ["sha256", "size"]
            and type(entry["sha256"]) is str and type(entry["size"]) is int)


def render_files(*, site: SiteInfo, renderer: PageRenderer, stamp: Stamp,
                 mirrors: list[ManifestMirror], files: Mapping[str, FileEntry],
                 signer: Signer | None,
                 bundler: Callable[[Mapping[str, bytes]], bytes] | None = None,
                 published: Mapping[str, bytes] | None = None,
                 order: Mapping[str, int] | None = None) -> dict[str, bytes]:
    """The per-copy files; `published`: further files every copy carries as they are
    (keys.json and its signature); `order`: the files' age ranks (split_files). With a
    bundler, also the site's zip: the copy inside the zip carries a manifest without the
    zip, the copy beside it one that lists it."""
    published = published or {}
    inner = _render_files(site, renderer, stamp, mirrors, files, signer, None, published,
                          order)
    if bundler is None:
        return inner
    archive = bundler(inner)
    listed = {**files, layout.BUNDLE: entry_for_bytes(layout.BUNDLE, archive)}
    outer = _render_files(site, renderer, stamp, mirrors, listed, signer, layout.BUNDLE,
                          published, order)
    return {layout.BUNDLE: archive, **outer}


def _render_files(site: SiteInfo, renderer: PageRenderer, stamp: Stamp,
                  mirrors: list[ManifestMirror], files: Mapping[str, FileEntry],
                  signer: Signer | None, bundle: str | None,
                  published: Mapping[str, bytes],
                  order: Mapping[str, int] | None) -> dict[str, bytes]:
    copies = [_page_row(m) for m in mirrors if m.status != MirrorStatus.RETIRED]
    # Its "newer list" button asks the listed copies for their mirrors.json: those only.
    addresses = [u for c in copies for u in (c["url"], *c["gateway_urls"], c["ipns_url"]) if u]
    pages = renderer.copies_pages(copies=copies, public_key=site.public_key,
                                  root_key=site.root_key,
                                  root_fingerprint=site.root_fingerprint,
                                  blocked_help=site.blocked_help, stamp=stamp, bundle=bundle,
                                  connect=tuple(csp.origins(addresses)))
    bc2 = encode(bc2_document(site, stamp, mirrors))
    out = {**pages, layout.BC2: bc2, **published}
    parts = split_files(files, order,
                        {path: entry_for_bytes(path, data) for path, data in out.items()})
    manifest = encode(manifest_document(site, stamp, mirrors, parts))
    out.update(parts)
    out[layout.MANIFEST] = manifest
    if signer is not None:
        out[layout.SIGNATURE] = signer.sign(manifest)
    return out


def _page_row(mirror: ManifestMirror) -> dict[str, Any]:
    extra = mirror.location.extra
    backend = registry.find(mirror.type)
    # A content-addressed copy cannot name itself: the page says where its address is.
    addressed = backend is not None and backend.content_addressed
    return {"name": mirror.name, "type": mirror.type, "status": mirror.status,
            "content_addressed": addressed,
            "url": mirror.location.url, "cid": extra.get("cid"),
            "gateway_urls": extra.get("gateway_urls", []), "ipns_url": extra.get("ipns_url")}

