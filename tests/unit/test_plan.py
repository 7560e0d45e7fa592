"""The pure planner: what goes up, in which order, and what is deleted (no server)."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from mirrorpub.layout import FIRST_FINAL_RANK
from mirrorpub.mirrors.plan import RemoteEntry, RemoteState, plan
from mirrorpub.mirrors.remoteindex import (
    MAX_INDEX_BYTES,
    MAX_INDEX_GZIP_BYTES,
    decode_index,
    encode_index,
)
from mirrorpub.model import FileEntry


def entry(text: str) -> FileEntry:
    data = text.encode()
    return FileEntry(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                     md5=hashlib.md5(data).hexdigest(), content_type="text/html")


def remote_of(local: dict[str, FileEntry], **changes: str | None) -> RemoteState:
    entries = {p: RemoteEntry(size=e.size, sha256=e.sha256) for p, e in local.items()}
    for path, text in changes.items():
        path = path.replace("__", "/").replace("_html", ".html")
        if text is None:
            entries.pop(path, None)
        else:
            e = entry(text)
            entries[path] = RemoteEntry(size=e.size, sha256=e.sha256)
    return RemoteState(entries=entries, owned=frozenset(entries))


SITE = {
    "index.html": entry("index"),
    "page-2.html": entry("page 2"),
    "feed.xml": entry("feed"),
    "articles/a.html": entry("a"),
    "articles/b.html": entry("b"),
    "tags/news.html": entry("tag"),
    "files/img/map.png": entry("png"),
}


def test_first_publish_orders_assets_articles_tags_listings_then_index() -> None:
    result = plan(SITE, RemoteState.empty())
    order = [u.path for u in result.uploads]
    assert order == ["files/img/map.png", "articles/a.html", "articles/b.html",
                     "tags/news.html", "feed.xml", "page-2.html", "index.html"]
    assert all(u.reason == "not at the mirror" for u in result.uploads)
    assert result.deletes == ()


def test_nothing_changed_plans_nothing() -> None:
    result = plan(SITE, remote_of(SITE))
    assert result.is_noop
    assert result.unchanged == len(SITE)


@pytest.mark.parametrize(("remote", "reason"), [
    (RemoteEntry(size=2, sha256="0" * 64), "size differs"),
    (RemoteEntry(size=1, sha256=entry("a").sha256.replace("c", "d", 1)), "sha256 differs"),
    (RemoteEntry(size=1, md5="f" * 32), "md5 differs"),
    (RemoteEntry(size=1), "no checksum at the mirror"),
])
def test_reasons_compare_hashes_not_sizes_or_times(remote: RemoteEntry, reason: str) -> None:
    local = {"articles/a.html": entry("a")}
    result = plan(local, RemoteState(entries={"articles/a.html": remote}))
    assert [(u.path, u.reason) for u in result.uploads] == [("articles/a.html", reason)]


def test_same_size_same_md5_from_a_listing_is_unchanged() -> None:
    local = {"articles/a.html": entry("a")}
    listed = RemoteEntry(size=1, md5=entry("a").md5)
    assert plan(local, RemoteState(entries={"articles/a.html": listed})).is_noop


def test_new_articles_go_up_before_changed_ones() -> None:
    remote = remote_of(SITE, articles__b_html="old b")
    local = {**SITE, "articles/c.html": entry("c")}
    order = [u.path for u in plan(local, remote).uploads]
    assert order == ["articles/c.html", "articles/b.html"]


@pytest.mark.parametrize(("changed", "new"), [
    ("page-2.html", "page-3.html"),  # an old listing page gains a link to a new one
    ("tags/news.html", "tags/news.p2.html"),
    ("articles/a.html", "articles/c.html"),
    ("files/img/map.png", "files/img/new.png"),
])
def test_within_a_kind_new_files_go_up_before_changed_ones(changed: str, new: str) -> None:
    remote = remote_of(SITE, **{changed.replace("/", "__").replace(".html", "_html"): "old"})
    local = {**SITE, new: entry("new")}
    result = plan(local, remote)
    order = [u.path for u in result.uploads]
    assert order.index(new) < order.index(changed)
    ranks = {u.path: u.rank for u in result.uploads}
    assert ranks[new] < ranks[changed]  # separate groups: the new one is there first


def test_deletes_come_last_and_sorted_and_only_owned() -> None:
    remote = RemoteState(
        entries={**{p: RemoteEntry(e.size, e.sha256) for p, e in SITE.items()},
                 "articles/zz.html": RemoteEntry(1, "x"), "articles/gone.html": RemoteEntry(1, "y"),
                 "someone-elses.txt": RemoteEntry(1, "z")},
        owned=frozenset(SITE) | {"articles/zz.html", "articles/gone.html"},
    )
    result = plan(SITE, remote)
    assert result.deletes == ("articles/gone.html", "articles/zz.html")
    assert result.foreign == ("someone-elses.txt",)


def test_manifest_files_are_kept_even_though_the_build_does_not_list_them() -> None:
    remote = remote_of(SITE)
    remote = RemoteState(entries={**remote.entries, "mirrors.json": RemoteEntry(5, "m")},
                         owned=remote.owned | {"mirrors.json"})
    result = plan(SITE, remote, keep=frozenset({"mirrors.json"}))
    assert result.deletes == ()


@pytest.mark.parametrize(("stale", "cap", "deleted", "held"), [
    (3, 5, 3, 0),
    (5, 5, 5, 0),
    (6, 5, 0, 6),  # over the cap: nothing deleted, all held back and reported
    (6, -1, 6, 0),  # -1: no cap
    (1, 0, 0, 1),  # --max-deletes 0: no delete at all, not "no cap"
    (0, 0, 0, 0),
])
def test_delete_cap(stale: int, cap: int, deleted: int, held: int) -> None:
    extra = {f"articles/old-{i}.html": RemoteEntry(1, "x") for i in range(stale)}
    remote = RemoteState(entries=extra, owned=frozenset(extra))
    result = plan({}, remote, max_deletes=cap)
    assert (len(result.deletes), len(result.held_deletes)) == (deleted, held)
    assert result.max_deletes == cap  # the cap the report names


def test_pending_paths_from_an_interrupted_publish_are_sent_again() -> None:
    """The index still lists the right bytes, but the write was cut off: send it again."""
    remote = remote_of(SITE)
    remote = RemoteState(entries=remote.entries, owned=remote.owned,
                         pending=frozenset({"articles/a.html"}))
    result = plan(SITE, remote)
    assert [(u.path, u.reason) for u in result.uploads] == [
        ("articles/a.html", "left unfinished by an interrupted publish")]
    assert result.unchanged == len(SITE) - 1


def test_groups_split_site_files_from_the_final_step() -> None:
    result = plan({**SITE, "mirrors.html": entry("copies")}, RemoteState.empty())
    first = [[u.path for u in g] for g in result.groups(final=False)]
    final = [[u.path for u in g] for g in result.groups(final=True)]
    # One group per step: a step goes up only once the one before it is complete.
    assert first == [["files/img/map.png"], ["articles/a.html", "articles/b.html"],
                     ["tags/news.html"], ["feed.xml", "page-2.html"]]
    assert final == [["mirrors.html"], ["index.html"]]
    assert all(u.rank < FIRST_FINAL_RANK for g in result.groups(final=False) for u in g)


# --- the remote index -------------------------------------------------------------------

def test_remote_index_round_trips() -> None:
    files = {"index.html": RemoteEntry(size=5, sha256="a" * 64),
             "articles/новости x.html": RemoteEntry(size=0, sha256="b" * 64)}
    assert decode_index(encode_index(files, {"articles/x.html"})) == (files, {"articles/x.html"})


def test_the_remote_index_is_small_and_the_same_for_the_same_files() -> None:
    files = {f"articles/a-{i:05d}.html": RemoteEntry(size=i, sha256=f"{i:064x}")
             for i in range(2000)}
    data = encode_index(files, set())
    assert data == encode_index(dict(reversed(files.items())), set())
    assert len(data) < 90 * len(files)  # a path and a sha256 each: ~130 bytes as JSON


def test_an_index_written_by_an_earlier_version_is_read() -> None:
    # Indented and uncompressed, as mirrorpub wrote it before the index was gzip'd.
    body = {"files": {"index.html": {"sha256": "a" * 64, "size": 5}}, "pending": ["x.html"]}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    old = json.dumps({"schema": "mirrorpub.remote-index/1",
                      "checksum": hashlib.sha256(canonical).hexdigest(), **body},
                     indent=1, sort_keys=True).encode()
    assert decode_index(old) == ({"index.html": RemoteEntry(size=5, sha256="a" * 64)},
                                 {"x.html"})


def _in_json(edit):  # type: ignore[no-untyped-def]
    """Damage the JSON inside the gzip'd index, and compress it again."""
    return lambda b: gzip.compress(edit(gzip.decompress(b)))


