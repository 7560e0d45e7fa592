"""content/ -> public/, doing again only what changed.

    pipeline.py   build_site(): scan, articles, files, listings, stale outputs
    articles.py   front matter and article pages
    assets.py     the files beside the articles
    listings.py   index pages, tag pages, the feed
    cache.py      what the last build made (.mirrorpub/cache/)
    pool.py       a fork pool when there is much to do
"""

from mirrorpub.site.build.pipeline import BuildResult, build_site, content_label

__all__ = ["BuildResult", "build_site", "content_label"]
