"""Where each kind of page lives in a built site, and the order mirrors receive them.

One place decides the layout so the builder, the planner and the checks agree. Paths are
POSIX, relative to the site root, ASCII only.
"""

from __future__ import annotations

import posixpath

INDEX = "index.html"
FEED = "feed.xml"
MIRRORS_PAGE = "mirrors.html"
MANIFEST = "mirrors.json"
SIGNATURE = "mirrors.json.sig"
BC2 = "bc2.json"
ARTICLES_DIR = "articles"
TAGS_DIR = "tags"
FILES_DIR = "files"

# Files written from the manifest, which differ per copy (only some copies can name the
# newest IPFS CID). Everything else is byte-identical on every mirror.
MANIFEST_FILES = (MIRRORS_PAGE, BC2, MANIFEST, SIGNATURE)
# Left out of the manifest's own `files` list (SPEC §7).
NOT_IN_MANIFEST = frozenset({MANIFEST, SIGNATURE})


def article_path(slug: str) -> str:
    return f"{ARTICLES_DIR}/{slug}.html"


def tag_path(tag_slug: str) -> str:
    return f"{TAGS_DIR}/{tag_slug}.html"


def index_path(page: int) -> str:
    return INDEX if page == 1 else f"page-{page}.html"


def asset_path(relative_source: str) -> str:
    return f"{FILES_DIR}/{relative_source}"


def relative_url(from_page: str, to_path: str) -> str:
    """A relative href from one site file to another (both site-root relative)."""
    start = posixpath.dirname(from_page) or "."
    return posixpath.relpath(to_path, start)


# --- upload order (SPEC §8) ------------------------------------------------------------
# A file goes up only after the files it links to, so a publish cut off at any point
# never leaves a page reachable from index.html that points at a missing file.
RANK_ASSET = 0
RANK_NEW_ARTICLE = 1
RANK_CHANGED_ARTICLE = 2
RANK_TAG = 3
RANK_LISTING = 4        # further index pages, the feed
RANK_MIRRORS_PAGE = 5   # mirrors.html, bc2.json: from here on, after the manifest is known
RANK_INDEX = 6          # index.html: the entry point goes up last of the pages
RANK_MANIFEST = 7       # mirrors.json
RANK_SIGNATURE = 8      # mirrors.json.sig
FIRST_FINAL_RANK = RANK_MIRRORS_PAGE


def upload_rank(path: str, *, is_new: bool) -> int:
    if path == MANIFEST:
        return RANK_MANIFEST
    if path == SIGNATURE:
        return RANK_SIGNATURE
    if path in (MIRRORS_PAGE, BC2):
        return RANK_MIRRORS_PAGE
    if path == INDEX:
        return RANK_INDEX
    if path == FEED or (path.startswith("page-") and "/" not in path):
        return RANK_LISTING
    if path.startswith(f"{TAGS_DIR}/"):
        return RANK_TAG
    if path.startswith(f"{ARTICLES_DIR}/"):
        return RANK_NEW_ARTICLE if is_new else RANK_CHANGED_ARTICLE
    return RANK_ASSET
