"""content/ -> public/, doing again only what changed.

    pipeline.py   build_site(): scan, articles, files, listings, stale outputs
    articles.py   front matter and article pages
    assets.py     the files beside the articles
    listings.py   index pages, tag pages, the feed
    patch.py      a build of a few edited bodies, patched into the recorded one
    recorded.py   the recorded build read back: its files and entries
    cache.py      what the last build made (.mirrorpub/cache/)
    stamp.py      a small file that answers "nothing changed" alone
    pool.py       a fork pool when there is much to do
"""

from mirrorpub.site.build.pipeline import BuildResult, build_site, content_label

__all__ = ["BuildResult", "build_site", "content_label"]