@pytest.mark.parametrize("damage", [
    lambda b: b"not json at all",
    lambda b: b[: len(b) // 2],  # truncated
    lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # a flipped bit
    _in_json(lambda j: j.replace(b'"size":5', b'"size":6')),  # edited, checksum not fixed
    _in_json(lambda j: j.replace(b'"files":{', b'"files":{"x.html":{"sha256":"","size":1},')),
    _in_json(lambda j: j.replace(b"mirrorpub.remote-index/1", b"something-else")),
    lambda b: b"[]",
    lambda b: gzip.compress(b"\x00" * 10_000_000),  # inflates to nonsense
])
def test_a_damaged_remote_index_is_rejected(damage) -> None:  # type: ignore[no-untyped-def]
    data = encode_index({"index.html": RemoteEntry(size=5, sha256="a" * 64)}, set())
    assert decode_index(data) is not None
    assert decode_index(damage(data)) is None


def test_a_new_tag_page_goes_up_before_the_changed_article_that_links_it() -> None:
    """An edit adds a tag: the article's new link must not point at a page not yet there."""
    remote = remote_of(SITE, articles__a_html="old a")
    local = {**SITE, "tags/new.html": entry("new tag")}
    order = [u.path for u in plan(local, remote).uploads]
    assert order == ["tags/new.html", "articles/a.html"]


def test_copies_pages_in_other_languages_are_per_copy_and_go_up_with_mirrors_html() -> None:
    from mirrorpub.layout import copies_page, is_manifest_file, manifest_files, upload_rank

    languages = ("ru", "ky", "zh-Hant")
    assert [copies_page(lang, languages) for lang in languages] == [
        "mirrors.html", "mirrors.ky.html", "mirrors.zh-hant.html"]
    assert {"mirrors.html", "mirrors.ky.html", "mirrors.zh-hant.html", "mirrors.json",
            "bc2.json"} <= set(manifest_files(languages))
    assert manifest_files(("ru",)) == manifest_files(())  # one language: mirrors.html only
    for page in ("mirrors.ky.html", "mirrors.zh-hant.html"):
        assert is_manifest_file(page)
        for is_new in (True, False):
            rank = upload_rank(page, is_new=is_new)
            assert rank == upload_rank("mirrors.html", is_new=is_new) >= FIRST_FINAL_RANK
            assert upload_rank("index.html", is_new=is_new) > rank
    assert not is_manifest_file("articles/mirrors.ky.html")
    # A copies page of a language the site dropped is deleted like any other stale file.
    remote = remote_of(SITE)
    remote = RemoteState(entries={**remote.entries, "mirrors.ky.html": RemoteEntry(5, "k")},
                         owned=remote.owned | {"mirrors.ky.html"})
    assert plan(SITE, remote, keep=frozenset(manifest_files(("ru",)))).deletes == \
        ("mirrors.ky.html",)


def test_an_index_of_a_hundred_thousand_files_fits_well_within_the_caps() -> None:
    """The caps on a bucket's index (against bombs) leave room for SPEC §14's 100,000."""
    paths = [f"articles/{'a-long-slug-of-a-story-' * 3}{i:06d}.html" for i in range(100_000)]
    files = {p: RemoteEntry(size=len(p) * 997, sha256=hashlib.sha256(p.encode()).hexdigest())
             for p in paths}
    data = encode_index(files, set())
    assert len(data) < MAX_INDEX_GZIP_BYTES / 2
    assert len(gzip.decompress(data)) < MAX_INDEX_BYTES / 2
    decoded = decode_index(data)
    assert decoded is not None and len(decoded[0]) == 100_000
