"""Where each kind of page lives in a built site, and the order mirrors receive them.

One place decides the layout so the builder, the planner and the checks agree. Paths are
POSIX, relative to the site root, ASCII only.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

INDEX = "index.html"
FEED = "feed.xml"
MIRRORS_PAGE = "mirrors.html"
MANIFEST = "mirrors.json"
SIGNATURE = "mirrors.json.sig"
BC2 = "bc2.json"
BUNDLE = "site.zip"  # only when `site.bundle` is set
KEYS = "keys.json"  # only when the site has a root key (SPEC §11)
KEYS_SIGNATURE = "keys.json.sig"
ARTICLES_DIR = "articles"
TAGS_DIR = "tags"
FILES_DIR = "files"

# Left out of the manifest's own `files` list (SPEC §7).
NOT_IN_MANIFEST = frozenset({MANIFEST, SIGNATURE})
# The parts a second-format manifest lists its files in (SPEC §12), each named by its
# own sha256: mirrorpub-files/<sha256>.json.
PARTS_DIR = "mirrorpub-files"
_PART = re.compile(r"mirrorpub-files/[0-9a-f]{64}\.json")
_PARTS_PREFIX = PARTS_DIR + "/"
# A copies page in one of the site's further languages: mirrors.ky.html, mirrors.zh-hant.html.
_COPIES_PAGE = re.compile(r"mirrors\.[a-z0-9-]+\.html")


def copies_page(language: str, languages: Sequence[str]) -> str:
    """The copies page in `language`, one of the site's `languages`: mirrors.html for the
    first (the site's language), mirrors.<language>.html for the others."""
    if not languages or language.lower() == languages[0].lower():
        return MIRRORS_PAGE
    return f"mirrors.{language.lower()}.html"


def copies_pages(languages: Sequence[str]) -> tuple[str, ...]:
    return tuple(copies_page(lang, languages) for lang in languages) or (MIRRORS_PAGE,)


def manifest_files(languages: Sequence[str]) -> tuple[str, ...]:
    """The files written from the manifest, which differ per copy (only some copies can
    name the newest IPFS CID): one copies page per site language, bc2.json, mirrors.json,
    its signature, the optional zip. Everything else is byte-identical on every mirror."""
    return (BUNDLE, KEYS, KEYS_SIGNATURE, *copies_pages(languages), BC2, MANIFEST, SIGNATURE)


def is_manifest_file(path: str) -> bool:
    """Whether `path` is one of the per-copy files of some site, whatever its languages:
    nothing else mirrorpub writes lives at the root under these names."""
    # All live at the root: most paths (articles/…, tags/…) are answered at the first test,
    # which matters when 120,000 are asked about (the manifest's parts).
    return "/" not in path and (
        path in (BUNDLE, KEYS, KEYS_SIGNATURE, MIRRORS_PAGE, BC2, MANIFEST, SIGNATURE) or
        _COPIES_PAGE.fullmatch(path) is not None)


def part_path(sha256: str) -> str:
    return f"{PARTS_DIR}/{sha256}.json"


def is_part(path: str) -> bool:
    """Whether `path` names a manifest part (never a site file: content/ cannot hold it)."""
    return path.startswith(_PARTS_PREFIX) and _PART.fullmatch(path) is not None


def article_path(slug: str) -> str:
    return f"{ARTICLES_DIR}/{slug}.html"


def tag_path(tag_slug: str) -> str:
    return f"{TAGS_DIR}/{tag_slug}.html"


def archive_path(number: int) -> str:
    """The index's archive page `number`, counted from the oldest (SPEC §14): page-1.html
    holds the oldest articles, so a page's URL keeps showing the same ones."""
    return f"page-{number}.html"


def tag_archive_path(tag_slug: str, number: int) -> str:
    return f"{TAGS_DIR}/{tag_slug}.p{number}.html"


def feed_archive_path(number: int) -> str:
    """An archived feed document (RFC 5005), counted from the oldest; it never changes."""
    return f"feed-{number}.xml"


def asset_path(relative_source: str) -> str:
    return f"{FILES_DIR}/{relative_source}"


def relative_url(from_page: str, to_path: str) -> str:
    """A relative href from one site file to another (both site-root relative)."""
    return relative_to(to_path, posixpath.dirname(from_page))


def relative_to(target: str, folder: str) -> str:
    """posixpath.relpath for a clean site path and folder ("" for the root), without its
    trips to os.getcwd(): a page links a few dozen paths, a build makes 100,000 pages."""
    to, start = target.split("/"), folder.split("/") if folder else []
    common = 0
    while common < min(len(to), len(start)) and to[common] == start[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + to[common:]) or "."


# --- upload order (SPEC §8) ------------------------------------------------------------
# A file goes up only after the files it links to, so a publish cut off at any point
# never leaves a page reachable from index.html that points at a missing file. Within
# each kind, new files go before changed ones: a changed page may link a new one (the
# old page 2 gaining a link to a new page 3), never the other way round. New tag pages
# go before changed articles: an edited article may gain a new tag, and a new tag page
# links only articles that are up already (new ones went first, changed ones exist).
KIND_ASSET = 0
KIND_ARTICLE = 1
KIND_TAG = 2
KIND_LISTING = 3        # archive pages of the index, the feed and its archives
KIND_MIRRORS_PAGE = 4   # the copies pages, bc2.json: from here on, after the manifest is known
KIND_INDEX = 5          # index.html: the entry point goes up last of the pages
KIND_PART = 6           # the manifest's parts: before the mirrors.json that names them
KIND_MANIFEST = 7       # mirrors.json
KIND_SIGNATURE = 8      # mirrors.json.sig

_ORDER = (  # (kind, is_new), first to last
    (KIND_ASSET, True), (KIND_ASSET, False),
    (KIND_ARTICLE, True), (KIND_TAG, True), (KIND_ARTICLE, False), (KIND_TAG, False),
    (KIND_LISTING, True), (KIND_LISTING, False),
    (KIND_MIRRORS_PAGE, True), (KIND_MIRRORS_PAGE, False),
    (KIND_INDEX, True), (KIND_INDEX, False),
    (KIND_PART, True), (KIND_PART, False),
    (KIND_MANIFEST, True), (KIND_MANIFEST, False),
    (KIND_SIGNATURE, True), (KIND_SIGNATURE, False),
)
_RANK = {key: rank for rank, key in enumerate(_ORDER)}
FIRST_FINAL_RANK = _RANK[(KIND_MIRRORS_PAGE, True)]  # what waits for the final manifest


def _kind(path: str) -> int:
    if path == MANIFEST:
        return KIND_MANIFEST
    if path == SIGNATURE:
        return KIND_SIGNATURE
    if is_part(path):
        return KIND_PART
    if path == BC2 or (is_manifest_file(path) and path.endswith(".html")):
        return KIND_MIRRORS_PAGE
    if path == INDEX:
        return KIND_INDEX
    if "/" not in path and (path == FEED or path.startswith(("page-", "feed-"))):
        return KIND_LISTING
    if path.startswith(f"{TAGS_DIR}/"):
        return KIND_TAG
    if path.startswith(f"{ARTICLES_DIR}/"):
        return KIND_ARTICLE
    return KIND_ASSET


def upload_rank(path: str, *, is_new: bool) -> int:
    """Uploads go in increasing rank; equal ranks go up together."""
    return _RANK[(_kind(path), is_new)]
