"""The built site (SPEC §6): theme, pages, media types, the build, the zip.

    build/          content/ -> public/, incrementally (pipeline, cache, pool, …)
    pages.py        articles and listings into page bytes
    csp.py          the Content-Security-Policy every page carries
    theme.py        the templates (the site's own first, then the default theme)
    mediatypes.py   Content-Type and Cache-Control of every file
    bundle.py       the site as one deterministic zip
"""
