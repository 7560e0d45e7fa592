"""The manifest of the copies (SPEC §7): what mirrors.json, bc2.json and the copies pages
say, and when a publish makes a new version of them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mirrorpub.layout import is_part
from mirrorpub.model import FileEntry, Location, MirrorStatus, Stamp, files_digest
from mirrorpub.trust import manifest
from mirrorpub.trust.manifest import ManifestMirror, SiteInfo

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SITE = SiteInfo(title="Kloop", language="ru", main_domain=None, blocked_help="Use Tor.",
                public_key="PUBKEY", fingerprint="FP")
FILES = {"index.html": FileEntry(sha256="a" * 64, size=10, md5="m", content_type="text/html"),
         "articles/x.html": FileEntry(sha256="b" * 64, size=20, md5="n",
                                      content_type="text/html")}
STAMP = Stamp(version=7, published_at="2026-11-28T10:00:00Z",
              expires_at="2026-12-28T10:00:00Z", digest="d")


def mirror(name: str, url: str | None, status: MirrorStatus = MirrorStatus.ACTIVE,
           **kwargs: Any) -> ManifestMirror:
    extra = kwargs.pop("extra", {})
    location = Location(url=url, page_base=url, extra=extra,
                        bc2_type=kwargs.pop("bc2_type", "mirror"),
                        bc2_proto=kwargs.pop("bc2_proto", None))
    return ManifestMirror(name=name, type=kwargs.pop("type", "s3"), status=status,
                          location=location, **kwargs)


# --- versions ---------------------------------------------------------------------------

def test_an_unchanged_fresh_manifest_keeps_its_version_and_times() -> None:
    previous = Stamp(version=3, published_at="2026-11-20T10:00:00Z",
                     expires_at="2026-12-20T10:00:00Z", digest="same")
    assert manifest.next_stamp(previous, "same", now=NOW, ttl_days=30, version=4) is previous


def test_a_change_makes_a_new_version_that_expires_after_the_ttl() -> None:
    previous = Stamp(version=3, published_at="2026-11-20T10:00:00Z",
                     expires_at="2026-12-20T10:00:00Z", digest="old")
    stamp = manifest.next_stamp(previous, "new", now=NOW, ttl_days=30, version=4)
    assert stamp == Stamp(version=4, published_at="2026-11-28T10:00:00Z",
                          expires_at="2026-12-28T10:00:00Z", digest="new")
    assert manifest.next_stamp(None, "new", now=NOW, ttl_days=30, version=1).version == 1


@pytest.mark.parametrize(("left", "refresh"), [
    (timedelta(days=16), False),
    (timedelta(days=15), False),  # exactly half the lifetime left: still fresh
    (timedelta(days=15) - timedelta(seconds=1), True),
    (timedelta(days=-1), True),
])
def test_a_quiet_site_republishes_once_half_its_lifetime_is_gone(left: timedelta,
                                                                 refresh: bool) -> None:
    stamp = Stamp(version=3, published_at="2026-11-01T00:00:00Z",
                  expires_at=(NOW + left).strftime("%Y-%m-%dT%H:%M:%SZ"), digest="same")
    assert manifest.needs_refresh(stamp, NOW, 30) is refresh
    renewed = manifest.next_stamp(stamp, "same", now=NOW, ttl_days=30, version=4)
    assert (renewed.version == 4) is refresh


def digest_of(site: SiteInfo, mirrors: list[ManifestMirror],
              files: dict[str, FileEntry]) -> str:
    """content_digest of the files as a build gives them: sorted, then digested."""
    return manifest.content_digest(site, mirrors, files_digest(dict(sorted(files.items()))))


def test_the_digest_covers_what_the_manifest_says_and_nothing_else() -> None:
    mirrors = [mirror("s3", "https://s3.example/b/", extra={"region": "x"})]
    digest = digest_of(SITE, mirrors, FILES)
    assert digest == digest_of(SITE, list(mirrors), dict(reversed(FILES.items())))
    changed = [
        digest_of(SiteInfo(**{**SITE.__dict__, "title": "Other"}), mirrors, FILES),
        digest_of(SiteInfo(**{**SITE.__dict__, "language": "ky"}), mirrors,
                                FILES),
        digest_of(SiteInfo(**{**SITE.__dict__, "main_domain": "kloop.kg"}),
                                mirrors, FILES),
        digest_of(SiteInfo(**{**SITE.__dict__, "blocked_help": "x"}), mirrors,
                                FILES),
        digest_of(SiteInfo(**{**SITE.__dict__, "public_key": "K2"}), mirrors,
                                FILES),
        digest_of(SITE, [mirror("s4", "https://s3.example/b/")], FILES),
        digest_of(SITE, [mirror("s3", "https://s3.example/b/", type="ipfs")],
                                FILES),
        digest_of(SITE, [mirror("s3", "https://s3.example/b/",
                                              MirrorStatus.FAILED)], FILES),
        digest_of(SITE, [mirror("s3", "https://s3.example/c/")], FILES),
        digest_of(SITE, [mirror("s3", "https://s3.example/b/",
                                              extra={"region": "y"})], FILES),
        digest_of(SITE, mirrors, {**FILES, "index.html": FileEntry(
            sha256="c" * 64, size=10, md5="m", content_type="text/html")}),
        digest_of(SITE, mirrors, {**FILES, "index.html": FileEntry(
            sha256="a" * 64, size=11, md5="m", content_type="text/html")}),
    ]
    assert digest not in changed and len(set(changed)) == len(changed)
    # The fingerprint follows from the key; times and versions are the stamp's.
    assert digest_of(SiteInfo(**{**SITE.__dict__, "fingerprint": "x"}),
                                   mirrors, FILES) == digest


# --- mirrors.json -----------------------------------------------------------------------

def test_mirrors_json_lists_each_copy_and_every_file_but_itself() -> None:
    mirrors = [
        mirror("s3", "https://s3.example/b/", extra={"region": "eu", "empty": ""}),
        mirror("ipfs", "https://ipfs.io/ipfs/bafy/", type="ipfs",
               extra={"region": "z", "ipns": "k51", "cid": "bafy"}),
        mirror("usb", None, MirrorStatus.FAILED, type="directory",
               updated_at="2026-11-01T00:00:00Z"),
        mirror("old", "https://old.example/", MirrorStatus.RETIRED, updated_at=None),
    ]
    files = {**FILES, "mirrors.json": FILES["index.html"], "mirrors.json.sig": FILES["index.html"],
             "bc2.json": FILES["index.html"]}
    parts = manifest.split_files(files)
    document = manifest.manifest_document(SITE, STAMP, mirrors, parts)
    assert _listed({**parts, "mirrors.json": manifest.encode(document)}) == {
        "articles/x.html": {"sha256": "b" * 64, "size": 20},
        "bc2.json": {"sha256": "a" * 64, "size": 10},
        "index.html": {"sha256": "a" * 64, "size": 10}}
    assert json.loads(manifest.encode(document)) == document  # parts one a line: still JSON
    assert document["key"] == "PUBKEY" and list(document)[-2:] == ["key", "files_index"]
    document = {k: v for k, v in document.items() if k not in ("key", "files_index")}
    assert document == {
        "schema": "mirrorpub.manifest/2",
        "site": {"title": "Kloop", "language": "ru"},
        "version": 7,
        "published_at": "2026-11-28T10:00:00Z",
        "expires_at": "2026-12-28T10:00:00Z",
        "mirrors": [
            {"name": "s3", "type": "s3", "status": "active", "url": "https://s3.example/b/",
             "region": "eu", "updated_at": "2026-11-28T10:00:00Z"},
            {"name": "ipfs", "type": "ipfs", "status": "active", "cid": "bafy", "ipns": "k51",
             "url": "https://ipfs.io/ipfs/bafy/", "region": "z",
             "updated_at": "2026-11-28T10:00:00Z"},
            {"name": "usb", "type": "directory", "status": "failed",
             "updated_at": "2026-11-01T00:00:00Z"},  # when it last had the site
            {"name": "old", "type": "s3", "status": "retired", "url": "https://old.example/"},
        ],
    }
    assert list(document["mirrors"][1]) == ["name", "type", "status", "cid", "ipns", "url",
                                            "region", "updated_at"]
    assert manifest.encode(document) == (json.dumps(document, indent=2, ensure_ascii=False)
                                         + "\n").encode()


def _listed(files: Mapping[str, bytes]) -> dict[str, Any]:
    """What mirrors.json among `files` lists, through its parts (SPEC §12)."""
    out: dict[str, Any] = {}
    for entry in json.loads(files["mirrors.json"])["files_index"]:
        out.update(json.loads(files[entry["path"]])["files"])
    return out


def test_non_ascii_is_written_as_it_is() -> None:
    assert manifest.encode({"site": "Клооп"}) == '{\n  "site": "Клооп"\n}\n'.encode()
    assert manifest.encode({"files": {"новости.html": {"sha256": "a", "size": 1}}}) == (
        '{\n  "files": {\n    "новости.html": {\n      "sha256": "a",\n'
        '      "size": 1\n    }\n  }\n}\n').encode()


# --- bc2.json ---------------------------------------------------------------------------

def test_bc2_lists_the_active_web_copies() -> None:
    mirrors = [
        mirror("s3", "https://s3.example/b/", created_at="2026-01-01T00:00:00Z"),
        mirror("onion", "http://abc.onion/", bc2_type="tor", bc2_proto="tor"),
        mirror("ipfs", "ipfs://bafy", type="ipfs"),  # not a web address
        mirror("usb", None, type="directory"),
        mirror("down", "https://down.example/", MirrorStatus.FAILED),
        mirror("old", "https://old.example/", MirrorStatus.RETIRED),
    ]
    document = manifest.bc2_document(SITE, STAMP, mirrors)
    assert document == {"version": "2.0", "sites": [{
        "main_domain": "s3.example",  # none given: the first copy's host
        "available_alternatives": [
            {"proto": "https", "type": "mirror", "created_at": "2026-01-01T00:00:00Z",
             "updated_at": "2026-11-28T10:00:00Z", "url": "https://s3.example/b/"},
            {"proto": "tor", "type": "tor", "created_at": "2026-11-28T10:00:00Z",
             "updated_at": "2026-11-28T10:00:00Z", "url": "http://abc.onion/"},
        ]}]}


def test_bc2_names_the_sites_own_domain_or_else_its_title() -> None:
    own = SiteInfo(**{**SITE.__dict__, "main_domain": "kloop.kg"})
    copies = [mirror("s3", "https://s3.example/b/")]
    assert manifest.bc2_document(own, STAMP, copies)["sites"][0]["main_domain"] == "kloop.kg"
    assert manifest.bc2_document(SITE, STAMP, [])["sites"][0] == {
        "main_domain": "Kloop", "available_alternatives": []}


# --- the per-copy files -----------------------------------------------------------------

class _Renderer:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def copies_pages(self, **kwargs: Any) -> dict[str, bytes]:
        self.calls.append(kwargs)
        return {"mirrors.html": f"copies, bundle {kwargs['bundle']}".encode()}


class _Signer:
    def sign(self, data: bytes) -> bytes:
        return b"signed:" + data[:10]


def _render(mirrors: list[ManifestMirror], **kwargs: Any) -> tuple[dict[str, bytes],
                                                                   _Renderer]:
    renderer = _Renderer()
    out = manifest.render_files(site=SITE, renderer=renderer, stamp=STAMP,  # type: ignore[arg-type]
                                mirrors=mirrors, files=FILES, **kwargs)
    return out, renderer


def test_the_manifest_lists_the_copies_page_and_bc2_and_is_signed() -> None:
    out, renderer = _render([mirror("s3", "https://s3.example/b/")],
                            signer=_Signer())
    parts = {p for p in out if is_part(p)}
    assert set(out) - parts == {"mirrors.html", "bc2.json", "mirrors.json", "mirrors.json.sig"}
    listed = _listed(out)
    assert set(listed) == {"index.html", "articles/x.html", "mirrors.html", "bc2.json"}
    assert out["mirrors.json.sig"] == b"signed:" + out["mirrors.json"][:10]
    assert json.loads(out["bc2.json"])["sites"][0]["main_domain"] == "s3.example"
    assert renderer.calls[0]["public_key"] == "PUBKEY"
    assert renderer.calls[0]["blocked_help"] == "Use Tor."
    assert renderer.calls[0]["stamp"] == STAMP


def test_without_a_key_there_is_no_signature() -> None:
    out, _ = _render([], signer=None)
    assert "mirrors.json.sig" not in out and "mirrors.json" in out


def test_the_copies_page_shows_every_copy_not_retired_and_may_ask_only_those() -> None:
    mirrors = [
        mirror("s3", "https://s3.example/b/"),
        mirror("ipfs", "https://gw.example/ipfs/bafy/", type="ipfs", extra={
            "cid": "bafy", "gateway_urls": ["https://dweb.example/ipfs/bafy/"],
            "ipns_url": "https://gw.example/ipns/k51/"}),
        mirror("usb", None, MirrorStatus.FAILED, type="directory"),
        mirror("old", "https://old.example/", MirrorStatus.RETIRED),
    ]
    _, renderer = _render(mirrors, signer=None)
    copies = renderer.calls[0]["copies"]
    assert [c["name"] for c in copies] == ["s3", "ipfs", "usb"]
    assert copies[1] == {"name": "ipfs", "type": "ipfs", "status": "active",
                         "url": "https://gw.example/ipfs/bafy/", "cid": "bafy",
                         "gateway_urls": ["https://dweb.example/ipfs/bafy/"],
                         "ipns_url": "https://gw.example/ipns/k51/",
                         "content_addressed": True}
    assert copies[2]["gateway_urls"] == [] and copies[2]["cid"] is None
    assert not copies[0]["content_addressed"] and not copies[2]["content_addressed"]
    hosts = {"s3.example", "gw.example", "dweb.example"}  # not old.example: retired
    assert set(renderer.calls[0]["connect"]) == {f"https://{h}" for h in hosts} | {
        f"https://*.{h}" for h in hosts}
    assert renderer.calls[0]["bundle"] is None


def test_with_a_bundle_the_zip_is_listed_beside_it_but_not_inside_it() -> None:
    seen: list[Mapping[str, bytes]] = []

    def bundler(inner: Mapping[str, bytes]) -> bytes:
        seen.append(inner)
        return b"PK zip of " + inner["mirrors.json"][:20]

    out, renderer = _render([mirror("s3", "https://s3.example/b/")], signer=_Signer(),
                            bundler=bundler)
    inside = _listed(seen[0])
    beside = _listed(out)
    assert "site.zip" not in inside
    assert beside["site.zip"]["size"] == len(out["site.zip"])
    assert out["site.zip"] == b"PK zip of " + seen[0]["mirrors.json"][:20]
    assert [call["bundle"] for call in renderer.calls] == [None, "site.zip"]
    assert out["mirrors.html"] == b"copies, bundle site.zip"
    assert seen[0]["mirrors.html"] == b"copies, bundle None"
    assert out["mirrors.json.sig"] == b"signed:" + out["mirrors.json"][:10]
